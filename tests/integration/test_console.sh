#!/bin/bash
# Daemon-owned consoles: several telnet clients at once, the scrollback a
# late client gets, the WebSocket (real client library; Origin, ping, close),
# send/expect over REST (match, timeout, bad regex, stopped node), the
# console log, the console port and attached clients across a daemon restart
# and a node stop/start, and bad input (malformed WebSocket frames, an
# over-long frame, telnet garbage) that leaves the node and the other clients
# working.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # a pyenv python on PATH would lack python3-websockets
WSC="$LW_ROOT/tests/integration/wsclient.py"
NL=$'\n'
lw_setup

create_pair con
eq "lab of two nodes created" "$STATUS" 201
LAB=$(jqb .id)
PORT_A=$(jqb '.nodes[] | select(.name == "a") | .console.port')
PORT_B=$(jqb '.nodes[] | select(.name == "b") | .console.port')
check "each node has its own console port from 6000 up" \
	test "$PORT_A" -ge 6000 -a "$PORT_B" -ge 6000 -a "$PORT_A" != "$PORT_B"
api POST "/api/v1/labs/$LAB/start"
eq "start answers 202" "$STATUS" 202
check "both nodes become ready" wait_for ready 60 lab_nodes_ready "$LAB"

NODE_A=/api/v1/labs/$LAB/nodes/a
WS_URL=ws://127.0.0.1:$LW_PORT$NODE_A/console

# exec_on NODE SEND EXPECT TIMEOUT_S: POST console/exec; sets STATUS and BODY.
exec_on() {
	api POST "/api/v1/labs/$LAB/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg e "$3" --argjson t "$4" '{send: $s, expect: $e, timeout_s: $t}')"
}
# log_has REGEX: node a's console log (over REST) has a line matching REGEX.
log_has() {
	nsexec curl -s "$LW_URL$NODE_A/console.log" | tr -d '\r' | grep -qE "$1"
}
node_a_is() { api GET "$NODE_A"; [ "$(jqb .state)" = "$1" ]; }
node_a_ready() { api GET "$NODE_A"; [ "$(jqb .ready)" = true ]; }
ws() { nsexec "$PY" "$WSC" "$@"; }

# --- a client attaching after boot gets the scrollback ------------------------
out=$(console "$LAB" a --expect 'labwire: ready' --timeout 10)
check "a telnet client attaching after boot sees 'labwire: ready' (scrollback)" \
	grep -q 'labwire: ready' <<<"$out"

# --- two telnet clients at once -------------------------------------------------
# B attaches and types; A waits for B's output, so B is surely attached when A types.
console "$LAB" a --send 'echo B$((1+1))on' --expect '^42xyz$' --timeout 30 >"$LW_TMP/clientB" 2>&1 &
B_PID=$!
out=$(console "$LAB" a --expect '^B2on$' --send 'echo $((6*7))xyz' --expect '^42xyz$' --timeout 30)
check "client A sees the output of the command client B typed" grep -q '^B2on' <<<"$out"
check "client A sees the output of its own command" grep -q '^42xyz' <<<"$out"
wait "$B_PID"
eq "client B, attached at the same time, exits 0" "$?" 0
check "client B sees the output of A's command too" grep -q '^42xyz' "$LW_TMP/clientB"

# --- the WebSocket ----------------------------------------------------------------
out=$(ws chat "$WS_URL" --scrollback 'labwire: ready' --send 'echo $((7*6))wsA' --expect '^42wsA$')
eq "WebSocket without Origin: scrollback, then a command's output on its own line" "$?" 0
check "the WebSocket client saw it" grep -q '^42wsA$' <<<"$out"
out=$(ws chat "$WS_URL" --origin "http://127.0.0.1:$LW_PORT" --scrollback 'labwire: ready' \
	--send 'echo $((7*6))wsB' --expect '^42wsB$')
eq "WebSocket with an Origin matching Host works the same" "$?" 0
eq "a foreign Origin is refused with 403" "$(ws status "$WS_URL" --origin http://evil.example)" 403
eq "a matching Origin is accepted (101)" "$(ws status "$WS_URL" --origin "http://127.0.0.1:$LW_PORT")" 101
eq "a ping gets its pong" "$(ws ping "$WS_URL")" pong
eq "a clean close is echoed with 1000" "$(ws close "$WS_URL")" 1000

# --- send/expect over REST ----------------------------------------------------------
exec_on a 'ping -c 3 10.9.0.2' '3 packets received' 20
eq "exec: ping across the link answers 200" "$STATUS" 200
eq "exec: matched is true" "$(jqb .matched)" true
check "exec: the output holds the replies from b" jqt '.output | test("bytes from 10.9.0.2")'
exec_on a 'echo nev$((1+1))er' '^never-printed$' 2
eq "exec: nothing matching within timeout_s answers 408" "$STATUS" 408
eq "exec: the error code is timeout" "$(jqb .error.code)" timeout
eq "exec: matched is false" "$(jqb .matched)" false
check "exec: the 408 still holds what was seen (the command's output)" \
	jqt '.output | test("nev2er")'
exec_on a 'true' '(unclosed' 5
eq "exec: a bad regex answers 422" "$STATUS" 422
exec_on a 'true' '(a*)*\1c' 5
eq "exec: a back-reference (exponential matching) answers 422" "$STATUS" 422
api POST "$NODE_A/console/exec" '{"send":"true"}'
eq "exec: a body without expect answers 422" "$STATUS" 422
api POST "$NODE_A/console/exec" '{"expect":"x","timeout_s":"soon"}'
eq "exec: a timeout_s of the wrong type answers 422" "$STATUS" 422
api POST "/api/v1/labs/$LAB/nodes/b/stop"
b_stopped() { api GET "/api/v1/labs/$LAB/nodes/b"; [ "$(jqb .state)" = stopped ]; }
check "node b stops" wait_for stopped 30 b_stopped
exec_on b 'true' 'x' 2
eq "exec on a stopped node answers 409" "$STATUS" 409

# --- the console log ---------------------------------------------------------------
nsexec curl -s -o "$LW_TMP/console.log" -w '%{http_code} %{content_type}' "$LW_URL$NODE_A/console.log" >"$LW_TMP/log.status"
check "GET console.log answers 200 text/plain" grep -q '^200 text/plain' "$LW_TMP/log.status"
check "the console log has the readiness line" grep -q 'labwire: ready' "$LW_TMP/console.log"
check "the console log has the ping output" grep -q 'bytes from 10.9.0.2' "$LW_TMP/console.log"

# --- bad input leaves the node and the other clients working ------------------------
# Two observers stay attached through all of it: a telnet client (it must see
# every proof in order) and a WebSocket client (it must see the last one).
console "$LAB" a --send 'echo D$((1+3))on' --expect '^ok11$' --expect '^ok12$' \
	--expect '^ok13$' --expect '^ok14$' --timeout 45 >"$LW_TMP/clientD" 2>&1 &
D_PID=$!
check "telnet observer attached" wait_for observer 10 log_has '^D4on'
ws chat "$WS_URL" --send 'echo W$((2+3))on' --expect '^ok14$' --timeout 45 >"$LW_TMP/clientW" 2>&1 &
W_PID=$!
check "WebSocket observer attached" wait_for observer 10 log_has '^W5on'

# still_works N DESC: right after bad input, a send/expect on node a (echo ok1N).
still_works() {
	exec_on a "echo ok\$((10+$1))" "^ok1$1\$" 10
	eq "after $2: send/expect on the node still works" "$STATUS" 200
	[ "$STATUS" = 200 ] || jqb .output | cat -A | tail -n 15 | sed 's/^/# exec output: /'
}
eq "an unmasked client frame is closed with 1002 and dropped" \
	"$(ws raw 127.0.0.1 "$LW_PORT" "$NODE_A/console" unmasked)" "1002 closed"
still_works 1 "an unmasked frame"
eq "a frame with a reserved bit set is closed with 1002 and dropped" \
	"$(ws raw 127.0.0.1 "$LW_PORT" "$NODE_A/console" rsv)" "1002 closed"
still_works 2 "a frame with RSV1"
eq "a frame announcing 10 MB is closed with 1009 and dropped" \
	"$(ws raw 127.0.0.1 "$LW_PORT" "$NODE_A/console" toobig)" "1009 closed"
still_works 3 "an over-long frame"
# A telnet client sending broken negotiation mixed with text: WILL/DO of
# options nobody knows, DO of IAC itself, a subnegotiation cut short by text,
# then random IAC sequences and letters. It ends each line (closing
# any open subnegotiation first) and waits until the shell has said all it will.
nsexec "$PY" - "$PORT_A" <<'EOF'
import random, socket, sys, time
rnd = random.Random(7)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
chunks = [b"\xff\xfb\x99\xff\xfd\xff\xff\xfa\x18\x01\xff", b"echo gar$((1+1))bage\r",
          b"\xff\xfa\xff\xff\xff\xf0\xff", b"\xff\xfd", b"\xff\xfe\x00\xff\xfc", b"tail\r"]
def token():
    k = rnd.randrange(5)
    if k == 0:  # WILL/WONT/DO/DONT of any option
        return bytes([255, rnd.randrange(251, 255), rnd.randrange(256)])
    if k == 1:  # a subnegotiation, ended or not
        return bytes([255, 250] + [rnd.randrange(256) for _ in range(rnd.randrange(8))]) + \
            rnd.choice([b"\xff\xf0", b"", b"\xff"])
    if k == 2:  # any command byte, known or not
        return bytes([255, rnd.randrange(240, 256)])
    return bytes(rnd.choice(b"ABCxyz ") for _ in range(rnd.randrange(1, 6)))
chunks += [b"".join(token() for _ in range(12)) + b"\xff\xf0\r" for _ in range(30)]
try:
    for c in chunks:
        s.sendall(c)
        time.sleep(0.01)
    s.settimeout(1.5)
    while s.recv(65536):
        pass
except OSError:
    pass
s.close()
EOF
still_works 4 "telnet garbage negotiation"
check "the daemon still runs" kill -0 "$LW_PID"
wait "$D_PID"
eq "the telnet observer stayed attached and saw every proof" "$?" 0
wait "$W_PID"
eq "the WebSocket observer stayed attached and saw the last proof" "$?" 0

# --- console port and clients across a daemon restart and a node stop/start ----------
lw_stop_daemon
lw_start_daemon
api GET "$NODE_A"
eq "after a daemon restart node a is re-adopted running" "$(jqb .state)" running
eq "and keeps its console port" "$(jqb .console.port)" "$PORT_A"
exec_on a 'echo re$((2*2))start' '^re4start$' 10
eq "send/expect works on the re-adopted console" "$STATUS" 200
out=$(console "$LAB" a --send 'echo tel$((3*3))net' --expect '^tel9net$' --timeout 10)
check "a telnet client works on the re-adopted console" grep -q '^tel9net' <<<"$out"

# glibc's ERE reads "\n" as "n": the regex spans lines with a real newline.
console "$LAB" a --send 'echo C$((1+2))in' --expect 'node stopped' \
	--expect "node started\\](.|$NL)*labwire: ready" --timeout 30 >"$LW_TMP/clientC" 2>&1 &
C_PID=$!
check "client C attached before the stop" wait_for attached 10 log_has '^C3in'
api POST "$NODE_A/stop"
check "node a stops" wait_for stopped 30 node_a_is stopped
api GET "$NODE_A"
eq "a stopped node keeps its console port" "$(jqb .console.port)" "$PORT_A"
api POST "$NODE_A/start"
check "node a runs again" wait_for running 30 node_a_is running
check "and is ready again" wait_for ready 60 node_a_ready
eq "and still has the same console port" "$(jqb .console.port)" "$PORT_A"
wait "$C_PID"
rc=$?
eq "client C stayed attached across stop/start and saw the new boot" "$rc" 0
[ "$rc" = 0 ] || tail -n 15 "$LW_TMP/clientC" | cat -A | sed "s/^/# client C: /"
check "client C saw the node stop" grep -q 'node stopped' "$LW_TMP/clientC"
exec_on a 'echo back$((5+5))' '^back10$' 10
eq "send/expect works after the node restarted" "$STATUS" 200
check "the console log now holds the new boot" log_has '^back10$'
check "and not the previous boot's output" eval '! log_has "^B2on$"'

# --- stop and delete -------------------------------------------------------------------
api POST "/api/v1/labs/$LAB/stop"
eq "lab stop answers 202" "$STATUS" 202
check "every node stops" wait_for stopped 30 lab_nodes_are "$LAB" stopped
check "no QEMU process remains" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
eq "no lw* TAP or bridge remains" "$(lw_ifaces | wc -l)" 0
api DELETE "/api/v1/labs/$LAB"
eq "delete answers 204" "$STATUS" 204
check "the console port is closed after delete" \
	bash -c "! ip netns exec $LW_NS bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT_A' 2>/dev/null"
