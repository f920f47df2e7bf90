#!/usr/bin/env python3
"""GET timing client for bench/growth.sh (standard library only).

growth_client.py PORT WARMUP URLS_FILE: GETs each path of URLS_FILE (one per line) once after WARMUP untimed requests
of the first paths, one at a time on one keep-alive connection. Every answer must be 200 or 204.
Prints: requests, p50 ms, p95 ms, best ms."""
import http.client, statistics, sys, time

port, warmup = int(sys.argv[1]), int(sys.argv[2])
paths = [l.strip() for l in open(sys.argv[3], encoding="utf-8") if l.strip()]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

def get(path):
    t = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status not in (200, 204):
        sys.exit(f"{path}: {r.status} {body[:300]!r}")
    return (time.perf_counter() - t) * 1000

for p in paths[:warmup]:
    get(p)
ms = sorted(get(p) for p in paths)
print(f"{len(ms)} {statistics.median(ms):.2f} {ms[min(len(ms) - 1, int(len(ms) * 0.95))]:.2f} {ms[0]:.2f}")
