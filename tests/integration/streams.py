#!/usr/bin/python3
"""Hold N event streams (GET /api/v1/events) open from one source address.

usage: streams.py HOST PORT TOKEN N SRC READY_FILE
Opens N connections from SRC, reads each response's status line, writes
"open OK BAD" to READY_FILE, then waits for a line on stdin ("count"):
reads what each stream got for up to 5 s and prints how many saw an
"event:" line. "quit" (or EOF) on stdin closes everything.
"""
import selectors
import socket
import sys
import time

host, port, token, n, src, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
socks, statuses = [], []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect((host, port))
    s.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n\r\n"
               % (host, port, token)).encode())
    socks.append(s)
for s in socks:
    s.settimeout(5)
    head = b""
    try:
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    except OSError:
        pass
    statuses.append(head.split(b" ")[1].decode() if head.startswith(b"HTTP/1.1 ") else "none")
ok = statuses.count("200")
with open(ready, "w") as f:
    f.write("open %d %d\n" % (ok, len(statuses) - ok))
for line in sys.stdin:
    if line.strip() == "quit":
        break
    if line.strip() != "count":
        continue
    got = {i: b"" for i in range(len(socks))}
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    end = time.time() + 5
    while time.time() < end and not all(b"event:" in v for v in got.values()):
        for key, _ in sel.select(timeout=0.2):
            try:
                got[key.data] += key.fileobj.recv(65536)
            except OSError:
                pass
    sel.close()
    print(sum(1 for v in got.values() if b"event:" in v), flush=True)
for s in socks:
    s.close()
