#!/bin/bash
# Bad input: each answered with the documented status and {"error":...},
# and nothing changed (read back after each).
. "$(dirname "$0")/lib.sh"
lw_setup

# err_is DESC STATUS CODE: the last answer had this status and error code.
err_is() {
	eq "$1: status" "$STATUS" "$2"
	eq "$1: error code" "$(jqb .error.code 2>/dev/null)" "$3"
	check "$1: error message" test -n "$(jqb .error.message 2>/dev/null)"
}

# A snapshot of everything the API shows, to prove nothing changed.
snapshot() {
	api GET /api/v1/labs
	local s=$BODY l
	for l in $(jqb '.labs[].id'); do
		api GET "/api/v1/labs/$l"
		s="$s$(jqb -c 'del(.nodes[].state, .nodes[].ready, .nodes[].error, .state, .memory_mb, .nodes[].memory_mb)')"
	done
	printf '%s' "$s"
}
unchanged() { eq "$1: nothing changed" "$(snapshot)" "$BEFORE"; }

api POST /api/v1/labs '{"name":"base","nodes":[{"name":"a","template":"tiny-linux","nics":2},
	{"name":"b","template":"tiny-linux","nics":2}],"links":[{"endpoints":["a:eth0","b:eth0"]}]}'
eq "base lab created" "$STATUS" 201
LAB=$(jqb .id)
BEFORE=$(snapshot)

api POST /api/v1/labs '{"name": "x",'
err_is "malformed JSON" 400 bad_request; unchanged "malformed JSON"
api POST /api/v1/labs '{"name": 12}'
err_is "name of the wrong type" 422 invalid; unchanged "wrong type"
api POST /api/v1/labs '{"name": "x", "nodes": [{"name": "n", "template": "tiny-linux", "cpus": "two"}]}'
err_is "node field of the wrong type" 422 invalid; unchanged "node field type"
api POST /api/v1/labs '{"name": "x", "colour": "blue"}'
err_is "unknown field" 422 invalid; unchanged "unknown field"
api POST /api/v1/labs "{\"name\": \"$(printf 'a%.0s' $(seq 64))\"}"
err_is "name too long" 422 invalid; unchanged "long name"
api POST /api/v1/labs '{"name": "a/b"}'
err_is "name with /" 422 invalid; unchanged "slash"
api POST /api/v1/labs '{"name": ".."}'
err_is "name .." 422 invalid; unchanged "dotdot"
api POST /api/v1/labs '{"name": "base"}'
err_is "duplicate lab name" 409 conflict; unchanged "duplicate lab"
api POST /api/v1/labs '{"name": "42"}'
err_is "an all-digit name (it would read as an id)" 422 invalid; unchanged "digit name"
api PUT /api/v1/labs '{"name": "x"}'
err_is "a method the path does not serve" 405 method_not_allowed; unchanged "wrong method"
api POST /api/v1/labs '{"name": "x", "nodes": [5]}'
err_is "a node that is not an object" 422 invalid; unchanged "node not an object"
api POST "/api/v1/labs/$LAB/nodes" '{"name": "a", "template": "tiny-linux"}'
err_is "duplicate node name" 409 conflict; unchanged "duplicate node"
api POST "/api/v1/labs/$LAB/nodes" '{"name": "c", "template": "ios-xr-dreams"}'
err_is "unknown template" 422 invalid; unchanged "unknown template"
api POST "/api/v1/labs/$LAB/links" '{"endpoints": ["a:eth1", "ghost:eth0"]}'
err_is "link to a missing node" 422 invalid; unchanged "missing node"
api POST "/api/v1/labs/$LAB/links" '{"endpoints": ["a:eth1", "b:eth7"]}'
err_is "link to a missing interface" 422 invalid; unchanged "missing interface"
api POST "/api/v1/labs/$LAB/links" '{"endpoints": ["a:eth0", "b:eth1"]}'
err_is "an interface linked twice" 409 conflict; unchanged "linked twice"
api POST "/api/v1/labs/$LAB/links" '{"endpoints": ["a:eth1", "a:eth1"]}'
err_is "one interface twice in a link" 422 invalid; unchanged "same interface twice"
api POST "/api/v1/labs/$LAB/links" '{"endpoints": ["a:eth1"]}'
err_is "a link with one endpoint" 422 invalid; unchanged "one endpoint"
# All or nothing: a topology whose last link is bad creates no lab at all.
api POST /api/v1/labs '{"name": "half", "nodes": [{"name": "n1", "template": "tiny-linux"}],
	"links": [{"endpoints": ["n1:eth0", "n2:eth0"]}]}'
err_is "topology with a bad link" 422 invalid; unchanged "all-or-nothing topology"
api GET /api/v1/labs/half
eq "the half lab does not exist" "$STATUS" 404
# Oversized body (the default limit is 1 MiB).
head -c 2000000 /dev/zero | tr '\0' ' ' >"$LW_TMP/big.json"
api POST /api/v1/labs "@$LW_TMP/big.json"
err_is "oversized body" 413 too_large; unchanged "oversized body"
api GET /api/v1/labs/nosuchlab
err_is "unknown lab" 404 not_found
api GET "/api/v1/labs/%2e%2e"
err_is "path traversal in a lab reference" 404 not_found
api PATCH "/api/v1/labs/$LAB/links/1" '{"impairment": {"loss_pct": 100.5}}'
err_is "loss above 100 %" 422 invalid; unchanged "loss above 100 %"
api PATCH "/api/v1/labs/$LAB/links/1" '{"impairment": {"reorder_pct": 10}}'
err_is "reordering without a delay" 422 invalid; unchanged "reordering without a delay"
api PATCH "/api/v1/labs/$LAB/links/1" '{"impairment": {"delay_ms": 5, "jitter_ms": 10}}'
err_is "jitter above the delay" 422 invalid; unchanged "jitter above the delay"
api PATCH "/api/v1/labs/$LAB/links/1" '{"impairment": {"loss_pct": 80, "loss_burst": 2}}'
err_is "more loss than bursts of 2 can give" 422 invalid; unchanged "more loss than bursts of 2 can give"
api PATCH "/api/v1/labs/$LAB/links/1" '{"impairment": {"a_to_b": {"seed": 3}}}'
err_is "a seed inside one direction" 422 invalid; unchanged "a seed inside one direction"
api PATCH "/api/v1/labs/$LAB/links/1" '{"impairment": {"delay_ms": "10"}}'
err_is "a delay as a string" 422 invalid; unchanged "a delay as a string"
api PATCH "/api/v1/labs/$LAB/links/1" '{"state": "down", "impairment": {"jitter_ms": -1}}'
err_is "a bad impairment next to a good state" 422 invalid; unchanged "a bad impairment next to a good state"

# What a web page elsewhere could make a browser send is refused.
code() { nsexec curl -s -o "$LW_TMP/body" -w '%{http_code}' "$@"; }
eq "a POST from a foreign page's origin is refused (403)" \
	"$(code -X POST -H 'Origin: http://evil.example' -H 'Content-Type: application/json' \
		--data '{"name":"csrf"}' "$LW_URL/api/v1/labs")" 403
api GET /api/v1/labs/csrf
eq "and made no lab" "$STATUS" 404
eq "a POST from this daemon's own page is fine" \
	"$(code -X POST -H "Origin: $LW_URL" -H 'Content-Type: application/json' \
		--data '{"name":"same-origin"}' "$LW_URL/api/v1/labs")" 201
api DELETE /api/v1/labs/same-origin
eq "a request for another Host name (DNS rebinding) is refused (403)" \
	"$(code -H 'Host: rebound.example:18080' "$LW_URL/api/v1/labs")" 403
eq "and so is the page itself" "$(code -H 'Host: rebound.example:18080' "$LW_URL/")" 403
eq "localhost is this daemon too" "$(code -H "Host: localhost:${LW_URL##*:}" "$LW_URL/api/v1/health")" 200

# State rules need a running node.
api POST "/api/v1/labs/$LAB/nodes/a/start"
eq "node a starts" "$STATUS" 202
node_running() { api GET "/api/v1/labs/$LAB/nodes/a"; [ "$(jqb .state)" = running ]; }
check "node a runs" wait_for running 60 node_running
BEFORE=$(snapshot)
api PATCH "/api/v1/labs/$LAB/nodes/a" '{"ram_mb": 512}'
err_is "PATCH of hardware on a running node" 409 conflict; unchanged "hardware patch"
api POST "/api/v1/labs/$LAB/nodes/a/start"
err_is "starting a running node" 409 conflict
api PATCH "/api/v1/labs/$LAB/nodes/a" '{"x": 42}'
eq "moving a running node is fine" "$STATUS" 200
api POST "/api/v1/labs/$LAB/nodes/a/wipe"
err_is "wiping a running node" 409 conflict
api POST "/api/v1/labs/$LAB/nodes/b/reload"
err_is "reloading a stopped node" 409 conflict
PID_BEFORE=$(qemu_pids)
api POST "/api/v1/labs/$LAB/nodes/a/reload"
eq "reload of a running node answers 202" "$STATUS" 202
check "the reloaded node runs again" wait_for running 60 node_running
PID_AFTER=$(qemu_pids)
check "in a new QEMU process" test -n "$PID_AFTER" -a "$PID_BEFORE" != "$PID_AFTER"
eq "only one QEMU runs" "$(qemu_count)" 1
api POST "/api/v1/labs/$LAB/nodes/b/wipe"
eq "wiping a stopped node answers 202" "$STATUS" 202

# DELETE of a running lab: documented as stop-then-delete, 204, nothing left.
api DELETE "/api/v1/labs/$LAB"
eq "DELETE of a running lab stops it and answers 204" "$STATUS" 204
api DELETE "/api/v1/labs/$LAB"
err_is "a second DELETE" 404 not_found
api GET "/api/v1/labs/$LAB"
eq "the running lab is gone" "$STATUS" 404
check "its QEMU is gone" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
eq "its TAPs and bridges are gone" "$(lw_ifaces | wc -l)" 0
