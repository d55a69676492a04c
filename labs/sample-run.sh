#!/bin/bash
# `make run`: start labwire on http://127.0.0.1:8080 with its data under
# ./var, load the sample labs (h1 -- r1 -- h2, ospf-triangle) not there yet, say
# what to do next, and stay in the foreground until Ctrl-C.
set -u
BIN=${1:-build/labwire}
LISTEN=${LABWIRE_LISTEN:-127.0.0.1:8080}
URL=http://$LISTEN
ROOT=$(cd "$(dirname "$0")/.." && pwd)

"$BIN" serve --listen "$LISTEN" --data-dir ./var &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 1 50); do
	curl -fs "$URL/api/v1/health" >/dev/null 2>&1 && break
	kill -0 $pid 2>/dev/null || exit 1
	sleep 0.1
done
# Every sample lab, each once (a lab of that name already there is left alone).
for f in "$ROOT"/labs/samples/*.json; do
	name=$(basename "$f" .json)
	curl -fs "$URL/api/v1/labs/$name" >/dev/null 2>&1 && continue
	curl -fs -X POST -H 'Content-Type: application/json' \
		--data-binary "@$f" "$URL/api/v1/labs" >/dev/null &&
		echo "loaded the sample lab $name"
done
cat <<EOT

labwire is running at $URL (Ctrl-C stops the daemon; running nodes keep running).
Open $URL/ in a browser for the lab UI, or in another terminal:

  curl -s $URL/api/v1/labs | jq                      # list labs
  curl -s -X POST $URL/api/v1/labs/h1-r1-h2/start     # start the sample lab
  $BIN lab show h1-r1-h2                  # states, consoles, readiness
  $BIN console h1-r1-h2 h1                # h1's console (Ctrl-] q to leave)
      h1# ping -c 3 10.0.2.10                       # across r1 to h2
  curl -s -X POST $URL/api/v1/labs/h1-r1-h2/stop      # stop it

  curl -s -X POST "$URL/api/v1/labs/ospf-triangle/start?wait=ready"   # three FRR routers
  $BIN console ospf-triangle r1           # vtysh: show ip ospf neighbor

EOT
wait $pid
