#!/bin/bash
# Foreign interfaces: a daemon changes and deletes only interfaces carrying
# its own mark (IFLA_IFALIAS "labwire:<instance>", the instance a random id
# kept in its database), never by name alone. In one network namespace: the
# host's own lwbr0 bridge and lwfv0/lwfv1 veth pair, and a second daemon
# (data dir B, its own port and console ports) running a lab of namespace
# hosts. Daemon A starts, runs a LAN of three hosts, stops, restarts (and
# re-adopts them), stops and deletes its lab, and stops: everything not A's
# is still there (the same interfaces, not new ones) and B's lab still
# forwards; everything of A's is gone. Between its runs A's interfaces lose
# their marks (an upgrade from a version without them): the restart
# claims those its records name, and only those.
. "$(dirname "$0")/lib.sh"

# Two daemons: `use a|b` points api/lw_start_daemon/lw_stop_daemon at one.
declare -A S=([a.port]=$LW_PORT [a.tmp]=$LW_TMP [b.port]=$((LW_PORT + 1)))
S[b.tmp]=$(mktemp -d /tmp/labwire-test.XXXXXX)
chmod 0711 "${S[b.tmp]}"
SIDE=a
use() {
	S[$SIDE.pid]=$LW_PID S[$SIDE.token]=${LW_TOKEN:-} S[$SIDE.logpos]=${LW_LOGPOS:-0}
	SIDE=$1
	LW_PID=${S[$SIDE.pid]:-} LW_TOKEN=${S[$SIDE.token]:-} LW_LOGPOS=${S[$SIDE.logpos]:-0}
	LW_PORT=${S[$SIDE.port]} LW_TMP=${S[$SIDE.tmp]}
	LW_URL=http://127.0.0.1:$LW_PORT LW_DATA=$LW_TMP/var
	LW_CONSOLE_MAX=$([ "$SIDE" = b ] && echo 6199 || echo 6099)
	LW_DAEMON_ARGS=$([ "$SIDE" = b ] && echo "--console-port-min 6100")
	export CURL_HOME=$LW_TMP LABWIRE_TOKEN=$LW_TOKEN LW_TOKEN
}
teardown_both() {
	use b
	lw_stop_daemon
	pkill -KILL -f "nshost --console $LW_DATA/" 2>/dev/null
	lw_cgroups_remove
	[ "$LW_FAILS" -gt 0 ] && tail -n 20 "$LW_TMP/daemon.log" | sed 's/^/# B: /'
	rm -rf "$LW_TMP"
	use a
	lw_teardown
}

# ifs: "name:ifindex" of every interface whose name starts with lw, sorted.
ifs() { nsexec ip -j link show | jq -r '.[] | select(.ifname | startswith("lw")) | "\(.ifname):\(.ifindex)"' | sort | tr '\n' ' '; }
# the_same SET: every name:ifindex of SET still exists (none deleted, none made anew).
the_same() {
	local now=" $(ifs)" x r=0
	for x in $1; do case "$now" in *" $x "*) ;; *) echo "# gone or made anew: $x" && r=1 ;; esac; done
	return $r
}
# none_of SET: no interface of SET's names exists.
none_of() {
	local x
	for x in $1; do nsexec ip link show "${x%%:*}" >/dev/null 2>&1 && return 1; done
	return 0
}
minus() { comm -23 <(tr ' ' '\n' <<<"$1" | grep . | sort) <(tr ' ' '\n' <<<"$2" | grep . | sort) | tr '\n' ' '; }
aliases() { local x; for x in $1; do nsexec cat "/sys/class/net/${x%%:*}/ifalias"; done | sort -u | tr '\n' ' '; }
in_node() { # LAB NODE CMD...: CMD in a namespace host's network namespace
	local pid
	api GET "/api/v1/labs/$1/nodes/$2"
	pid=$(jqb .pid)
	shift 2
	nsenter --net=/proc/$pid/ns/net "$@"
}
pings() { in_node "$1" "$2" ping -c 1 -W 2 "$3" >/dev/null 2>&1; }
# hosts LAB NET N [lan]: N namespace hosts h_i at NET.i/24; a chain h1 -- h2, or one LAN of all.
hosts() {
	local i
	printf '{"name":"%s","nodes":[' "$1"
	for i in $(seq 1 "$3"); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"name":"h%d","template":"linux-host","nics":1,"startup_config":"ip addr add %s.%d/24 dev eth0\\n"}' "$i" "$2" "$i"
	done
	if [ "${4:-}" = lan ]; then
		printf '],"links":[{"endpoints":[%s]}]}' "$(seq 1 "$3" | sed 's/.*/"h&:eth0"/' | paste -sd,)"
	else
		printf '],"links":[{"endpoints":["h1:eth0","h2:eth0"]}]}'
	fi
}
start_lab() {
	api POST "/api/v1/labs/$1/start"
	wait_for "lab $1 running" 60 lab_nodes_are "$1" running
}

ip netns add "$LW_NS"
nsexec ip link set lo up
trap teardown_both EXIT
# The host's own interfaces, named like labwire's.
nsexec ip link add lwbr0 type bridge
nsexec ip link set lwbr0 up
nsexec ip link add lwfv0 type veth peer name lwfv1
FOREIGN=$(ifs)
eq "the host's lwbr0, lwfv0 and lwfv1 exist" "$(echo "$FOREIGN" | sed 's/:[0-9]*//g')" "lwbr0 lwfv0 lwfv1 "

# Daemon B and its lab (a first, never started lab moves its node and link
# ids past A's: interface names come from ids, and two daemons must not want one).
use b
lw_start_daemon
api POST /api/v1/labs "$(hosts pad 10.6.0 3 lan)"
api POST /api/v1/labs "$(hosts b 10.7.0 2)"
eq "B's lab is created" "$STATUS" 201
check "B's lab runs" start_lab b
check "B's lab forwards (h1 pings h2)" wait_for "B ping" 20 pings b h1 10.7.0.2
B_IFS=$(minus "$(ifs)" "$FOREIGN")
eq "B made its hosts' veths" "$(echo "$B_IFS" | sed 's/:[0-9]*//g')" "lwt4n0 lwt5n0 "
B_MARK=$(aliases "$B_IFS")
check "they carry B's mark ($B_MARK)" eval '[[ "$B_MARK" =~ ^labwire:[0-9a-f]{16}\ $ ]]'

# Daemon A: start (its start-up sweep runs), a LAN of three hosts.
use a
lw_start_daemon
check "A's start leaves the host's interfaces alone" the_same "$FOREIGN"
check "A's start leaves B's interfaces alone" the_same "$B_IFS"
# The privileged side enforces it: requests forged on A's channel, as a
# compromised network-facing daemon would send them (tests/tools/lwpriv).
CHILD=$(pgrep -P "$LW_PID" -x labwire | head -1)
forge() { "$LW_TOOLS/lwpriv" "$CHILD" "$1"; }
eq "deleting the host's lwbr0 is refused" "$(forge del-lwbr0)" "result=-1 err=1"
eq "taking lwbr0 over as a bridge of A's is refused" "$(forge bridge-lwbr0)" "result=-1 err=17"
eq "a batch changing lwbr0 fails" "$(forge batch-lwbr0)" "result=1 err=0"
eq "claiming lwbr0 after start-up is refused" "$(forge claim-lwbr0)" "result=-1 err=1"
eq "another instance id is refused" "$(forge instance-other)" "result=-1 err=1"
eq "lwbr0 got no drop program" "$(nsexec tc filter show dev lwbr0 ingress 2>/dev/null | grep -c bpf)" 0
api POST /api/v1/labs "$(hosts a 10.8.0 3 lan)"
eq "A's lab is created" "$STATUS" 201
check "A's lab runs" start_lab a
check "A's LAN forwards (h1 pings h3)" wait_for "A ping" 20 pings a h1 10.8.0.3
A_IFS=$(minus "$(minus "$(ifs)" "$FOREIGN")" "$B_IFS")
eq "A made a bridge and its hosts' veths" "$(echo "$A_IFS" | sed 's/:[0-9]*//g')" "lwb1 lwt1n0 lwt2n0 lwt3n0 "
A_MARK=$(aliases "$A_IFS")
# A knows node ids B uses (a lab it never starts): ids are no sign of ownership.
api POST /api/v1/labs "$(hosts apad 10.9.0 2)"
eq "A's second lab (nodes $(jqb -c '[.nodes[].id]')) is created" "$STATUS" 201
api POST /api/v1/labs/apad/start
apad_state() { api GET /api/v1/labs/apad; jqb -c '[.nodes[] | .state, .error]'; }
check "its hosts cannot start: their interface names are B's" \
	wait_for "apad failed" 30 eval '[ "$(apad_state)" = "$(jq -nc "[range(2) | \"error\", \"cannot make the node'"'"'s interfaces (see the daemon log)\"]")" ]'
check "B's interfaces are not taken over" the_same "$B_IFS"
check "they carry A's mark ($A_MARK), not B's" \
	eval '[[ "$A_MARK" =~ ^labwire:[0-9a-f]{16}\ $ ]] && [ "$A_MARK" != "$B_MARK" ]'

# Stop and restart A: its lab is re-adopted, and nothing else is touched.
# Meanwhile its interfaces lose their marks, as a daemon from before marks
# left them: the records name them, so the restart claims them (only them).
lw_stop_daemon
for x in $A_IFS; do nsexec ip link set dev "${x%%:*}" alias ""; done
eq "A's interfaces lost their marks while A was away" "$(aliases "$A_IFS")" ""
lw_start_daemon
check "after A's restart, its lab still runs" lab_nodes_are a running
check "with the same interfaces" the_same "$A_IFS"
eq "marked as A's again" "$(aliases "$A_IFS")" "$A_MARK"
eq "the host's lwbr0 was not claimed" "$(nsexec cat /sys/class/net/lwbr0/ifalias)" ""
check "and forwards" wait_for "A ping again" 20 pings a h1 10.8.0.3
check "the host's interfaces are untouched" the_same "$FOREIGN"
check "B's interfaces are untouched" the_same "$B_IFS"

# A stops and deletes its lab, and stops.
api POST /api/v1/labs/a/stop
check "A's lab stops" wait_for "A stopped" 60 lab_nodes_are a stopped
api DELETE /api/v1/labs/a
eq "A's lab is deleted" "$STATUS" 204
lw_stop_daemon
check "A's interfaces are all gone" none_of "$A_IFS"
check "the host's lwbr0, lwfv0, lwfv1 survive (the same ones)" the_same "$FOREIGN"
eq "the host's lwbr0 is still up" "$(nsexec ip -j link show lwbr0 2>/dev/null | jq -r '.[0].flags | index("UP") != null')" true
check "B's interfaces survive (the same ones)" the_same "$B_IFS"
use b
check "B's lab still runs" lab_nodes_are b running
check "and still forwards (h1 pings h2)" wait_for "B ping after" 20 pings b h1 10.7.0.2
api POST /api/v1/labs/b/stop
check "B's lab stops" wait_for "B stopped" 60 lab_nodes_are b stopped
check "and B's interfaces go with it" none_of "$B_IFS"
check "the host's interfaces still survive" the_same "$FOREIGN"
