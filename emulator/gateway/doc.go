// Package gateway emulates Cloudflare AI Gateway
// (https://developers.cloudflare.com/ai-gateway/): the caching proxy at
// https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/{provider}/...,
// served on edge's main listener at the same path, so a client switches to
// it by swapping the origin only.
//
// Providers:
//   - openai: OpenAI's API. The upstream is "builtin" (offline: the
//     Workers AI binding answers /chat/completions with
//     @cf/meta/llama-3.1-8b-instruct and /embeddings with bge, in OpenAI's
//     response shapes), "ollama" (Ollama's OpenAI-compatible /v1), or any
//     base URL such as https://api.openai.com/v1 (the caller's key is
//     forwarded).
//   - workers-ai: the local Workers AI, /{model} with the Workers AI input
//     (answered in the v4 envelope) and /v1/chat/completions, /v1/embeddings.
//   - compat: /chat/completions and /embeddings with model
//     "<provider>/<model>" (openai or workers-ai).
//
// The universal endpoint, POST /v1/{account_id}/{gateway_id} with a JSON
// array of {provider, endpoint, headers, query} steps, tries each step in
// turn and names the one that answered in cf-aig-step.
//
// Caching follows the caching page (cloudflare-semantics.md §5.2): the key
// is SHA-256 over provider, endpoint, model, the provider's Authorization
// header and the full body; the gateway's cache_ttl is the default
// ([edge.gateways.<id>] cache_ttl in wrangler.toml); cf-aig-cache-ttl
// (60 s to one month), cf-aig-skip-cache, cf-aig-cache-key (5 minutes when
// the gateway does not cache) and the legacy cf-skip-cache / cf-cache-ttl
// override it per request. Only successful (2xx) responses are stored, in
// Badger under <state>/gateway (decoded entries are also held in a bounded
// in-memory map over it, Limits.HotBytes), with their expiry decided by the
// injected clock. Every response carries cf-aig-cache-status (HIT or MISS) and
// cf-aig-log-id. An authenticated gateway answers a request without
// cf-aig-authorization: Bearer <token> with 401
// {"success":false,"error":[{"code":2009,"message":"Unauthorized"}]}.
//
// Workers AI binding runs with options.gateway (env.AI.run(model, input,
// {gateway: {id, skipCache, cacheTtl, cacheKey}})) go through the same
// pipeline via RunWorkersAI, which emulator/ai's SetGateway takes.
//
// Log records carry getLog's fields (§5.5) and are kept in a bounded ring in
// memory, with counters (requests, hits, misses, tokens in and out, tokens
// and estimated cost saved by hits), served at GET /_edge/gateway.
//
// # Differences from Cloudflare
//
//   - Streamed responses (stream:true, or a text/event-stream answer) are
//     proxied unbuffered and never cached.
//   - cf-aig-skip-cache skips reading the cache only: the fresh answer is
//     stored again when caching is on.
//   - A cf-aig-cache-ttl out of bounds (or not a whole number) is ignored
//     with a warning in the log, and the gateway default applies; no error
//     is documented for it. One month is taken as 30 days.
//   - A cf-aig-cache-ttl within bounds turns caching on for that request
//     even on a gateway whose cache_ttl is 0; a request reads the cache
//     only when caching is on for it.
//   - Every response not served from the cache says MISS, also when caching
//     was off for it; errors the gateway answers itself carry no cache
//     status.
//   - Gateway ids not in [edge.gateways] are served with caching off and no
//     authentication (Cloudflare answers only for gateways that exist). The
//     account id in the path is not checked; cache entries are kept per
//     account and gateway.
//   - An authenticated gateway configured without a token accepts any
//     non-empty bearer token.
//   - The cache key also covers the HTTP method and query string (so a GET
//     and a POST to one path never share an entry).
//   - The gateway's own failures other than 2009 (unknown provider, body too
//     large, upstream unreachable 502, cf-aig-request-timeout 504) use the
//     gateway envelope with the generic v4 codes 7003 and 10001; the real
//     codes are not documented.
//   - A body over Limits.MaxRequestBody (25 MiB, our own limit) is read and
//     discarded, up to Limits.MaxDiscardBody (100 MiB), before the 413, so
//     a client that writes its whole body first gets the answer rather
//     than a reset; a longer one is answered with Connection: close.
//   - cf-aig-request-timeout is honoured (to the response headers);
//     retries (cf-aig-max-attempts, cf-aig-retry-delay, cf-aig-backoff),
//     rate limiting, dynamic routes, guardrails, DLP and log export are not
//     emulated. cf-aig-event-id is accepted and ignored.
//   - The universal endpoint (POST /v1/{account_id}/{gateway_id}, an array
//     of steps, cf-aig-step) tries steps in order until one answers 2xx; a
//     step's answer is buffered, and step config (timeouts, retries) is
//     ignored.
//   - Costs are estimates from a fixed price table (DefaultPrices); tokens
//     come from the provider's usage, and the builtin upstream estimates
//     them (one token per four characters) when the model reports none.
//   - The builtin openai upstream answers with Workers AI models: the
//     response's model field echoes the requested OpenAI model; embeddings
//     have 768 dimensions (384 or 1024 through "dimensions"), not OpenAI's;
//     image parts of a message reach the model as the text "[image]".
//   - Log durations are measured with the injected clock, so they read 0
//     under a fake clock.
package gateway
