#!/usr/bin/env bash
# make bench: Go benchmarks of every binding, then loopback load runs
# against a real `edge serve` (in memory, on a free loopback port), with RSS
# readings. Everything talks to 127.0.0.1 only, and every run is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCHTIME=${BENCHTIME:-2s}
LOAD_SECONDS=${LOAD_SECONDS:-10s}
OUT=${BENCH_OUT:-bench.out}
: > "$OUT"
say() { echo "$@" | tee -a "$OUT"; }

say "== Go benchmarks (benchtime $BENCHTIME, GOMAXPROCS=$(nproc))"
gobench() { go test -run '^$' -bench "${2:-.}" -benchmem -benchtime "$1" "${@:3}" 2>&1 | grep -E '^(Benchmark|ok|FAIL|---|pkg:)|p50|/s' | tee -a "$OUT"; }
gobench "$BENCHTIME" . ./emulator/kv/ ./emulator/ai/ ./emulator/d1/ ./emulator/gateway/ ./emulator/internal/...
gobench 300x 'Query10k|QueryFiltered|Memory' ./emulator/vectorize/
gobench 5x Insert10k ./emulator/vectorize/
[ -n "${EDGE_BENCH_LARGE:-}" ] && gobench 30x Query100k ./emulator/vectorize/
gobench 3s . ./emulator/r2/
gobench 20x . ./migrations/

say "== loopback load runs"
STATE=$(mktemp -d)
LOG=$(mktemp)
# EDGE_BENCH_BCRYPT_COST (bench only, read by `edge serve`): the load run of
# scripts/bench.d/api.sh signs up ~1,800 users; at bcrypt's default cost of
# 10 that alone took ~2 minutes of both cores. Override it (e.g. 10) to
# measure with the product's cost.
EDGE_BENCH_BCRYPT_COST=${EDGE_BENCH_BCRYPT_COST:-4} ./bin/edge serve --addr 127.0.0.1:0 --s3-addr 127.0.0.1:0 --state-dir "$STATE" --log-level warn > "$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$STATE" "$LOG"' EXIT
for _ in $(seq 1 100); do grep -q '^ready' "$LOG" && break; sleep 0.1; done
BASE=$(awk '$1=="listening"{print $2; exit}' "$LOG")
[ -n "$BASE" ] || { cat "$LOG"; echo "edge did not start"; exit 1; }
rss() { awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$PID/status; }
say "idle RSS after start: $(rss)"

ACCT=280c58ea17d9fe3235c33bd0a52a256b
API=$BASE/client/v4/accounts/$ACCT
NS=$(curl -s "$API/storage/kv/namespaces?per_page=100" | python3 -c 'import json,sys; print([n["id"] for n in json.load(sys.stdin)["result"] if n["title"]=="RATE_LIMITS"][0])')
head -c 100 /dev/zero | tr '\0' 'x' > "$STATE/value100"
curl -s -X PUT --data-binary @"$STATE/value100" "$API/storage/kv/namespaces/$NS/values/bench-key" > /dev/null
say "KV REST value GET, 32 clients, $LOAD_SECONDS:"
go run ./cmd/edgeload --url "$API/storage/kv/namespaces/$NS/values/bench-key" --concurrency 32 --duration "$LOAD_SECONDS" | tee -a "$OUT"

say "loading 100,000 KV keys (bulk writes of 10,000)"
python3 - "$STATE" <<'PY'
import json, sys
for b in range(10):
    with open(f"{sys.argv[1]}/bulk{b}.json", "w") as f:
        json.dump([{"key": f"k{b:02d}-{i:05d}", "value": "v" * 100, "metadata": {"i": i}} for i in range(10000)], f)
PY
for b in $(seq 0 9); do
  curl -s -X PUT -H 'Content-Type: application/json' --data-binary @"$STATE/bulk$b.json" "$API/storage/kv/namespaces/$NS/bulk" > /dev/null
done
say "RSS after 100,000 keys: $(rss)"

for extra in scripts/bench.d/*.sh; do
  [ -e "$extra" ] || continue
  say "== $extra"
  BASE=$BASE API=$API STATE=$STATE LOAD_SECONDS=$LOAD_SECONDS bash "$extra" 2>&1 | tee -a "$OUT"
done
say "figures written to $OUT"
