#!/bin/bash
# `make run`: start labwire on http://127.0.0.1:8080 with its data under
# ./var, log the CLI in as the first admin (its password is in
# var/initial-admin-password until it is changed), load the sample labs
# (h1 -- r1 -- h2, ospf-triangle) and the practice labs (labs/practice) not
# there yet, say how to log in and what
# to do next, and stay in the foreground until Ctrl-C.
set -u
BIN=${1:-build/labwire}
LISTEN=${LABWIRE_LISTEN:-127.0.0.1:8080}
URL=http://$LISTEN
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PWFILE=$PWD/var/initial-admin-password
export LABWIRE_URL=$URL

"$BIN" serve --listen "$LISTEN" --data-dir ./var &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 1 50); do
	curl -fs "$URL/api/v1/health" >/dev/null 2>&1 && break
	kill -0 $pid 2>/dev/null || exit 1
	sleep 0.1
done
# The CLI keeps its token in ~/.config/labwire/credentials (0600).
if ! "$BIN" whoami >/dev/null 2>&1 && [ -r "$PWFILE" ]; then
	"$BIN" login admin <"$PWFILE" >/dev/null
fi
if "$BIN" whoami >/dev/null 2>&1; then
	# Every sample lab, each once (a lab of that name already there is left alone).
	for f in "$ROOT"/labs/samples/*.json; do
		name=$(basename "$f" .json)
		"$BIN" lab show "$name" >/dev/null 2>&1 && continue
		"$BIN" lab create "$f" >/dev/null && echo "loaded the sample lab $name"
	done
	# The practice labs (guide, checks, stages); NAME.solution.json is not a lab.
	for f in "$ROOT"/labs/practice/*.json; do
		case $f in *.solution.json) continue ;; esac
		name=$(basename "$f" .json)
		"$BIN" lab show "$name" >/dev/null 2>&1 && continue
		"$BIN" lab create "$f" >/dev/null && echo "loaded the practice lab $name"
	done
	WHO="The CLI is logged in as $("$BIN" whoami | cut -d' ' -f1-2)."
else
	WHO="Log the CLI in first: $BIN login admin"
fi
if [ -r "$PWFILE" ]; then
	PW="user admin, password: $(cat "$PWFILE") (from $PWFILE;
change it with: $BIN user passwd admin)"
else
	PW="your user and password (a lost admin password: $BIN user passwd admin --data-dir ./var)"
fi
cat <<EOT

labwire is running at $URL (Ctrl-C stops the daemon; running nodes keep running).
Log in at $URL/ in a browser with $PW
$WHO In another terminal:

  $BIN lab list                           # your labs
  $BIN lab start h1-r1-h2 --wait          # start the sample lab
  $BIN lab show h1-r1-h2                  # states, consoles, readiness
  $BIN console h1-r1-h2 h1                # h1's console (Ctrl-] q to leave)
      h1# ping -c 3 10.0.2.10                       # across r1 to h2
  $BIN lab stop h1-r1-h2                  # stop it

  $BIN lab start ospf-triangle --wait     # three FRR routers
  $BIN console ospf-triangle r1           # vtysh: show ip ospf neighbor

  # Practice labs (labs/practice): a guide, checks, stages, a solution
  $BIN lab guide static-routing           # the task
  $BIN lab start static-routing --wait
  $BIN grade static-routing               # check my work (exit 0 on full marks)
  $BIN stage restore static-routing 1     # jump to stage 1's reference configs

  # REST: a token for scripts (shown once), then Authorization: Bearer
  TOKEN=\$($BIN token create my-script)
  curl -s -H "Authorization: Bearer \$TOKEN" $URL/api/v1/labs | jq

EOT
wait $pid
