#!/usr/bin/python3
"""GET a URL over and over, a new connection each time (as a monitoring
probe does), until STOPFILE exists; one line per request on stdout:
"STATUS SECONDS" (status 0: no answer within 10 s).
usage: health.py URL STOPFILE [INTERVAL_S]"""
import http.client
import os
import sys
import time
import urllib.parse

url, stop = sys.argv[1], sys.argv[2]
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
u = urllib.parse.urlsplit(url)
while not os.path.exists(stop):
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        c.request("GET", u.path)
        r = c.getresponse()
        r.read()
        status = r.status
        c.close()
    except OSError:
        status = 0
    print(status, "%.6f" % (time.monotonic() - t0), flush=True)
    time.sleep(interval)
