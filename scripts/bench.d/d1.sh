#!/usr/bin/env bash
# D1 REST point select over loopback, 32 clients (issue 2/5 target: 8,000 req/s).
set -euo pipefail
DB=8140efd5-9912-4e31-981d-0566f1efe9dc
q() { curl -s -X POST -H 'Content-Type: application/json' --data "$1" "$API/d1/database/$DB/query" > /dev/null; }
q '{"sql":"CREATE TABLE IF NOT EXISTS bench_kv (id INTEGER PRIMARY KEY, v TEXT)"}'
q '{"sql":"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000) INSERT OR REPLACE INTO bench_kv SELECT i, hex(randomblob(16)) FROM n"}'
echo '{"sql":"SELECT id, v FROM bench_kv WHERE id = ?","params":[42]}' > "$STATE/q.json"
echo "D1 REST query (point select), 32 clients, $LOAD_SECONDS:"
go run ./cmd/edgeload --url "$API/d1/database/$DB/query" --concurrency 32 --duration "$LOAD_SECONDS" --method POST --body @"$STATE/q.json" -H 'Content-Type: application/json'
