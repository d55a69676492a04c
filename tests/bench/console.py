#!/usr/bin/python3
"""Console benchmarks, run inside the test namespace.

  console.py rtt HOST PORT N
      keystroke round trip: send one character, wait for the shell's echo;
      prints the median in microseconds.
  console.py throughput HOST PORT CLIENTS BYTES
      CLIENTS telnet clients attach; the first types a command that makes the
      guest print BYTES; prints the seconds until every client saw the end.

With LW_CONSOLE_TOKEN set, each client first logs in at labwire's prompt as
user "token" with the node's console token (QEMU's own telnet has no login).
"""
import selectors
import socket
import statistics
import sys
import os
import time

IAC, SB, SE = 255, 250, 240


class Telnet:
    """Just enough of a telnet client: strips negotiation, answers nothing."""

    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=30)
        self.state = 0
        self.seen = bytearray()
        token = os.environ.get("LW_CONSOLE_TOKEN", "")
        if token:
            self.wait_for(b"login: ", timeout=10)
            self.send(b"token\r")
            self.wait_for(b"Password: ", timeout=10)
            self.send(token.encode() + b"\r")

    def feed(self, data):
        out = bytearray()
        for b in data:
            if self.state == 0:
                if b == IAC:
                    self.state = 1
                else:
                    out.append(b)
            elif self.state == 1:  # after IAC
                if b == IAC:
                    out.append(b)
                    self.state = 0
                elif b == SB:
                    self.state = 3
                elif 251 <= b <= 254:
                    self.state = 2
                else:
                    self.state = 0
            elif self.state == 2:  # option byte of WILL/WONT/DO/DONT
                self.state = 0
            elif self.state == 3:  # inside SB until IAC SE
                if b == IAC:
                    self.state = 4
            elif self.state == 4:
                self.state = 0 if b == SE else 3
        self.seen += out
        return out

    def read(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError("console closed")
        return self.feed(data)

    def wait_for(self, needle, timeout=60):
        end = time.monotonic() + timeout
        while needle not in self.seen:
            if time.monotonic() > end:
                raise TimeoutError(needle)
            self.read()
        idx = self.seen.index(needle) + len(needle)
        del self.seen[:idx]

    def send(self, data):
        self.s.sendall(data)


def prompt(t, timeout=120):
    """Enter until the shell answers with a prompt (output before we came may be gone)."""
    end = time.monotonic() + timeout
    while True:
        t.send(b"\r")
        try:
            t.wait_for(b"# ", timeout=2)
            return
        except TimeoutError:
            if time.monotonic() > end:
                raise


def rtt(host, port, n):
    t = Telnet(host, port)
    prompt(t)
    time.sleep(0.5)
    t.seen.clear()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        t.send(b"a")
        t.wait_for(b"a")
        samples.append(time.perf_counter() - t0)
    t.send(b"\x15\r")  # Ctrl-U: forget the typed line
    return statistics.median(samples) * 1e6


def throughput(host, port, clients, nbytes):
    cs = [Telnet(host, port) for _ in range(clients)]
    prompt(cs[0])
    time.sleep(1.0)
    for c in cs:
        c.seen.clear()
    sel = selectors.DefaultSelector()
    for c in cs:
        c.s.setblocking(False)
        sel.register(c.s, selectors.EVENT_READ, c)
    marker = b"END" + b"42"
    t0 = time.perf_counter()
    cs[0].s.setblocking(True)
    cs[0].send(b"head -c %d /dev/zero | tr '\\000' x; echo; echo END$((6*7))\r" % nbytes)
    cs[0].s.setblocking(False)
    pending = set(cs)
    while pending:
        for key, _ in sel.select(timeout=120):
            c = key.data
            try:
                c.read()
            except BlockingIOError:
                continue
            if c in pending and marker in c.seen:
                pending.discard(c)
            else:
                del c.seen[:-16]
    return time.perf_counter() - t0


def main():
    if sys.argv[1] == "rtt":
        print("%.0f" % rtt(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        print("%.3f" % throughput(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))


main()
