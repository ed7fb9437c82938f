#!/usr/bin/env bash
# GET /api/jobs on the JobMatch API under load (issue 6/5 target: at least
# 6,000 req/s with p99 under 20 ms, 32 connections over loopback). Each
# request is the whole pipeline: security headers, CORS, the IP limiter, the
# auth call to /auth/v1/user, the per-user KV rate limiter (a read and a
# write of RATE_LIMITS) and the D1 list and count queries.
#
# Run by scripts/bench.sh with BASE (the server), API, STATE and
# LOAD_SECONDS. The load generator is Debian's wrk (installed when missing)
# with scripts/bench.d/api_jobs.lua, which gives every request another
# user's token and another X-Forwarded-For, so neither the per-user limit
# (100 per 15 min) nor the IP limiter (100 per 60 s) is what stops it: the
# tokens of BENCH_USERS users (default: enough for 25,000 req/s, at most 90
# requests per user) are minted first through POST /_edge/token. Each
# mint is a sign-up and a password grant, two bcrypt hashes: scripts/bench.sh
# starts the server with EDGE_BENCH_BCRYPT_COST=4 so this takes seconds,
# not the ~2 minutes of bcrypt's default cost; start a server of your own
# the same way.
#
# When the server runs with EDGE_PPROF=1 (e.g. `EDGE_PPROF=1 make bench`), a
# CPU profile is taken during an extra run and its top functions printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${BASE:?BASE is the edge server URL}" "${STATE:?STATE is a scratch dir}"
LOAD_SECONDS=${LOAD_SECONDS:-10s}
secs=${LOAD_SECONDS%s}
WARM=2
PROFILE_SECONDS=${PROFILE_SECONDS:-6}
pprof=0
curl -sf -o /dev/null "$BASE/_edge/debug/pprof/" && pprof=1
total=$((WARM + secs + pprof * PROFILE_SECONDS))
USERS=${BENCH_USERS:-$((total * 25000 / 90))}

if ! command -v wrk > /dev/null; then
  echo "installing wrk (Debian package)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq > /dev/null && $SUDO apt-get install -y -qq wrk > /dev/null
fi

echo "minting tokens for $USERS users (POST /_edge/token; two bcrypt hashes each, at the server's cost)"
start=$(date +%s)
python3 scripts/bench.d/mint_tokens.py "$BASE" "$USERS" "$STATE/tokens.txt" "bench-$$"
echo "  minted in $(( $(date +%s) - start )) s"

tok=$(head -1 "$STATE/tokens.txt")
check=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" -H 'X-Forwarded-For: 192.0.2.1' "$BASE/api/jobs")
[ "$check" = 200 ] || { echo "GET /api/jobs answered $check, not 200"; exit 1; }

LUA=scripts/bench.d/api_jobs.lua
wrk -t2 -c32 -d${WARM}s -s "$LUA" "$BASE" -- "$STATE/tokens.txt" > /dev/null
echo "GET /api/jobs (auth, IP limiter, KV rate limit, D1 list), wrk 2 threads, 32 connections, $LOAD_SECONDS, $USERS users:"
wrk -t2 -c32 -d"$LOAD_SECONDS" --latency -s "$LUA" "$BASE" -- "$STATE/tokens.txt" | tee "$STATE/wrk.out"
rps=$(awk '$1=="req/s"{print $2}' "$STATE/wrk.out")
p99=$(awk '$1=="p99"{print $2}' "$STATE/wrk.out")
bad=$(awk '$1=="requests"{gsub(",","",$4); print $4}' "$STATE/wrk.out")
verdict=met
awk -v r="$rps" -v p="$p99" -v b="$bad" 'BEGIN{exit !(r >= 6000 && p < 20 && b == 0)}' || verdict=MISSED
echo "target (>= 6000 req/s, p99 < 20 ms, no errors): $verdict ($rps req/s, p99 $p99 ms, $bad non-2xx)"

if [ "$pprof" = 1 ]; then
  echo "CPU profile of the server during a ${PROFILE_SECONDS}s run (EDGE_PPROF):"
  wrk -t2 -c32 -d$((PROFILE_SECONDS + 1))s -s "$LUA" "$BASE" -- "$STATE/tokens.txt" > "$STATE/wrk-prof.out" &
  sleep 0.5
  curl -s -o "$STATE/cpu.prof" "$BASE/_edge/debug/pprof/profile?seconds=$PROFILE_SECONDS"
  wait
  go tool pprof -top -nodecount=20 "$STATE/cpu.prof" 2>/dev/null | sed -n '4,30p'
  echo "cumulative, the pipeline's parts:"
  go tool pprof -top -cum -nodecount=400 "$STATE/cpu.prof" 2>/dev/null |
    grep -E 'Total samples|api\.\(\*App\)\.(rateLimit|handleListJobs|getUser)|d1\.\(\*Database\)\.runQuery$|sqlite3Reprepare|supabase\.\(\*Service\)\.handleGetUser|kv\.\(\*Namespace\)\.(Get|Put)$|finishRequest|gcBgMarkWorker$'
fi
