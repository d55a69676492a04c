#!/bin/bash
# Crash windows: the daemon dies (SIGKILL, the test build's fault hook
# LW_FAULT=point[:N]) at each named point of a 20-node lab start (2
# tiny-linux QEMU nodes, 18 namespace hosts, linked; 10 nodes under ASan),
# a new daemon starts on the same data directory, and nothing is left that
# nobody supervises: every node process, TAP/veth and node cgroup of this
# data directory belongs to a node the API shows running, each of those is
# really adopted (its process alive, a host's console answers, the lab
# stops), a start cut short says so (error), and once the lab is stopped
# nothing at all is left. The daemon is $LW_BUILD/faults/labwire, the
# normal one with fault points compiled in (make test builds it).
. "$(dirname "$0")/lib.sh"
LW_BIN=$LW_BUILD/faults/labwire
if [ ! -x "$LW_BIN" ]; then
	notok "the fault-hook daemon $LW_BIN is missing (make $LW_BIN)"
	exit 1
fi
# Namespace hosts besides the 2 QEMU nodes, and the crash points: under the
# (slower) ASan daemon fewer hosts and one point of each recovery path (a
# start cut before its process, and one cut after it, of each kind); the
# normal build goes through every point.
ALL_ROUNDS="qemu.intent:1/1 nshost.intent:3/1 qemu.spawned:2/1 nshost.spawned:5/1 qemu.recorded:1/0
	nshost.recorded:4/0 qemu.wiring:2/0 nshost.wired:5/0"
case "$LW_BUILD" in
*/asan)
	NH=${LW_CRASH_HOSTS:-8}
	ROUNDS=${LW_CRASH_ROUNDS:-qemu.intent:1/1 qemu.spawned:2/1 nshost.spawned:5/1 nshost.wired:5/0}
	;;
*)
	NH=${LW_CRASH_HOSTS:-18}
	ROUNDS=${LW_CRASH_ROUNDS:-$ALL_ROUNDS}
	;;
esac
lw_setup
[ -n "${LW_KEEP_LOG:-}" ] && trap 'cp "$LW_TMP/daemon.log" "$LW_KEEP_LOG"; lw_teardown' EXIT

# All nodes boot at once (the hosts do not wait for the QEMU guests).
hosts_lab crash "$NH" 2 chain | jq -c '.nodes = [
	{name: "q1", template: "tiny-linux", nics: 1}, {name: "q2", template: "tiny-linux", nics: 1}
	] + .nodes | .links += [{endpoints: ["q1:eth0", "q2:eth0"]}, {endpoints: ["q2:eth1", "h1:eth0"]}]
	| .nodes[1].nics = 2' >"$LW_TMP/crash.json"
api POST /api/v1/labs "@$LW_TMP/crash.json"
eq "a lab of $((NH + 2)) nodes is created" "$STATUS" 201
[ "$STATUS" = 201 ] || exit 1
LAB=$(jqb .id)
api PATCH "/api/v1/labs/$LAB" '{"boot_concurrency": 100}'
eq "its nodes boot all at once" "$STATUS" 200

# lw_procs: "pid node" for each node process (QEMU, or `labwire nshost`,
# both halves of a namespace host) whose argv names a socket under this
# data directory.
lw_procs() {
	local p n argv
	for p in $(pgrep -f "$LW_DATA/run/n[0-9]"); do
		argv=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null)
		case "$(printf '%s\n' "$argv" | head -n 2 | tr '\n' ' ')" in
		*qemu-system-*) ;; *" nshost "*) ;; *) continue ;;
		esac
		n=$(printf '%s\n' "$argv" | sed -n "s|.*$LW_DATA/run/n\([0-9]*\)/.*|\1|p" | head -n 1)
		[ -n "$n" ] && echo "$p $n"
	done
	return 0
}
# Node ids of interfaces (lwt<node>n<k>) and of node cgroups (n<node>, not n0: the tools').
if_nodes() { lw_ifaces | sed -n 's/^lwt\([0-9]*\)n[0-9]*$/\1/p'; }
CG_INST=
cg_nodes() {
	[ -n "$CG_INST" ] || CG_INST=$(sed -n 's|.*nodes under /sys/fs/cgroup/[a-z]*/labwire/\([0-9a-f]*\).*|\1|p' \
		"$LW_TMP/daemon.log" | tail -n 1)
	[ -n "$CG_INST" ] || return 0
	find /sys/fs/cgroup/*/labwire/"$CG_INST" -maxdepth 1 -name 'n[0-9]*' -printf '%f\n' 2>/dev/null |
		sed 's/^n//' | grep -vx 0 | sort -u
	return 0
}
# running_ids: ids of the nodes the API shows running (or still starting/stopping).
running_ids() {
	api GET "/api/v1/labs/$LAB"
	jqb '.nodes[] | select(.state == "running" or .state == "starting" or .state == "paused" or .state == "stopping") | .id'
}
# orphans: what of this data directory belongs to no running node, as "kind:node" words.
orphans() {
	local run
	run=" $(running_ids | tr '\n' ' ') "
	{
		lw_procs | awk '{print "process:" $2}'
		if_nodes | sed 's/^/interface:/'
		cg_nodes | sed 's/^/cgroup:/'
	} | while IFS=: read -r kind n; do
		case "$run" in *" $n "*) ;; *) echo "$kind:$n" ;; esac
	done | sort -u | tr '\n' ' '
}
no_orphans() { [ -z "$(orphans)" ]; }
settled() {
	api GET "/api/v1/labs/$LAB"
	[ "$(jqb '[.nodes[] | select(.state == "starting" or .state == "stopping")] | length')" = 0 ]
}
all_down() {
	api GET "/api/v1/labs/$LAB"
	[ "$(jqb '[.nodes[] | select(.state != "stopped" and .state != "error")] | length')" = 0 ]
}
nothing_left() { [ -z "$(lw_procs)$(if_nodes)$(cg_nodes)" ]; }

# crash_round POINT INTERRUPTED: the daemon dies at POINT of the lab's start;
# INTERRUPTED is how many nodes' starts that cuts short (shown as error).
crash_round() {
	local point=$1 want_err=$2 pid host n t0=$SECONDS t1
	lw_stop_daemon
	export LW_FAULT=$point
	lw_start_daemon
	unset LW_FAULT
	pid=$LW_PID
	api POST "/api/v1/labs/$LAB/start"
	if ! wait_for "the daemon to die at $point" 60 eval '! kill -0 '"$pid"' 2>/dev/null'; then
		notok "$point: the daemon did not reach its fault point"
		return
	fi
	wait "$pid" 2>/dev/null # the privileged parent follows its child; reap it
	LW_PID=
	check "$point: the daemon died there" grep -q "fault: ${point%%:*} reached" "$LW_TMP/daemon.log"
	echo "# $point: $(lw_procs | wc -l) node processes outlived the daemon"
	lw_start_daemon
	t1=$SECONDS
	check "$point: the new daemon settles every node" wait_for settled 60 settled
	check "$point: no orphaned process, interface or cgroup" wait_for "no orphans" 15 no_orphans
	[ -z "$(orphans)" ] || echo "# orphans: $(orphans)"
	api GET "/api/v1/labs/$LAB"
	eq "$point: starts cut short say so" \
		"$(jqb '[.nodes[] | select(.state == "error" and (.error | test("while starting")))] | length')" "$want_err"
	n=$(jqb '[.nodes[] | select(.state == "running")] | length')
	echo "# $point: $n nodes running after the restart"
	# Every node shown running has its process (adopted, not a stale pid).
	eq "$point: each running node's process is alive" \
		"$(jqb '.nodes[] | select(.state == "running") | .pid // 0' | while read -r p; do
			kill -0 "$p" 2>/dev/null || echo "dead:$p"; done)" ""
	host=$(jqb '[.nodes[] | select(.state == "running" and .template == "linux-host")][0].name // empty')
	if [ -n "$host" ]; then
		api POST "/api/v1/labs/$LAB/nodes/$host/console/exec" \
			'{"send": "echo crash$((6*7))", "expect": "crash42", "timeout_s": 15}'
		eq "$point: an adopted host's console answers ($host)" "$STATUS" 200
	fi
	echo "# $point: crashed and restarted in $((t1 - t0)) s, checked in $((SECONDS - t1)) s"
	t1=$SECONDS
	api POST "/api/v1/labs/$LAB/stop"
	check "$point: every node stops" wait_for "all down" 60 all_down
	check "$point: nothing is left after the stop" wait_for "nothing left" 20 nothing_left
	[ -z "$(lw_procs)$(if_nodes)$(cg_nodes)" ] ||
		echo "# left: $(lw_procs | tr '\n' ' ') $(if_nodes | tr '\n' ' ') $(cg_nodes | tr '\n' ' ')"
	echo "# $point: stopped in $((SECONDS - t1)) s"
}

# POINT:N/INTERRUPTED (core/base/fault.h names the points); a point's count
# is of its own kind's starts, whatever order the nodes start in.
for round in $ROUNDS; do
	crash_round "${round%/*}" "${round#*/}"
done

# A pid is a process only with its start time: a row whose recorded start
# time is not its process's (a pid reused after a reboot or a crash) is not
# adopted; what runs in that node's cgroup is ended, and the others adopted.
lw_stop_daemon
lw_start_daemon
api POST "/api/v1/labs/$LAB/start"
check "identity: the lab runs" wait_for running 90 lab_nodes_are "$LAB" running
api GET "/api/v1/labs/$LAB/nodes/h2"
H2=$(jqb .id)
H2PID=$(jqb .pid)
lw_stop_daemon
sqlite3 "$LW_DATA/labwire.db" "UPDATE node_runtime SET start_ticks = start_ticks + 1 WHERE node_id = $H2"
lw_start_daemon
api GET "/api/v1/labs/$LAB/nodes/h2"
eq "identity: a row whose start time is not its process's is not adopted" "$(jqb .state)" stopped
check "identity: that process is ended" wait_for "h2 ended" 10 eval '! kill -0 '"$H2PID"' 2>/dev/null'
check "identity: no orphaned process, interface or cgroup" wait_for "no orphans" 15 no_orphans
api GET "/api/v1/labs/$LAB"
eq "identity: every other node is adopted" "$(jqb '[.nodes[] | select(.state == "running")] | length')" $((NH + 1))
api POST "/api/v1/labs/$LAB/stop"
check "identity: every node stops" wait_for "all down" 60 all_down
check "identity: nothing is left after the stop" wait_for "nothing left" 20 nothing_left
