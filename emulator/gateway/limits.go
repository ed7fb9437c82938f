package gateway

import "time"

// Request headers the gateway reads (cloudflare-semantics.md §5.2-§5.3).
// They are never forwarded to a provider.
const (
	HeaderAuthorization = "cf-aig-authorization" // "Bearer <token>" on an authenticated gateway
	HeaderSkipCache     = "cf-aig-skip-cache"    // "true": do not read the cache
	HeaderCacheTTL      = "cf-aig-cache-ttl"     // seconds, MinCacheTTL..MaxCacheTTL
	HeaderCacheKey      = "cf-aig-cache-key"     // replaces the default cache key
	HeaderMetadata      = "cf-aig-metadata"      // JSON object of string|number|boolean
	HeaderCustomCost    = "cf-aig-custom-cost"   // {"per_token_in","per_token_out"} or {"total_cost"}
	HeaderCollectLog    = "cf-aig-collect-log"   // "false": keep no log record
	HeaderEventID       = "cf-aig-event-id"      // accepted, not used
	HeaderTimeout       = "cf-aig-request-timeout"

	// Legacy names, still honoured by Cloudflare.
	HeaderLegacySkipCache = "cf-skip-cache"
	HeaderLegacyCacheTTL  = "cf-cache-ttl"

	// Response headers.
	HeaderCacheStatus = "cf-aig-cache-status" // HIT or MISS
	HeaderLogID       = "cf-aig-log-id"
)

// Cache status values of HeaderCacheStatus.
const (
	CacheHit  = "HIT"
	CacheMiss = "MISS"
)

// TTL bounds of HeaderCacheTTL: at least 60 s, at most one month (taken as
// 30 days), cloudflare-semantics.md §5.2.
const (
	MinCacheTTL = 60 * time.Second
	MaxCacheTTL = 30 * 24 * time.Hour
	// CustomKeyTTL is how long a response stored under a cf-aig-cache-key
	// lives when caching is disabled on the gateway (§5.2: 5 minutes).
	CustomKeyTTL = 5 * time.Minute
)

// Default limits. Tests shrink them through Options.Limits.
const (
	// DefaultLogRecords bounds the in-memory ring of log records.
	DefaultLogRecords = 1000
	// DefaultMaxRequestBody bounds a proxied request body.
	// Differs from Cloudflare: the real limit is not documented; this one is ours.
	DefaultMaxRequestBody = 25 << 20
	// DefaultMaxDiscardBody bounds how much of a too-large request body is
	// read (and thrown away) so that its 413 reaches the client; beyond it
	// the 413 is sent at once and the connection closed. 100 MiB is
	// Cloudflare's own request size limit on the Free and Pro plans.
	DefaultMaxDiscardBody = 100 << 20
	// DefaultMaxCachedBody is the largest response body the cache stores;
	// larger successful responses are passed through uncached.
	DefaultMaxCachedBody = 16 << 20
	// DefaultHotBytes bounds the decoded cache entries kept in memory over
	// Badger, so that a HIT does not decode the record again.
	DefaultHotBytes = 32 << 20
	// DefaultHeadBytes is how much of a request and response body a log
	// record keeps (request_head, response_head).
	DefaultHeadBytes = 4096
	// MaxEmbeddingBatch is how many texts one Workers AI embedding call
	// takes (§4.2); larger OpenAI embedding requests are split.
	MaxEmbeddingBatch = 100
)

// Models the builtin OpenAI upstream runs on the Workers AI binding.
const (
	BuiltinChatModel      = "@cf/meta/llama-3.1-8b-instruct"
	BuiltinEmbeddingModel = "@cf/baai/bge-base-en-v1.5"
)

// Ollama models the "ollama" OpenAI upstream uses when the model map names none.
const (
	DefaultOllamaChatModel  = "llama3.2"
	DefaultOllamaEmbedModel = "nomic-embed-text"
	DefaultOllamaURL        = "http://127.0.0.1:11434"
)
