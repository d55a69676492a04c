# Shared harness for integration tests: a real daemon inside a network
# namespace made for the test, driven over HTTP with curl. Each check prints
# "ok - ..." or "not ok - ..."; tests/run.sh counts them.
# Usage: . tests/integration/lib.sh; lw_setup; ...; (teardown runs on exit)

set -u
LW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LW_BUILD=${LW_BUILD:-$LW_ROOT/build}
LW_BIN=$LW_BUILD/labwire
LW_IMAGES=${LW_IMAGES:-$LW_BUILD/images}
LW_TOOLS=${LW_TOOLS:-$LW_BUILD/tools} # test tools (lwframe) are not built with ASan
LW_UI=${LW_UI:-$LW_BUILD/ui}           # the browser UI's files (make ui)
LW_NS=lwt$$
LW_PORT=18080
LW_URL=http://127.0.0.1:$LW_PORT
LW_TMP=$(mktemp -d /tmp/labwire-test.XXXXXX)
chmod 0711 "$LW_TMP" # nodes run as their own users and must pass through to the data dir
LW_DATA=$LW_TMP/var
LW_PID=
LW_FAILS=0

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; LW_FAILS=$((LW_FAILS + 1)); }

# check DESC CMD...: ok when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else notok "$desc"; fi
}

# eq DESC GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (got '$2', want '$3')"; fi
}

nsexec() { ip netns exec "$LW_NS" "$@"; }

# api METHOD PATH [BODY|@FILE]: sets STATUS and BODY.
api() {
	local method=$1 path=$2 data=${3-} out
	local args=(-s -o "$LW_TMP/body" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json')
	[ -n "$data" ] && args+=(--data-binary "$data")
	[ -n "${LW_CACERT:-}" ] && args+=(--cacert "$LW_CACERT")
	out=$(nsexec curl "${args[@]}" "$LW_URL$path" 2>/dev/null) || out=000
	STATUS=$out
	BODY=$(cat "$LW_TMP/body" 2>/dev/null)
}

jqb() { printf '%s' "$BODY" | jq -r "$@"; }

# api_as TOKEN METHOD PATH [BODY]: like api, with TOKEN's credentials only
# ("" for none): curl -q skips the .curlrc that carries the admin's token.
api_as() {
	local tok=$1 method=$2 path=$3 data=${4-} out
	local args=(-q -s -o "$LW_TMP/body" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json')
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "${LW_CACERT:-}" ] && args+=(--cacert "$LW_CACERT")
	[ -n "$data" ] && args+=(--data-binary "$data")
	out=$(nsexec curl "${args[@]}" "$LW_URL$path" 2>/dev/null) || out=000
	STATUS=$out
	BODY=$(cat "$LW_TMP/body" 2>/dev/null)
}

# login USER PASSWORD: a session token for USER on stdout (empty on failure).
login() {
	api_as "" POST /api/v1/auth/login "$(jq -nc --arg u "$1" --arg p "$2" '{username: $u, password: $p}')"
	[ "$STATUS" = 200 ] && jqb .token
}

# The first start's admin logs in; every later curl (through $CURL_HOME/.curlrc),
# CLI call ($LABWIRE_TOKEN) and WebSocket client ($LW_TOKEN) carries its token.
lw_login_admin() {
	local pw
	pw=$(cat "$LW_DATA/initial-admin-password" 2>/dev/null) || return 1
	LW_TOKEN=$(login admin "$pw")
	[ -n "$LW_TOKEN" ] || return 1
	printf 'header = "Authorization: Bearer %s"\n' "$LW_TOKEN" >"$LW_TMP/.curlrc"
	[ -n "${LW_CACERT:-}" ] && printf 'cacert = "%s"\n' "$LW_CACERT" >>"$LW_TMP/.curlrc" &&
		export LABWIRE_CACERT=$LW_CACERT LW_CACERT
	export CURL_HOME=$LW_TMP LABWIRE_TOKEN=$LW_TOKEN LW_TOKEN
}

lw_start_daemon() {
	LW_LOGPOS=$(stat -c %s "$LW_TMP/daemon.log" 2>/dev/null || echo 0)
	# Not through nsexec: $! must be the daemon itself (nsenter execs it), and
	# the daemon needs the host's /sys/fs/cgroup, which `ip netns exec` hides.
	nsenter --net=/run/netns/"$LW_NS" "$LW_BIN" serve --listen 127.0.0.1:$LW_PORT --data-dir "$LW_DATA" \
		--image-dir "$LW_IMAGES" --template-dir "$LW_ROOT/images/templates" --console-port-min 6000 --console-port-max "${LW_CONSOLE_MAX:-6099}" --ui-dir "$LW_UI" ${LW_DAEMON_ARGS:-} --log-level info \
		>>"$LW_TMP/daemon.log" 2>&1 &
	LW_PID=$!
	for _ in $(seq 1 100); do
		api GET /api/v1/health
		[ "$STATUS" = 200 ] && { [ -n "${LW_TOKEN:-}" ] || lw_login_admin; } && return 0
		sleep 0.1
	done
	notok "the daemon did not come up"
	sed 's/^/# /' "$LW_TMP/daemon.log"
	exit 1
}

# Stop the daemon; it must exit 0 and its log hold no sanitizer report.
lw_stop_daemon() {
	local rc
	[ -n "$LW_PID" ] || return 0
	kill -TERM "$LW_PID" 2>/dev/null
	wait "$LW_PID" 2>/dev/null
	rc=$?
	LW_PID=
	eq "the daemon exits cleanly" "$rc" 0
	tail -c +$((LW_LOGPOS + 1)) "$LW_TMP/daemon.log" >"$LW_TMP/daemon.run.log"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LW_TMP/daemon.run.log"; then
		notok "sanitizer report in the daemon log"
		grep -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LW_TMP/daemon.run.log" |
			head -n 40 | sed 's/^/# /'
	fi
}

lw_setup() {
	ip netns add "$LW_NS"
	nsexec ip link set lo up
	trap lw_teardown EXIT
	lw_start_daemon
}

# The cgroups of nodes a failed test left behind (the data directory, whose
# name they carry, is about to go, and with it any daemon that would adopt them).
lw_cgroups_remove() {
	local inst h
	inst=$(sed -n 's|.*nodes under /sys/fs/cgroup/[a-z]*/labwire/\([0-9a-f]*\).*|\1|p' \
		"$LW_TMP/daemon.log" 2>/dev/null | tail -1)
	[ -n "$inst" ] || return 0
	for h in /sys/fs/cgroup/*/labwire/"$inst"; do
		[ -d "$h" ] || continue
		rmdir "$h"/n[0-9]* 2>/dev/null
		rmdir "$h" 2>/dev/null
	done
	return 0
}

lw_teardown() {
	local pids
	lw_stop_daemon
	# Anything a failed test left running in the namespace (QEMU outlives the daemon).
	pids=$(ip netns pids "$LW_NS" 2>/dev/null)
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	# Namespace hosts live in namespaces of their own: found by their console path.
	pkill -KILL -f "nshost --console $LW_DATA/" 2>/dev/null
	lw_cgroups_remove
	ip netns del "$LW_NS" 2>/dev/null
	if [ "$LW_FAILS" -gt 0 ]; then
		echo "# daemon log (last 40 lines):"
		tail -n 40 "$LW_TMP/daemon.log" | sed 's/^/# /'
	fi
	rm -rf "$LW_TMP"
}

# wait_for DESC TIMEOUT_S CMD...: poll CMD every 0.5 s. A wait that took
# more than half its time says so (a deadline a busy host nearly missed).
wait_for() {
	local desc=$1 t=$2
	shift 2
	local start=$SECONDS end=$((SECONDS + t))
	while [ $SECONDS -lt $end ]; do
		if "$@"; then
			[ $((2 * (SECONDS - start))) -le "$t" ] ||
				echo "# slow: $desc took $((SECONDS - start)) of its $t s" >&2
			return 0
		fi
		sleep 0.5
	done
	echo "# timed out waiting for: $desc" >&2
	return 1
}

# hosts_lab NAME N NICS [chain]: a lab of N linux-host nodes h1..hN with NICS
# interfaces each, as JSON; with "chain", h_i eth1 linked to h_{i+1} eth0.
hosts_lab() {
	local name=$1 n=$2 nics=$3 i
	printf '{"name":"%s","nodes":[' "$name"
	for i in $(seq 1 "$n"); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"name":"h%d","template":"linux-host","nics":%d}' "$i" "$nics"
	done
	printf '],"links":['
	if [ "${4:-}" = chain ]; then
		for i in $(seq 1 $((n - 1))); do
			[ "$i" -gt 1 ] && printf ','
			printf '{"endpoints":["h%d:eth1","h%d:eth0"]}' "$i" $((i + 1))
		done
	fi
	printf ']}'
}

# ring_lab NAME N: N linux hosts with 4 NICs in a ring (h_i eth0 to h_{i+1}
# eth1) with chords (h_i eth2 to h_{i+2} eth3): 2N links. Each ring link a
# subnet of its own: h_i eth0 10.1.<i%250>.1, the next host's eth1 .2.
ring_lab() {
	local name=$1 n=$2 i
	printf '{"name":"%s","nodes":[' "$name"
	for i in $(seq 1 "$n"); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"name":"h%d","template":"linux-host","nics":4,"startup_config":"ip addr add 10.1.%d.1/24 dev eth0\\nip addr add 10.1.%d.2/24 dev eth1\\n"}' \
			"$i" $((i % 250)) $((((i + n - 2) % n + 1) % 250))
	done
	printf '],"links":['
	for i in $(seq 1 "$n"); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"endpoints":["h%d:eth0","h%d:eth1"]},' "$i" $((i % n + 1))
		printf '{"endpoints":["h%d:eth2","h%d:eth3"]}' "$i" $(((i + 1) % n + 1))
	done
	printf ']}'
}

# lab_nodes_are LAB STATE: every node reports STATE.
lab_nodes_are() {
	api GET "/api/v1/labs/$1"
	[ "$STATUS" = 200 ] && [ "$(jqb --arg s "$2" '[.nodes[] | select(.state != $s)] | length')" = 0 ]
}

lab_nodes_ready() {
	api GET "/api/v1/labs/$1"
	[ "$STATUS" = 200 ] && [ "$(jqb '[.nodes[] | select(.ready != true)] | length')" = 0 ]
}

# The kernel's view inside the namespace.
lw_ifaces() { nsexec ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^lw' || true; }
qemu_pids() {
	local p
	for p in $(ip netns pids "$LW_NS" 2>/dev/null); do
		case "$(cat /proc/$p/comm 2>/dev/null)" in qemu-system*) echo "$p" ;; esac
	done
}
qemu_count() { qemu_pids | grep -c . || true; }

# console LAB NODE ARGS...: the CLI's scripted console inside the namespace.
console() { nsexec "$LW_BIN" --url "$LW_URL" console "$@"; }

# jqt EXPR: true when the jq expression holds for BODY (quiet; for use with check).
jqt() { printf '%s' "$BODY" | jq -e "$@" >/dev/null 2>&1; }

# create_pair NAME: a lab NAME of tiny-linux nodes a (10.9.0.1/24) and b
# (10.9.0.2/24) linked a:eth0 -- b:eth0; sets STATUS and BODY like api.
create_pair() {
	api POST /api/v1/labs "{\"name\":\"$1\",\"nodes\":[
	{\"name\":\"a\",\"template\":\"tiny-linux\",\"nics\":1,\"startup_config\":\"ip addr add 10.9.0.1/24 dev eth0\\nip link set eth0 up\\n\"},
	{\"name\":\"b\",\"template\":\"tiny-linux\",\"nics\":1,\"startup_config\":\"ip addr add 10.9.0.2/24 dev eth0\\nip link set eth0 up\\n\"}],
	\"links\":[{\"endpoints\":[\"a:eth0\",\"b:eth0\"]}]}"
}

# browser SCRIPT: run a tests/ui script in the namespace with real Chromium
# (playwright-core from $LW_NPM; screenshots into $ART, which the caller
# sets); its ok/not ok lines count here, and a script that dies without
# saying so fails.
browser() {
	local line
	while IFS= read -r line; do
		case $line in
		"exit 0") ;;
		"exit "*) notok "$1 ran to its end ($line)" ;;
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) notok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <(LW_PLAYWRIGHT=$LW_NPM/node_modules/playwright-core/index.mjs \
		ip netns exec "$LW_NS" node "$LW_ROOT/tests/ui/$1" "$LW_URL" "$ART" 2>&1; echo "exit $?")
}
