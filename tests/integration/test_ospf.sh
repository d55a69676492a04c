#!/usr/bin/env bash
# Real routing: the ospf-triangle sample lab (three FRR routers, a
# lightweight host behind r1 and one behind r2). OSPF converges (neighbours
# Full and routes learned, read from vtysh over the console endpoint), the
# hosts ping each other, setting r1-r2 down moves r1's route to h2's network
# onto r3 while the ping keeps working, and setting it up moves it back.
. "$(dirname "$0")/lib.sh"

[ -f "$LW_IMAGES/frr-router/initrd.img" ] || { echo "1..0 # SKIP no frr-router guest (make frr-guest)"; exit 0; }
lw_setup

vtysh() { # vtysh NODE COMMAND: BODY holds the output
	api POST "/api/v1/labs/ospf-triangle/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" '{send: $s, expect: "[a-z0-9]+# .{0,4}$", timeout_s: 20}')"
	OUT=$(jqb .output)
}
full_neighbours() { vtysh "$1" 'show ip ospf neighbor'; [ "$(grep -c 'Full' <<<"$OUT")" = "$2" ]; }
route_via() { vtysh r1 "show ip route 10.2.2.0/24"; grep -qE "\\* *$1, via eth" <<<"$OUT"; }
ping_h2() { # from h1's shell (a lightweight host)
	api POST /api/v1/labs/ospf-triangle/nodes/h1/console/exec \
		'{"send":"ping -c 2 -W 2 10.2.2.10 >/dev/null; echo PING-RC-$?","expect":"PING-RC-[0-9]","timeout_s":20}'
	jqt '.output | test("PING-RC-0")' # the echoed command shows "$?", never a digit
}
link_id() { # link_id A B: the link between nodes A and B
	api GET /api/v1/labs/ospf-triangle/links
	jqb --arg a "$1" --arg b "$2" '.links[] | select([.endpoints[].node] | sort == ([$a, $b] | sort)) | .id'
}

api POST /api/v1/labs "@$LW_ROOT/labs/samples/ospf-triangle.json"
eq "the ospf-triangle sample lab loads" "$STATUS" 201
T0=$SECONDS
api POST '/api/v1/labs/ospf-triangle/start?wait=ready&timeout=300'
eq "it starts, and ?wait=ready answers once every node is ready" "$STATUS" 200
echo "# all nodes ready in $((SECONDS - T0)) s"

check "r1 has 2 OSPF neighbours in state Full" wait_for r1-full 90 full_neighbours r1 2
check "r2 has 2 OSPF neighbours in state Full" wait_for r2-full 30 full_neighbours r2 2
check "r3 has 2 OSPF neighbours in state Full" wait_for r3-full 30 full_neighbours r3 2
echo "# converged $((SECONDS - T0)) s after the start"
# Full adjacencies come first; routes follow once SPF has run and zebra installed them.
learned() { vtysh "$1" 'show ip route ospf'; shift; for n in "$@"; do grep -q "O>\* *$n" <<<"$OUT" || return 1; done; }
check "r1 learned h2's network 10.2.2.0/24 and r2-r3's 10.0.23.0/24 by OSPF" \
	wait_for r1-routes 30 learned r1 10.2.2.0/24 10.0.23.0/24
check "r3 learned both hosts' networks" wait_for r3-routes 30 learned r3 10.1.1.0/24 10.2.2.0/24
check "r1 reaches 10.2.2.0/24 directly over r1-r2" wait_for direct 30 route_via 10.0.12.2
check "h1 pings h2 across the routers" wait_for ping 30 ping_h2

# --- r1-r2 down: the route moves onto r3 --------------------------------------------------
L12=$(link_id r1 r2)
api PATCH "/api/v1/labs/ospf-triangle/links/$L12" '{"state":"down"}'
eq "link r1-r2 is set down" "$STATUS" 200
T1=$SECONDS
check "r1 now reaches 10.2.2.0/24 via r3 (10.0.13.3)" wait_for reroute 60 route_via 10.0.13.3
echo "# rerouted $((SECONDS - T1)) s after the link went down"
check "h1 still pings h2, over r3" wait_for ping-r3 30 ping_h2
vtysh r1 'show ip ospf neighbor'
eq "r1 has 1 Full neighbour left" "$(grep -c Full <<<"$OUT")" 1

# --- r1-r2 up again: back to the direct path ------------------------------------------------
api PATCH "/api/v1/labs/ospf-triangle/links/$L12" '{"state":"up"}'
eq "link r1-r2 is set up" "$STATUS" 200
check "r1 has 2 Full neighbours again" wait_for r1-full-again 60 full_neighbours r1 2
check "r1 reaches 10.2.2.0/24 directly again" wait_for back 30 route_via 10.0.12.2
check "h1 pings h2" wait_for ping-back 30 ping_h2
STATUS=$(nsexec curl -s -o "$LW_TMP/r1.cfg" -w '%{http_code}' "$LW_URL/api/v1/labs/ospf-triangle/nodes/r1/config")
eq "r1's running config exports" "$STATUS" 200
check "  with its OSPF router-id" grep -q 'ospf router-id 1.1.1.1' "$LW_TMP/r1.cfg"

api POST /api/v1/labs/ospf-triangle/stop
check "the lab stops" wait_for stopped 60 lab_nodes_are ospf-triangle stopped
api DELETE /api/v1/labs/ospf-triangle
eq "and is deleted" "$STATUS" 204
check "no QEMU process remains" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
eq "no lw* interface remains" "$(lw_ifaces | wc -l)" 0
