#!/usr/bin/env bash
# AI Gateway: a cached chat completion (JobMatch's gateway, builtin upstream)
# served as a HIT over loopback, 32 clients, after one priming MISS.
set -euo pipefail
U=$BASE/v1/280c58ea17d9fe3235c33bd0a52a256b/jobmatch-ai-gateway-dev/openai/chat/completions
printf '%s' '{"model":"gpt-4o-mini","temperature":0.7,"max_tokens":3000,"response_format":{"type":"json_object"},"messages":[{"role":"system","content":"You are an expert resume writer. Return JSON."},{"role":"user","content":"Job: Senior Go Engineer at Acme. Required skills: Go, Kubernetes, PostgreSQL. Candidate: Ada, 8 years of Go."}]}' > "$STATE/gateway-body.json"
H=(-H 'Content-Type: application/json' -H 'Authorization: Bearer sk-bench')
first=$(curl -s -o /dev/null -w '%header{cf-aig-cache-status}' -X POST "${H[@]}" --data-binary @"$STATE/gateway-body.json" "$U")
second=$(curl -s -o /dev/null -w '%header{cf-aig-cache-status}' -X POST "${H[@]}" --data-binary @"$STATE/gateway-body.json" "$U")
[ "$first $second" = "MISS HIT" ] || { echo "priming: cf-aig-cache-status $first then $second, want MISS then HIT"; exit 1; }
echo "AI Gateway chat completion cache HIT, 32 clients, $LOAD_SECONDS:"
go run ./cmd/edgeload --url "$U" -c 32 -d "$LOAD_SECONDS" --method POST --body @"$STATE/gateway-body.json" "${H[@]}"
