#!/usr/bin/env python3
"""Mint access tokens for N local users through a running edge's
POST /_edge/token {email} (users are created on first use), one token a
line, for scripts/bench.d/api.sh.

    mint_tokens.py BASE N OUT [PREFIX]
"""
import http.client
import json
import sys
import threading
import urllib.parse

base, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
prefix = sys.argv[4] if len(sys.argv) > 4 else "bench"
u = urllib.parse.urlsplit(base)
tokens = [None] * n
errors = []
nxt = [0]
lock = threading.Lock()


def worker():
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    while True:
        with lock:
            i = nxt[0]
            nxt[0] += 1
        if i >= n or errors:
            return
        body = json.dumps({"email": f"{prefix}-{i:05d}@example.com"})
        conn.request("POST", "/_edge/token", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = json.loads(resp.read())
        if resp.status != 200 or not data.get("success"):
            errors.append(f"user {i}: HTTP {resp.status} {data}")
            return
        tokens[i] = data["result"]["access_token"]


threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    sys.exit("minting tokens failed: " + errors[0])
with open(out, "w") as f:
    f.write("\n".join(tokens) + "\n")
