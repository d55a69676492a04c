#!/bin/bash
# Hostile regexes (core/base/rx): a compile bomb as a template's
# ready_pattern and as an exec's expect is refused with 422 within a second,
# naming the limit, while the daemon stays small and keeps answering; a
# catastrophically backtracking pattern on a running node's console output
# ends that exec (and that node's readiness) with a clear error; a node
# takes at most 4 exec waits at once (the 5th: 429 with Retry-After).
# Namespace hosts (linux-host): real consoles, started in milliseconds.
. "$(dirname "$0")/lib.sh"
lw_setup

BOMB='((a{1,200}){1,200}){1,50}'
AS='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' # 38 a's: (a+)+$ would take 2^38 steps
now_ms() { date +%s%3N; }
# The peak resident size of the process serving HTTP (privsep: not the one started).
server_pid() { nsexec ss -Hltnp "sport = :$LW_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$(server_pid)/status"; }
tl() { jq -c "$1" "$LW_ROOT/images/templates/linux-host.json"; }

# --- compile bombs: 422 at once, the daemon stays small ---------------------------------
HWM0=$(hwm_kib)
t0=$(now_ms)
api POST /api/v1/templates "$(tl ".name = \"lh-bomb\" | .ready_pattern = \"$BOMB\"")"
t1=$(now_ms)
eq "a template whose ready_pattern is a compile bomb is refused with 422" "$STATUS" 422
check "  within a second ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1000
check "  and the message names the limit ($(jqb .error.message))" \
	jqt '.error.message | test("ready_pattern: .*regex .*limit")'
# Four bombs at once; the daemon answers a health check meanwhile.
for i in 1 2 3 4; do
	nsexec curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data-binary "$(tl ".name = \"lh-b$i\" | .ready_pattern = \"$BOMB\"")" \
		"$LW_URL/api/v1/templates" &
done
t0=$(now_ms)
api GET /api/v1/health
t1=$(now_ms)
eq "with four bombs in flight the daemon answers a health check" "$STATUS" 200
check "  within a second ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1000
api GET /api/v1/templates
check "none of the bombs became a template" jqt '[.templates[] | select(.name | startswith("lh-b"))] | length == 0'

# --- a lab of namespace hosts: h1 plain, h2 with a backtracking ready_pattern ------------
api POST /api/v1/templates "$(tl '.name = "lh-bt" | .ready_pattern = "(a+)+$"')"
eq "a template with a backtracking (but small) ready_pattern is accepted" "$STATUS" 201
api POST /api/v1/labs "{\"name\":\"rx\",\"nodes\":[
	{\"name\":\"h1\",\"template\":\"linux-host\",\"nics\":1},
	{\"name\":\"h2\",\"template\":\"lh-bt\",\"nics\":1,\"startup_config\":\"echo ${AS}b\\n\"}],\"links\":[]}"
eq "lab created" "$STATUS" 201
LAB=$(jqb .id)
api POST "/api/v1/labs/$LAB/start"
eq "lab start answers 202" "$STATUS" 202
h1_ready() { api GET "/api/v1/labs/$LAB/nodes/h1"; jqt '.ready == true'; }
check "h1 becomes ready" wait_for h1 30 h1_ready
h2_failed() { api GET "/api/v1/labs/$LAB/nodes/h2"; jqt '.error | test("ready_pattern: .*regex match limit")'; }
check "h2's ready_pattern hitting the match limit on its console shows as the node's error" \
	wait_for h2 30 h2_failed
check "  and h2 is not ready" jqt '.ready != true'

# exec_on NODE SEND EXPECT TIMEOUT_S: POST console/exec; sets STATUS and BODY.
exec_on() {
	api POST "/api/v1/labs/$LAB/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg e "$3" --argjson t "$4" '{send: $s, expect: $e, timeout_s: $t}')"
}
exec_on h1 'echo r$((1+1))x' 'r2x$' 10
eq "a plain exec on h1 matches" "$STATUS" 200

# --- the bomb as an exec's expect ---------------------------------------------------------
t0=$(now_ms)
exec_on h1 'echo hi' "$BOMB" 10
t1=$(now_ms)
eq "an exec whose expect is a compile bomb is refused with 422" "$STATUS" 422
check "  within a second ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1000
check "  naming the limit ($(jqb .error.message))" jqt '.error.message | test("^expect: .*regex .*limit")'
HWM1=$(hwm_kib)
check "the daemon's peak memory grew by under 64 MiB through all the bombs ($HWM0 -> $HWM1 KiB)" \
	test -n "$HWM0" -a -n "$HWM1" -a $((${HWM1:-0} - ${HWM0:-0})) -lt 65536

# --- catastrophic backtracking on the node's output ends the exec ------------------------
t0=$(now_ms)
exec_on h1 "echo ${AS}b" '(a+)+$' 20
t1=$(now_ms)
eq "an exec whose expect backtracks catastrophically on the output ends with 422" "$STATUS" 422
check "  naming the match limit ($(jqb .error.message))" jqt '.error.message | test("regex match limit")'
check "  at once, not at its 20 s timeout ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 5000
exec_on h1 'echo af$((2+3))ter' 'af5ter$' 10
eq "the console works on after it" "$STATUS" 200

# --- one item that reads far: a possessive repeat over a 1 MB line with no end -----------------
# Each start position read the rest of the line (quadratic): the old search held a core
# for the exec's whole timeout and ended 408; what items read counts toward the step limit.
t0=$(now_ms)
exec_on h1 'head -c 1000000 /dev/zero | tr "\\0" a' '[^\n]*+(?:z|y)' 20
t1=$(now_ms)
eq "an exec whose expect re-reads a 1 MB line from every position ends with 422" "$STATUS" 422
check "  naming the step limit ($(jqb .error.message))" jqt '.error.message | test("regex step limit")'
check "  at once, not at its 20 s timeout ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 5000
exec_on h1 'echo af$((3+3))ter' 'af6ter$' 10
eq "the console works on after it" "$STATUS" 200

# --- at most 4 exec waits per node -----------------------------------------------------------
# waiter I: an exec waiting up to 20 s for "rel42ease"; one the 5th-call probe
# below crowded out (429) tries again, so 4 end up waiting.
waiter() {
	local code
	while :; do
		code=$(nsexec curl -s -o "$LW_TMP/wait$1" -w '%{http_code}' -X POST \
			-H 'Content-Type: application/json' --data-binary '{"expect":"rel42ease$","timeout_s":20}' \
			"$LW_URL/api/v1/labs/$LAB/nodes/h1/console/exec")
		[ "$code" = 429 ] || break
		sleep 0.2
	done
	echo "$code" >"$LW_TMP/code$1"
}
for i in 1 2 3 4; do waiter "$i" & done
fifth() {
	nsexec curl -s -D "$LW_TMP/h5" -o "$LW_TMP/b5" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' --data-binary '{"expect":"^x5$","timeout_s":1}' \
		"$LW_URL/api/v1/labs/$LAB/nodes/h1/console/exec" >"$LW_TMP/code5"
	[ "$(cat "$LW_TMP/code5")" = 429 ]
}
check "with 4 exec calls waiting on h1, a 5th is refused with 429" wait_for fifth 10 fifth
check "  with Retry-After" grep -qi '^Retry-After: [1-9]' "$LW_TMP/h5"
check "  and a message naming the limit ($(jq -r .error.message "$LW_TMP/b5"))" \
	jq -e '.error.message | test("4 exec calls waiting")' "$LW_TMP/b5" >/dev/null
out=$(console "$LAB" h1 --send 'echo rel$((40+2))ease' --expect 'rel42ease$' --timeout 10)
check "the telnet console (no exec wait) still types on h1" grep -q 'rel42ease' <<<"$out"
all_done() { for i in 1 2 3 4; do [ -s "$LW_TMP/code$i" ] || return 1; done; }
check "the 4 waiting execs end" wait_for waits 15 all_done
eq "  each with a match (200)" "$(cat "$LW_TMP"/code[1-4] | tr -d '\n')" 200200200200
exec_on h1 'echo ag$((2+4))ain' 'ag6ain$' 10
eq "once they ended, an exec is taken again" "$STATUS" 200

api POST "/api/v1/labs/$LAB/stop"
lab_down() {
	api GET "/api/v1/labs/$LAB"
	jqt '[.nodes[] | select(.state == "running" or .state == "stopping")] | length == 0'
}
check "the lab stops" wait_for stop 30 lab_down
check "  h1 stopped" jqt '.nodes[] | select(.name == "h1") | .state == "stopped"'
check "  h2, never judged ready, ends in error saying why" \
	jqt '.nodes[] | select(.name == "h2") | .state == "error" and (.error | test("regex match limit"))'
