#!/usr/bin/env bash
# POST /api/files/upload of 1 MiB, then GET /api/files/download of it, under
# load (issue "2/7 JobMatch API, part 1" target: at least 300 round trips/s
# with 8 clients). Each request is the whole pipeline: security headers,
# CORS, the IP limiter, the auth call to /auth/v1/user and the R2 binding;
# the upload is a multipart/form-data body as the frontend's FormData sends
# it (file, bucket, path), stored under the same key every time.
#
# Run by scripts/bench.sh with BASE (the server), STATE and LOAD_SECONDS.
# The load generator is cmd/edgeload: -c 8 clients, one run of uploads and
# one of downloads; a round trip is one of each, so the round-trip rate is
# 1 / (1/uploads + 1/downloads). Every request carries another
# X-Forwarded-For so the IP limiter (100 per 60 s) never answers; the files
# routes have no per-user limit, so one user does.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${BASE:?BASE is the edge server URL}" "${STATE:?STATE is a scratch dir}"
LOAD_SECONDS=${LOAD_SECONDS:-10s}
CLIENTS=${FILES_CLIENTS:-8}

python3 scripts/bench.d/mint_tokens.py "$BASE" 1 "$STATE/files-token.txt" "files-$$"
tok=$(head -1 "$STATE/files-token.txt")
uid=$(python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["sub"])' "$tok")

boundary=edgebenchboundary7MA4YWxkTrZu0gW
python3 - "$STATE/files-body.bin" "$boundary" <<'PY'
import os, sys
out, b = sys.argv[1], sys.argv[2]
data = os.urandom(1 << 20)
parts = [
    f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode() + data + b"\r\n",
    f'--{b}\r\nContent-Disposition: form-data; name="bucket"\r\n\r\nresumes\r\n'.encode(),
    f'--{b}\r\nContent-Disposition: form-data; name="path"\r\n\r\nbench.pdf\r\n'.encode(),
    f"--{b}--\r\n".encode(),
]
open(out, "wb").write(b"".join(parts))
PY
python3 -c 'import sys; open(sys.argv[1], "w").write("".join(f"X-Forwarded-For: 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n" for i in range(20000)))' "$STATE/files-xff.txt"

check=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" -H 'X-Forwarded-For: 192.0.2.7' \
  -H "Content-Type: multipart/form-data; boundary=$boundary" --data-binary @"$STATE/files-body.bin" "$BASE/api/files/upload")
[ "$check" = 201 ] || { echo "POST /api/files/upload answered $check, not 201"; exit 1; }
download="$BASE/api/files/download/users%2F$uid%2Fresumes%2Fbench.pdf"
check=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" -H 'X-Forwarded-For: 192.0.2.8' "$download")
[ "$check" = 200 ] || { echo "GET download answered $check, not 200"; exit 1; }

go build -o "$STATE/edgeload" ./cmd/edgeload
run() { "$STATE/edgeload" --concurrency "$CLIENTS" --duration "$LOAD_SECONDS" --header "Authorization: Bearer $tok" --rotate-header "$STATE/files-xff.txt" "$@"; }
echo "POST /api/files/upload, 1 MiB multipart, $CLIENTS clients, $LOAD_SECONDS:"
up=$(run --url "$BASE/api/files/upload" --method POST --body @"$STATE/files-body.bin" --header "Content-Type: multipart/form-data; boundary=$boundary")
echo "  $up"
echo "GET /api/files/download/:key of it, $CLIENTS clients, $LOAD_SECONDS:"
down=$(run --url "$download")
echo "  $down"
rate() { sed -E 's/.*: ([0-9.]+) req\/s.*/\1/' <<< "$1"; }
bad() { sed -E 's/.*non-2xx ([0-9]+); errors ([0-9]+).*/\1 \2/' <<< "$1"; }
read -r upbad uperr <<< "$(bad "$up")"
read -r downbad downerr <<< "$(bad "$down")"
rt=$(awk -v u="$(rate "$up")" -v d="$(rate "$down")" 'BEGIN{ if (u > 0 && d > 0) printf "%.0f", 1 / (1/u + 1/d); else print 0 }')
verdict=met
awk -v r="$rt" -v b="$((upbad + uperr + downbad + downerr))" 'BEGIN{exit !(r >= 300 && b == 0)}' || verdict=MISSED
echo "target (>= 300 upload+download round trips/s with $CLIENTS clients, no errors): $verdict ($rt round trips/s)"
