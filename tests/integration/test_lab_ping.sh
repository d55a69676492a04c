#!/bin/bash
# The foundation end to end: the h1 -- r1 -- h2 lab created over REST with
# real QEMU guests, h1 pings h2 across r1 (seen on h1's console), and stop
# leaves no QEMU, TAP or bridge behind.
. "$(dirname "$0")/lib.sh"
lw_setup

api POST /api/v1/labs "@$LW_ROOT/labs/samples/h1-r1-h2.json"
eq "whole-topology POST creates the lab" "$STATUS" 201
LAB=$(jqb .id)
eq "the lab has 3 nodes" "$(jqb '.nodes | length')" 3
eq "the lab has 2 links" "$(jqb '.links | length')" 2
eq "links are point-to-point" "$(jqb '[.links[].kind] | unique | join(",")')" p2p

# Watch the event stream while the lab starts.
nsexec curl -sN "$LW_URL/api/v1/events" >"$LW_TMP/events" 2>/dev/null &
EVENTS_PID=$!
sleep 0.3
api POST "/api/v1/labs/$LAB/start"
eq "start answers 202" "$STATUS" 202
check "every node reaches running" wait_for running 60 lab_nodes_are "$LAB" running
api GET /api/v1/system
want=tcg
[ "$(jqb .accelerators.kvm.available)" = true ] && want=kvm
api GET "/api/v1/labs/$LAB/nodes/h1"
eq "h1 runs with the accelerator the KVM probe allows" "$(jqb .accel_in_use)" "$want"
check "h1 says why it runs with it" jqt '.accel_reason | test("KVM")'
eq "lab state is running" "$(api GET "/api/v1/labs/$LAB"; jqb .state)" running
check "every node prints its readiness line" wait_for ready 120 lab_nodes_ready "$LAB"
kill "$EVENTS_PID" 2>/dev/null
wait "$EVENTS_PID" 2>/dev/null
running_events=$(grep '^data: ' "$LW_TMP/events" | sed 's/^data: //' |
	jq -r 'select(.type == "node" and .node.state == "running") | .node.name' | sort -u | tr '\n' ' ')
eq "the event stream announced each node running" "$running_events" "h1 h2 r1 "
check "and each node ready" test "$(grep -c '"ready":true' "$LW_TMP/events")" -ge 3
out=$(nsexec "$LW_BIN" --url "$LW_URL" lab show "$LAB")
check "the CLI shows the lab's nodes running" grep -qE 'r1 +running' <<<"$out"
api GET /api/v1/openapi.json
eq "the OpenAPI description is served" "$(jqb .openapi)" 3.0.3
check "it describes the node start endpoint" jqt '.paths["/api/v1/labs/{lab}/nodes/{node}/start"].post'

# The kernel's view: one TAP per NIC (4), no bridge: each point-to-point link
# is a redirect between its two TAPs, both ways.
eq "one TAP per NIC and no bridge" "$(lw_ifaces | sort | tr '\n' ' ')" \
	"$(printf '%s\n' lwt1n0 lwt2n0 lwt2n1 lwt3n0 | sort | tr '\n' ' ')"
redirect_of() { nsexec tc filter show dev "$1" ingress | sed -n 's/.*Egress Redirect to device \([^)]*\)).*/\1/p'; }
eq "h1's TAP redirects to r1's (link 1)" "$(redirect_of lwt1n0)" lwt2n0
eq "and r1's back to h1's" "$(redirect_of lwt2n0)" lwt1n0
eq "r1's second TAP redirects to h2's (link 2)" "$(redirect_of lwt2n1)" lwt3n0
api GET "/api/v1/labs/$LAB/links/1"
eq "link 1 reports the kernel fast path" "$(jqb .datapath)" kernel
eq "three QEMU processes run" "$(qemu_count)" 3

out=$(console "$LAB" h1 --send "ping -c 5 -W 3 10.0.2.10" \
	--expect '[1-5] packets received' --timeout 60)
check "h1 pings h2 across r1 (console shows replies)" \
	grep -qE '[1-5] packets received' <<<"$out"
check "the replies come from h2's address" grep -q 'bytes from 10.0.2.10' <<<"$out"
out=$(console "$LAB" h2 --send "hostname" --expect '^h2$' --timeout 20)
check "h2's hostname came from its config drive" grep -q '^h2' <<<"$out"

api POST "/api/v1/labs/$LAB/stop"
eq "stop answers 202" "$STATUS" 202
check "every node stops" wait_for stopped 60 lab_nodes_are "$LAB" stopped
check "no QEMU process remains" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
eq "no lw* TAP or bridge remains" "$(lw_ifaces | wc -l)" 0

api DELETE "/api/v1/labs/$LAB"
eq "delete answers 204" "$STATUS" 204
api GET "/api/v1/labs/$LAB"
eq "the lab is gone" "$STATUS" 404
check "the lab's files are gone" test ! -e "$LW_DATA/labs/$LAB"

# Every route the daemon serves is in the OpenAPI description it serves.
api GET /api/v1/openapi.json
missing=0
while read -r method pattern; do
	path=$(sed -E 's#/labs/\{\}#/labs/{lab}#; s#/nodes/\{\}#/nodes/{node}#; s#/links/\{\}#/links/{link}#; s#/captures/\{\}#/captures/{cap}#; s#/images/\{\}#/images/{image}#; s#/templates/\{\}#/templates/{template}#; s#/tokens/\{\}#/tokens/{token}#; s#/users/\{\}#/users/{user}#; s#/groups/\{\}#/groups/{group}#; s#/stages/\{\}#/stages/{stage}#; s#/grades/\{\}#/grades/{grade}#; s#/assignments/\{\}#/assignments/{assignment}#' <<<"$pattern")
	m=$(tr 'A-Z' 'a-z' <<<"$method")
	if ! jqb -e --arg p "$path" --arg m "$m" '.paths[$p][$m]' >/dev/null; then
		echo "# not in openapi.json: $method $path"
		missing=$((missing + 1))
	fi
done < <(grep -oE '\{"(GET|POST|PATCH|DELETE|PUT)", "/api/v1[^"]*"' "$LW_ROOT/web/api.c" | sed -E 's/^\{"([A-Z]+)", "([^"]*)"/\1 \2/')
eq "every route is described in openapi.json" "$missing" 0
