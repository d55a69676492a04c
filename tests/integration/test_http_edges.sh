#!/bin/bash
# The HTTP server at its edges: one address holding idle connections (no
# request) far past its limit does not lock other addresses out (it is
# refused at accept past its margin); and SIGTERM while logins keep the
# writer pool busy and reads keep coming exits 0 (a request that reaches a
# stopped pool is answered 503, not left suspended for MHD_stop_daemon to
# abort on).
. "$(dirname "$0")/lib.sh"
LW_DAEMON_ARGS="--max-connections 100 --max-connections-per-address 10"
lw_setup
api POST /api/v1/labs '{"name":"edge"}'
eq "a lab is created" "$STATUS" 201

# ---- idle connections hoarded by one address ----
cat >"$LW_TMP/idle.py" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for _ in range(n):
    try:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        break
print(len(socks), flush=True)
sys.stdin.read()
PY
mkfifo "$LW_TMP/idle.in"
nsexec /usr/bin/python3 "$LW_TMP/idle.py" "$LW_PORT" 200 <"$LW_TMP/idle.in" >"$LW_TMP/idle.out" &
IDLE=$!
exec {IDLE_FD}>"$LW_TMP/idle.in"
wait_for "200 idle connections from 127.0.0.1" 20 test -s "$LW_TMP/idle.out"
sleep 0.5
eq "another address is still served (a 10-per-address limit, 200 held idle)" \
	"$(nsexec curl -q -s -m 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "$LW_URL/api/v1/health")" 200
eq "while the hoarding address, past its limit and margin, is refused when it connects" \
	"$(nsexec curl -q -s -m 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.1 "$LW_URL/api/v1/health")" 000
exec {IDLE_FD}>&-
wait "$IDLE"

# ---- SIGTERM with the writers busy and reads arriving ----
cat >"$LW_TMP/load.py" <<'PY'
import json, socket, sys, threading, time
port, tok, stop = int(sys.argv[1]), sys.argv[2], time.time() + float(sys.argv[3])
def req(method, path, body=b"", hdr=""):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sContent-Length: %d\r\n"
                   "Connection: close\r\n\r\n" % (method, path, port, hdr, len(body))).encode() + body)
        s.recv(100)
        s.close()
    except OSError:
        pass
def logins():
    b = json.dumps({"username": "admin", "password": "wrong-password-123"}).encode()
    while time.time() < stop:
        req("POST", "/api/v1/auth/login", b, "Content-Type: application/json\r\n")
def reads():
    while time.time() < stop:
        req("GET", "/api/v1/labs/edge/nodes", b"", "Authorization: Bearer %s\r\n" % tok)
ts = [threading.Thread(target=logins) for _ in range(8)] + [threading.Thread(target=reads) for _ in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
PY
nsexec /usr/bin/python3 "$LW_TMP/load.py" "$LW_PORT" "$LW_TOKEN" 5 &
LOAD=$!
sleep 2
LW_LOGPOS=$(stat -c %s "$LW_TMP/daemon.log")
kill -TERM "$LW_PID"
wait "$LW_PID"
rc=$?
LW_PID=
wait "$LOAD"
eq "SIGTERM under logins and reads: the daemon exits 0" "$rc" 0
eq "and libmicrohttpd found no connection left suspended" \
	"$(grep -c 'suspended connections' "$LW_TMP/daemon.log")" 0
lw_teardown
