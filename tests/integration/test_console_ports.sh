#!/bin/bash
# Telnet console ports listen only while their node runs: a lab of 50
# stopped namespace hosts adds no listening socket and (about) no fd to the
# daemon; a started node's port listens and takes a telnet client; stopped,
# its port refuses again (the port stays the node's, in its JSON).
. "$(dirname "$0")/lib.sh"
N=50
lw_setup

# The unprivileged daemon (with privsep, $LW_PID is its privileged parent):
# the process that listens on the API's port.
DPID=$(nsexec ss -ltnpH "sport = :$LW_PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
check "the daemon's listening process is found" test -n "$DPID"
# Its fds but the store's: each server thread opens its own read connection to the
# database (3 fds) on its first read, whenever that comes.
nfds() {
	local n=0 f
	for f in /proc/"$DPID"/fd/*; do
		case "$(readlink "$f")" in *.db | *.db-wal | *.db-shm) ;; *) n=$((n + 1)) ;; esac
	done
	echo "$n"
}
# listening PORT: something in the namespace listens on 127.0.0.1:PORT.
listening() { [ -n "$(nsexec ss -ltnH "sport = :$1")" ]; }
# console_listeners: how many ports of the console range listen.
console_listeners() { nsexec ss -ltnH '( sport >= :6000 and sport <= :6099 )' | grep -c . || true; }
refused() { ! nsexec bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

fds0=$(nfds)
hosts_lab ports "$N" 1 >"$LW_TMP/ports.json"
api POST /api/v1/labs "@$LW_TMP/ports.json"
eq "a lab of $N stopped namespace hosts is created" "$STATUS" 201
LAB=$(jqb .id)
eq "each has a telnet console port of its own" \
	"$(jqb '[.nodes[] | select(.console.type == "telnet" and .console.port >= 6000) | .console.port] | unique | length')" "$N"
PORT1=$(jqb '.nodes[] | select(.name == "h1") | .console.port')
PORT2=$(jqb '.nodes[] | select(.name == "h2") | .console.port')
fds1=$(nfds)
echo "# daemon fds: $fds0 before the lab, $fds1 after"
check "defining $N stopped nodes adds (about) no fd to the daemon ($fds0 -> $fds1)" \
	test $((fds1 - fds0)) -lt 10
eq "no console port listens while every node is stopped" "$(console_listeners)" 0
check "a stopped node's console port refuses connections" refused "$PORT1"

api POST "/api/v1/labs/$LAB/nodes/h1/start"
eq "h1 start answers 202" "$STATUS" 202
h1_is() { api GET "/api/v1/labs/$LAB/nodes/h1"; [ "$(jqb .state)" = "$1" ]; }
check "h1 runs" wait_for running 30 h1_is running
check "h1's console port listens" wait_for listen 10 listening "$PORT1"
eq "and only h1's" "$(console_listeners)" 1
# The shell's bracketed-paste escapes may open an output line: no ^ anchor (the
# echoed command has $((6*7)), not 42).
out=$(console "$LAB" h1 --send 'echo tel$((6*7))net' --expect 'tel42net' --timeout 15 2>&1)
check "a telnet client on h1's port reaches its shell" grep -q 'tel42net' <<<"$out"
check "h2, still stopped, refuses" refused "$PORT2"

api POST "/api/v1/labs/$LAB/nodes/h1/stop"
check "h1 stops" wait_for stopped 30 h1_is stopped
check "h1's console port is gone" wait_for unlisten 10 eval '! listening '"$PORT1"
check "and refuses connections" refused "$PORT1"
api GET "/api/v1/labs/$LAB/nodes/h1"
eq "the stopped h1 keeps its console port in its JSON" "$(jqb .console.port)" "$PORT1"
eq "no console port listens" "$(console_listeners)" 0
fds2=$(nfds)
check "the daemon's fds are back near where they were ($fds1 -> $fds2)" test $((fds2 - fds1)) -lt 10

# A daemon restart with h1 running: the re-adopted node's port listens, no other does.
api POST "/api/v1/labs/$LAB/nodes/h1/start"
check "h1 runs again" wait_for running 30 h1_is running
lw_stop_daemon
lw_start_daemon
check "after a daemon restart h1 is re-adopted running" h1_is running
check "and its console port listens" wait_for listen 10 listening "$PORT1"
eq "and only its" "$(console_listeners)" 1
out=$(console "$LAB" h1 --send 'echo re$((2*2))dopt' --expect 're4dopt' --timeout 15 2>&1)
check "a telnet client works on the re-adopted node's port" grep -q 're4dopt' <<<"$out"

api DELETE "/api/v1/labs/$LAB"
eq "deleting the lab (stopping h1) answers 204" "$STATUS" 204
check "no console port listens after the delete" wait_for unlisten 10 eval 'test "$(console_listeners)" = 0'
# A re-adopted node is a former daemon's child: its end is seen, not reaped.
if grep -q "was not started here" "$LW_TMP/daemon.log"; then
	notok "stopping the re-adopted node asks the parent to reap what it never started"
	grep "was not started here" "$LW_TMP/daemon.log" | sed 's/^/# /'
else
	ok "stopping the re-adopted node asks no reap of a process this daemon never started"
fi
lw_teardown
