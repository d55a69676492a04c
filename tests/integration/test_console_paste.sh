#!/bin/bash
# A pasted config reaches the guest whole: 64 KiB in 1,500 lines, typed at
# once into a tiny-linux node's console, first as ONE WebSocket message,
# then four times over (256 KiB: more than the serial socket's buffer holds)
# in one telnet write. The guest takes it at its UART's pace (the daemon
# queues it and writes as the serial socket takes it); the guest's md5sum of
# what it read must equal ours, for both paths.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # a pyenv python on PATH would lack python3-websockets
WSC="$LW_ROOT/tests/integration/wsclient.py"
SIZE=65536
lw_setup

api POST /api/v1/labs '{"name":"paste","nodes":[{"name":"a","template":"tiny-linux","nics":0}]}'
eq "lab of one node created" "$STATUS" 201
LAB=$(jqb .id)
PORT=$(jqb '.nodes[0].console.port')
api POST "/api/v1/labs/$LAB/start"
eq "start answers 202" "$STATUS" 202
check "the node becomes ready" wait_for ready 60 lab_nodes_ready "$LAB"
NODE=/api/v1/labs/$LAB/nodes/a

# The config: 1,500 short lines (the first 1,036 of 44 bytes, the rest of 43), 65,536 bytes.
"$PY" - "$LW_TMP/config" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1500):
        w = 44 if i < 1036 else 43
        line = "ip route 10.%d.%d.0/24 via 192.0.2.%d name r%d " % (i // 250, i % 250, i % 200 + 1, i)
        f.write((line + "x" * w)[:w - 1] + "\n")
EOF
eq "the config is 64 KiB" "$(stat -c %s "$LW_TMP/config")" "$SIZE"
eq "the config has 1500 lines" "$(wc -l <"$LW_TMP/config")" 1500
SUM=$(md5sum <"$LW_TMP/config" | cut -d' ' -f1)
for _ in 1 2 3 4; do cat "$LW_TMP/config"; done >"$LW_TMP/config4"
SUM4=$(md5sum <"$LW_TMP/config4" | cut -d' ' -f1)

# receive FILE BYTES: the guest's tty in raw mode, no echo, reading exactly BYTES into FILE,
# then its md5sum; returns once the guest is reading.
receive() {
	api POST "/api/v1/labs/$LAB/nodes/a/console/exec" "$(jq -nc --arg s \
		"stty raw -echo; echo go\$((2+2)); head -c $2 >$1; stty sane; md5sum $1" \
		'{send: $s, expect: "^go4", timeout_s: 20}')"
	eq "the guest is ready to receive into $1" "$STATUS" 200
}

# --- one WebSocket message ----------------------------------------------------
receive /tmp/ws "$SIZE"
t0=$(date +%s%N)
got=$(nsexec "$PY" "$WSC" paste "ws://127.0.0.1:$LW_PORT$NODE/console" "$LW_TMP/config" \
	--expect '[0-9a-f]{32}  /tmp/ws' --timeout 60)
t1=$(date +%s%N)
eq "a 64 KiB WebSocket message reaches the guest whole (md5sum)" "${got%% *}" "$SUM"
echo "# WebSocket paste: $(((t1 - t0) / 1000000)) ms"

# --- one telnet write ---------------------------------------------------------
api GET "$NODE"
TOKEN=$(jqb '.console.token // ""')
receive /tmp/tn $((4 * SIZE))
t0=$(date +%s%N)
got=$(nsexec "$PY" - "$PORT" "$LW_TMP/config4" "$TOKEN" <<'EOF'
import re, socket, sys, threading
data, token = open(sys.argv[2], "rb").read(), sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=90)
seen, cv = b"", threading.Condition()
# Read all along: the server's negotiation and output must never block it.
def reader():
    global seen
    while True:
        d = s.recv(65536)
        with cv:
            seen += d
            cv.notify_all()
        if not d:
            break
def wait_for(pat, start=0):
    with cv:
        return cv.wait_for(lambda: re.search(pat, seen[start:]), 90)
threading.Thread(target=reader, daemon=True).start()
if token:  # the console's login: user "token", the node's console token
    wait_for(rb"login: ")
    s.sendall(b"token\r")
    wait_for(rb"Password: ")
    mark = len(seen)
    s.sendall(token + b"\r")
    wait_for(rb"go4", mark)  # in: the scrollback came
mark = len(seen)
s.sendall(data)  # all of it in one write
m = wait_for(rb"[0-9a-f]{32}  /tmp/tn", mark)
print(m.group(0).decode() if m else "none")
EOF
)
t1=$(date +%s%N)
eq "a 256 KiB telnet write reaches the guest whole (md5sum)" "${got%% *}" "$SUM4"
echo "# telnet paste: $(((t1 - t0) / 1000000)) ms"

