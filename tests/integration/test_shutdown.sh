#!/bin/bash
# A clean shutdown while the runtime is busy: SIGTERM to a daemon right
# after a staged start of a chain of namespace hosts (captures running), and
# right after a lab stop (their exits and unwiring go on while the daemon
# shuts down), ends with exit status 0 and a log free of writes to closed
# fds ("Bad file descriptor", "capture: wake", "runtime: eventfd", "impair:
# eventfd"); the next daemon re-adopts what still runs and takes requests.
# Hitting the window between capture_fini and runtime_fini is a matter of
# timing here; tests/unit/test_fini.c checks the late calls deterministically.
. "$(dirname "$0")/lib.sh"
N=${LW_SHUTDOWN_HOSTS:-80}
LW_CONSOLE_MAX=$((6000 + N + 10))
lw_setup

hosts_lab sd "$N" 2 chain >"$LW_TMP/sd.json"
api POST /api/v1/labs "@$LW_TMP/sd.json"
eq "a chain of $N hosts is created" "$STATUS" 201
LAB=$(jqb .id)
LINKS=($(jqb '.links[].id'))
api PATCH "/api/v1/labs/$LAB" '{"boot_concurrency":1}'
eq "it boots one host at a time" "$(jqb .boot_concurrency)" 1

# captures_on K: start a capture on each of the first K links (those whose ends run).
captures_on() {
	local k ok=0
	for k in $(seq 0 $(($1 - 1))); do
		api POST "/api/v1/labs/$LAB/links/${LINKS[$k]}/captures" '{}'
		[ "$STATUS" = 201 ] && ok=$((ok + 1))
	done
	[ "$ok" = "$1" ]
}
node_is() { api GET "/api/v1/labs/$LAB/nodes/$1"; [ "$(jqb .state)" = "$2" ]; }
running_count() { api GET "/api/v1/labs/$LAB"; jqb '[.nodes[] | select(.state == "running")] | length'; }

# term_daemon DESC: SIGTERM, the exit status, and the log of this run.
term_daemon() {
	local rc
	kill -TERM "$LW_PID" 2>/dev/null
	wait "$LW_PID"
	rc=$?
	LW_PID=
	tail -c +$((LW_LOGPOS + 1)) "$LW_TMP/daemon.log" >"$LW_TMP/run.log"
	eq "$1: the daemon exits with status 0" "$rc" 0
	eq "$1: no 'Bad file descriptor' in its log" "$(grep -c 'Bad file descriptor' "$LW_TMP/run.log")" 0
	eq "$1: no wake of a stopped thread in its log" \
		"$(grep -cE 'capture: wake|runtime: eventfd|impair: eventfd|console: wake' "$LW_TMP/run.log")" 0
	check "$1: no sanitizer report" eval "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$LW_TMP/run.log'"
	grep -E 'Bad file descriptor|capture: wake|Sanitizer|runtime error' "$LW_TMP/run.log" | head -n 5 | sed 's/^/# /'
}

# --- 1. SIGTERM in the middle of a staged lab start, captures running ---------------
api POST "/api/v1/labs/$LAB/start"
eq "the lab start answers 202" "$STATUS" 202
check "h1 and h2 run" wait_for running 30 eval 'node_is h1 running && node_is h2 running'
check "a capture runs on the first link" captures_on 1
n=$(running_count)
echo "# $n of $N hosts running at SIGTERM"
term_daemon "SIGTERM during a lab start"

# --- 2. the next daemon re-adopts, finishes nothing it was not asked to -------------
lw_start_daemon
check "after the restart h1 is re-adopted running" node_is h1 running
api POST "/api/v1/labs/$LAB/start"
check "the lab starts the rest" wait_for all 120 lab_nodes_are sd running
check "captures run on the first three links" captures_on 3

# --- 3. a lab stop racing SIGTERM, captures running ----------------------------------
# The daemon still answers while it closes its consoles and captures (closing
# a capture socket takes tens of ms): the stop lands in the middle of that.
api POST "/api/v1/labs/$LAB/stop"
eq "the lab stop answers 202" "$STATUS" 202
term_daemon "SIGTERM during a lab stop"

lw_start_daemon
api POST "/api/v1/labs/$LAB/stop"
check "the next daemon stops the rest" wait_for stopped 60 lab_nodes_are sd stopped
gone() { [ -z "$(lw_ifaces)" ]; }
check "no interface is left" wait_for gone 20 gone
api DELETE "/api/v1/labs/$LAB"
eq "the lab is deleted" "$STATUS" 204
lw_teardown
