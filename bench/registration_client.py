#!/usr/bin/env python3
"""Registration load client for bench/registration.sh (standard library only).

registration_client.py URL TOKEN BODIES CLIENTS [SECONDS]: POSTs each line of BODIES (one GeoJSON Feature per line) to
URL/api/properties, split across CLIENTS threads, each with its own keep-alive connection, one request at a time.
With SECONDS, each client stops when that time is up. Prints: requests, failures, seconds, requests/s, p50 ms, p95 ms; and the first failure's body on stderr."""
import http.client, sys, threading, time, urllib.parse

url, token, bodies_file, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
deadline = time.perf_counter() + float(sys.argv[5]) if len(sys.argv) > 5 else None
bodies = [line.strip() for line in open(bodies_file, encoding="utf-8") if line.strip()]
target = urllib.parse.urlparse(url)
latencies, failures, first_failure = [], [0], []
lock = threading.Lock()

def run(part):
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/geo+json"}
    mine = []
    for body in part:
        if deadline is not None and time.perf_counter() > deadline:
            break
        t = time.perf_counter()
        conn.request("POST", "/api/properties", body=body.encode("utf-8"), headers=headers)
        response = conn.getresponse()
        text = response.read()
        mine.append((time.perf_counter() - t) * 1000)
        if response.status != 201:
            with lock:
                failures[0] += 1
                if not first_failure:
                    first_failure.append(f"{response.status} {text[:400]!r}")
    with lock:
        latencies.extend(mine)

threads = [threading.Thread(target=run, args=(bodies[i::clients],)) for i in range(clients)]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
seconds = time.perf_counter() - start
latencies.sort()
if first_failure: print("first failure: " + first_failure[0], file=sys.stderr)
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"{len(latencies)} {failures[0]} {seconds:.2f} {len(latencies) / seconds:.1f} {p(0.5):.2f} {p(0.95):.2f}")
