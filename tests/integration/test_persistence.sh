#!/bin/bash
# Persistence: labs survive a daemon restart with the same ids, and a node
# left running by a daemon that went away is re-adopted by the next one.
. "$(dirname "$0")/lib.sh"
lw_setup

api POST /api/v1/labs '{"name":"keep","description":"survives restarts","nodes":[
	{"name":"n1","template":"tiny-linux","nics":1},{"name":"n2","template":"tiny-linux","nics":1}],
	"links":[{"endpoints":["n1:eth0","n2:eth0"]}]}'
eq "lab created" "$STATUS" 201
LAB=$(jqb .id)
IDS=$(jqb -c '[.id, [.nodes[].id], [.links[].id], [.nodes[].console.port], [.nodes[].interfaces[].mac]]')

lw_stop_daemon
lw_start_daemon
api GET /api/v1/labs/keep
eq "the lab is still there after a restart" "$STATUS" 200
eq "with the same ids, console ports and MACs" \
	"$(jqb -c '[.id, [.nodes[].id], [.links[].id], [.nodes[].console.port], [.nodes[].interfaces[].mac]]')" "$IDS"
eq "and its description" "$(jqb .description)" "survives restarts"

api POST "/api/v1/labs/$LAB/nodes/n1/start"
n1_running() { api GET "/api/v1/labs/$LAB/nodes/n1"; [ "$(jqb .state)" = running ]; }
check "n1 runs" wait_for running 60 n1_running
PID=$(qemu_pids | head -n 1)
check "n1's QEMU process is found" test -n "$PID"

lw_stop_daemon
check "QEMU outlives the daemon" kill -0 "$PID"
lw_start_daemon
api GET "/api/v1/labs/$LAB/nodes/n1"
eq "the new daemon re-adopts the running node" "$(jqb .state)" running
check "the same QEMU process still runs" kill -0 "$PID"
eq "its TAP was kept" "$(lw_ifaces | tr '\n' ' ')" "lwt1n0 "
# n2 is stopped: the link is idle and n1's TAP drops what n1 sends (the host stack never sees it).
api GET "/api/v1/labs/$LAB/links/1"
eq "its link is idle (one end runs)" "$(jqb .datapath)" idle
check "n1's TAP has the drop program at ingress" \
	sh -c "ip netns exec $LW_NS tc filter show dev lwt1n0 ingress | grep -q lw_drop"

api POST "/api/v1/labs/$LAB/stop"
check "the adopted node stops" wait_for stopped 60 lab_nodes_are "$LAB" stopped
check "its QEMU is gone" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
eq "no TAP or bridge remains" "$(lw_ifaces | wc -l)" 0
api DELETE "/api/v1/labs/$LAB"
eq "deleted" "$STATUS" 204
