#!/usr/bin/python3
"""A WebSocket client for labwire's node consoles, for the integration tests.

Well-formed sessions go through the websockets library (Debian's
python3-websockets 10.4, asyncio API); the malformed-frame cases speak the
protocol by hand over a raw socket. Each mode prints what it observed and
exits 0 when the expectation held, 1 when it did not, 2 on bad usage.

  wsclient.py chat URL [--origin O] [--scrollback RE] [--send TEXT] --expect RE [--timeout S]
      connect; RE of --scrollback must match what arrives before anything is
      sent; then send TEXT (a text frame, "\\r" appended) and read until RE
      matches a line of its own in what arrived after the send ("\\r"
      removed, multiline). Prints everything received.
  wsclient.py status URL [--origin O]
      print the HTTP status of the handshake (101 when it was accepted).
  wsclient.py ping URL
      send a ping, print "pong" when the matching pong arrives.
  wsclient.py close URL
      close with 1000; print the close code the server echoed.
  wsclient.py paste URL FILE --expect RE [--timeout S]
      connect; send FILE's bytes as ONE text message (as a pasted config);
      then read until RE matches what arrived after it ("\\r" removed);
      print the matching line.
  wsclient.py raw HOST PORT PATH unmasked|rsv|toobig
      hand-made handshake, then one bad frame; print the code of the close
      frame the server sent (or "none") and "closed" once the server has
      closed the TCP connection (or "open").
"""
import argparse
import asyncio
import base64
import os
import re
import socket
import ssl
import struct
import sys
import time


import websockets


def tls_context(url):
    """wss: verify against LW_CACERT (the daemon's self-signed certificate in the tests)."""
    if not url.startswith("wss:"):
        return None
    return ssl.create_default_context(cafile=os.environ.get("LW_CACERT") or None)


def auth_headers():
    """The test's token (lib.sh exports LW_TOKEN); none when it is unset or empty."""
    tok = os.environ.get("LW_TOKEN", "")
    return {"Authorization": "Bearer " + tok} if tok else {}
import websockets.exceptions


def text_of(chunks):
    return b"".join(chunks).decode("utf-8", "replace").replace("\r", "")


async def chat(a):
    got, after = [], []
    async with websockets.connect(a.url, extra_headers=auth_headers(), ssl=tls_context(a.url), origin=a.origin, open_timeout=a.timeout,
                                  ping_interval=None, max_size=2**22) as ws:
        deadline = time.monotonic() + a.timeout
        if a.scrollback:
            sre = re.compile(a.scrollback, re.M)
            while not sre.search(text_of(got)):
                left = deadline - time.monotonic()
                if left <= 0:
                    print("# scrollback did not match /%s/" % a.scrollback, file=sys.stderr)
                    sys.stdout.write(text_of(got))
                    return 1
                try:
                    msg = await asyncio.wait_for(ws.recv(), left)
                except asyncio.TimeoutError:
                    continue
                got.append(msg if isinstance(msg, bytes) else msg.encode())
        if a.send is not None:
            await ws.send(a.send + "\r")
        ere = re.compile(a.expect, re.M)
        while True:
            # "a line of its own": RE must be followed by the end of a line.
            m = ere.search(text_of(after))
            if m and text_of(after)[m.end():m.end() + 1] == "\n":
                break
            left = deadline - time.monotonic()
            if left <= 0:
                print("# timed out waiting for /%s/" % a.expect, file=sys.stderr)
                sys.stdout.write(text_of(got + after))
                return 1
            try:
                msg = await asyncio.wait_for(ws.recv(), left)
            except asyncio.TimeoutError:
                continue
            after.append(msg if isinstance(msg, bytes) else msg.encode())
        sys.stdout.write(text_of(got + after))
        return 0


async def paste(a):
    with open(a.file, "rb") as f:
        data = f.read().decode("utf-8")
    after = []
    async with websockets.connect(a.url, extra_headers=auth_headers(), ssl=tls_context(a.url), open_timeout=10,
                                  ping_interval=None, max_size=2**22) as ws:
        deadline = time.monotonic() + a.timeout
        await ws.send(data)
        ere = re.compile(a.expect, re.M)
        while not ere.search(text_of(after)):
            left = deadline - time.monotonic()
            if left <= 0:
                print("# timed out waiting for /%s/" % a.expect, file=sys.stderr)
                sys.stderr.write(text_of(after)[-2000:])
                return 1
            try:
                msg = await asyncio.wait_for(ws.recv(), left)
            except asyncio.TimeoutError:
                continue
            after.append(msg if isinstance(msg, bytes) else msg.encode())
        print(ere.search(text_of(after)).group(0))
        return 0


async def status(a):
    try:
        async with websockets.connect(a.url, extra_headers=auth_headers(), ssl=tls_context(a.url), origin=a.origin, open_timeout=10,
                                      ping_interval=None):
            print(101)
    except websockets.exceptions.InvalidStatusCode as e:
        print(e.status_code)
    return 0


async def ping(a):
    async with websockets.connect(a.url, extra_headers=auth_headers(), ssl=tls_context(a.url), open_timeout=10, ping_interval=None,
                                  max_size=2**22) as ws:
        waiter = await ws.ping(b"labwire-ping")
        try:
            await asyncio.wait_for(waiter, 5)
        except asyncio.TimeoutError:
            print("no pong")
            return 1
        print("pong")
        return 0


async def close(a):
    ws = await websockets.connect(a.url, extra_headers=auth_headers(), ssl=tls_context(a.url), open_timeout=10, ping_interval=None,
                                  max_size=2**22)
    await asyncio.sleep(0.2)
    await ws.close(1000, "bye")
    print(ws.close_code)
    return 0 if ws.close_code == 1000 else 1


def recv_exact(s, n, buf):
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError
        buf += d
    return buf


def raw(a):
    s = socket.create_connection((a.host, a.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    auth = "".join("%s: %s\r\n" % kv for kv in auth_headers().items())
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n%s"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (a.path, a.host, a.port, key, auth)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            print("handshake: connection closed")
            return 1
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        print("handshake: %s" % head.split(b"\r\n")[0].decode())
        return 1
    mask = os.urandom(4)
    payload = b"echo bad\r"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    if a.kind == "unmasked":  # clients must mask (RFC 6455 5.1)
        frame = bytes([0x82, len(payload)]) + payload
    elif a.kind == "rsv":  # RSV1 set, no extension negotiated
        frame = bytes([0x82 | 0x40, 0x80 | len(payload)]) + mask + masked
    else:  # announces a 10 MB payload; sends only a little of it
        frame = bytes([0x82, 0x80 | 127]) + struct.pack(">Q", 10 * 1024 * 1024) + mask + b"x" * 1024
    try:
        s.sendall(frame)
    except OSError as e:
        print("send: %s" % e)
    code, state = "none", "open"
    try:
        while True:  # server frames: the scrollback (binary), then a close
            buf = recv_exact(s, 2, buf)
            op, ln = buf[0] & 0x0F, buf[1] & 0x7F
            hl = 2
            if ln == 126:
                buf = recv_exact(s, 4, buf)
                ln, hl = struct.unpack(">H", buf[2:4])[0], 4
            elif ln == 127:
                buf = recv_exact(s, 10, buf)
                ln, hl = struct.unpack(">Q", buf[2:10])[0], 10
            buf = recv_exact(s, hl + ln, buf)
            body, buf = buf[hl:hl + ln], buf[hl + ln:]
            if op == 8:
                code = str(struct.unpack(">H", body[:2])[0]) if len(body) >= 2 else "nocode"
                break
        buf = recv_exact(s, len(buf) + 1, buf)  # anything after the close is wrong
        state = "open(data after close)"
    except EOFError:
        state = "closed"
    except socket.timeout:
        state = "open"
    except ConnectionResetError:
        state = "closed"
    print(code, state)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("chat")
    c.add_argument("url")
    c.add_argument("--origin")
    c.add_argument("--scrollback")
    c.add_argument("--send")
    c.add_argument("--expect", required=True)
    c.add_argument("--timeout", type=float, default=20)
    c = sub.add_parser("paste")
    c.add_argument("url")
    c.add_argument("file")
    c.add_argument("--expect", required=True)
    c.add_argument("--timeout", type=float, default=20)
    c = sub.add_parser("status")
    c.add_argument("url")
    c.add_argument("--origin")
    c = sub.add_parser("ping")
    c.add_argument("url")
    c = sub.add_parser("close")
    c.add_argument("url")
    c = sub.add_parser("raw")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("path")
    c.add_argument("kind", choices=["unmasked", "rsv", "toobig"])
    a = p.parse_args()
    try:
        if a.mode == "raw":
            return raw(a)
        return asyncio.run({"chat": chat, "paste": paste, "status": status, "ping": ping, "close": close}[a.mode](a))
    except Exception as e:  # a failure to observe, not a crash of the test
        print("# %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
