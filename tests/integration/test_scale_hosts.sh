#!/bin/bash
# Many lightweight hosts: 200 namespace hosts with 4 interfaces each and 400
# point-to-point links (a ring, and chords to the host two along) are wired
# through batched netlink, forward (spot-checked with pings), and are
# unwired with nothing left behind: no interface, no namespace process, no
# console socket.
. "$(dirname "$0")/lib.sh"
N=${LW_SCALE_HOSTS:-200}
LW_CONSOLE_MAX=$((6000 + N + 10))
lw_setup

{
	printf '{"name":"scale","nodes":['
	for i in $(seq 1 "$N"); do
		[ "$i" -gt 1 ] && printf ','
		# 10.<link>.x: each ring link a /30 of its own: h_i eth0 .1, h_{i+1} eth1 .2
		printf '{"name":"h%d","template":"linux-host","nics":4,"startup_config":"ip addr add 10.1.%d.1/24 dev eth0\\nip addr add 10.1.%d.2/24 dev eth1\\n"}' \
			"$i" $((i % 250)) $((((i + N - 2) % N + 1) % 250))
	done
	printf '],"links":['
	for i in $(seq 1 "$N"); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"endpoints":["h%d:eth0","h%d:eth1"]},' "$i" $((i % N + 1))
		printf '{"endpoints":["h%d:eth2","h%d:eth3"]}' "$i" $(((i + 1) % N + 1))
	done
	printf ']}'
} >"$LW_TMP/scale.json"
api POST /api/v1/labs "@$LW_TMP/scale.json"
eq "a lab of $N hosts and $((2 * N)) links is created" "$STATUS" 201
eq "with $((2 * N)) links" "$(jqb '.links | length')" $((2 * N))
LAB=$(jqb .id)
t0=$(date +%s.%N)
api POST "/api/v1/labs/$LAB/start"
wait_for "all running" 180 lab_nodes_are scale running
t1=$(date +%s.%N)
check "all $N hosts run" lab_nodes_are scale running
echo "# $N hosts started and $((2 * N)) links wired in $(echo "$t1 - $t0" | bc) s"
wait_for "all ready" 60 lab_nodes_ready scale
eq "every host-side interface exists ($((4 * N)))" "$(lw_ifaces | grep -c '^lwt')" $((4 * N))
api GET "/api/v1/labs/$LAB/links"
eq "every link is on the kernel fast path" "$(jqb '[.links[] | select(.datapath != "kernel")] | length')" 0
redirects() { nsexec tc filter show dev "$1" ingress 2>/dev/null | grep -c 'Egress Redirect'; }
eq "an interface's ingress redirects to its peer" "$(redirects lwt1n0)" 1

in_node() { api GET "/api/v1/labs/$LAB/nodes/$1"; nsenter --net=/proc/$(jqb .pid)/ns/net "${@:2}"; }
pings() { in_node "$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1; }
# h_i eth0 (10.1.i.1) is linked to h_{i+1} eth1 (10.1.i.2).
for i in 1 77 $N; do
	j=$((i % N + 1))
	check "ring link h$i -- h$j forwards (ping 10.1.$((i % 250)).2)" pings "h$i" "10.1.$((i % 250)).2"
done

t0=$(date +%s.%N)
api POST "/api/v1/labs/$LAB/stop"
wait_for "all stopped" 120 lab_nodes_are scale stopped
t1=$(date +%s.%N)
echo "# stopped and unwired in $(echo "$t1 - $t0" | bc) s"
check "all $N hosts stopped" lab_nodes_are scale stopped
gone() { [ -z "$(lw_ifaces)" ]; }
wait_for "interfaces gone" 20 gone
eq "no lw* interface remains" "$(lw_ifaces | wc -l)" 0
no_nshost() { ! pgrep -f "nshost --console $LW_DATA" >/dev/null; }
check "no namespace host process remains" no_nshost
eq "no console socket remains" "$(find "$LW_DATA/run" -name '*.con' | wc -l)" 0
api DELETE "/api/v1/labs/$LAB"
eq "the lab is deleted" "$STATUS" 204
lw_teardown
