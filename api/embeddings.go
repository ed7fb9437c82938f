package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"jobmatch-edge/runtime"
)

// The embeddings cache service (contract §4.1, the original's
// services/embeddingsCache.ts and services/embeddings.ts): layer 1 is the
// EMBEDDINGS_CACHE KV namespace, layer 2 is Workers AI.

const (
	embeddingModel      = "@cf/baai/bge-base-en-v1.5"
	embeddingDimensions = 768
	embeddingMaxUnits   = 8000              // UTF-16 code units kept, as JS text.slice(0, 8000)
	embeddingCacheTTL   = 30 * 24 * 60 * 60 // 2592000 s
	embeddingKeyPrefix  = "embed:"
)

// errEmptyEmbeddingText is the original's Error for empty or blank text.
var errEmptyEmbeddingText = errors.New("Cannot generate embedding for empty text")

// cachedEmbedding is the KV value, in the original's key order.
type cachedEmbedding struct {
	Embedding []float64 `json:"embedding"`
	Model     string    `json:"model"`
	CachedAt  string    `json:"cachedAt"`
	Hash      string    `json:"hash"`
}

// truncateUTF16 returns the first max UTF-16 code units of s, as
// JavaScript's s.slice(0, max), and its length in code units. A cut through
// a surrogate pair leaves the lone high surrogate, which Node encodes as
// U+FFFD when it hashes or sends the text; the result carries U+FFFD there.
func truncateUTF16(s string, max int) (string, int) {
	units := 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if n < 0 { // invalid UTF-8 decodes as U+FFFD, one unit
			n = 1
		}
		if units+n > max {
			if units < max { // room for the high surrogate only
				return s[:i] + string(utf8.RuneError), max
			}
			return s[:i], units
		}
		units += n
	}
	return s, units
}

// embeddingCacheKey is generateCacheKey: "embed:" + the first 16 hex digits
// of SHA-256 over the UTF-8 of the text cut to 8000 UTF-16 code units.
func embeddingCacheKey(text string) string {
	t, _ := truncateUTF16(text, embeddingMaxUnits)
	sum := sha256.Sum256([]byte(t))
	return embeddingKeyPrefix + hex.EncodeToString(sum[:])[:16]
}

// isBlankJS reports whether s is empty after JavaScript's trim().
func isBlankJS(s string) bool {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }) == ""
}

// ---- statistics (getCacheStatistics, made real) ----

// layerCounters counts one layer: a hit is a request the layer answered, a
// miss one it could not answer (layer 1: absent, invalid or a KV error;
// layer 2: a Workers AI error or a malformed answer).
type layerCounters struct {
	hits, misses, errors int64
	latency              time.Duration
	calls                int64
}

type embeddingStats struct {
	mu       sync.Mutex
	requests int64
	total    time.Duration
	kv, ai   layerCounters
}

func (a *App) embeddingStats() *embeddingStats { return &a.embedStats }

// LayerStats are one cache layer's figures.
type LayerStats struct {
	Layer         string   `json:"layer"`
	Hits          int64    `json:"hits"`
	Misses        int64    `json:"misses"`
	Errors        int64    `json:"errors"`
	HitRate       *float64 `json:"hitRate"`       // hits / (hits + misses); null before the first call
	MeanLatencyMs *float64 `json:"meanLatencyMs"` // mean time spent in the layer
}

// EmbeddingsCacheStats are the embeddings cache's figures since start.
type EmbeddingsCacheStats struct {
	Model         string     `json:"model"`
	Requests      int64      `json:"requests"`      // embeddings asked for (non-empty text)
	HitRate       *float64   `json:"hitRate"`       // share answered from KV
	MeanLatencyMs *float64   `json:"meanLatencyMs"` // mean total time per request
	Layer1        LayerStats `json:"layer1"`
	Layer2        LayerStats `json:"layer2"`
}

// Stats are the figures /_edge/stats serves for the JobMatch app.
type Stats struct {
	EmbeddingsCache EmbeddingsCacheStats `json:"embeddingsCache"`
}

func ratio(n, d int64) *float64 {
	if d == 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(d)*10000) / 10000
	return &v
}

func meanMs(d time.Duration, n int64) *float64 {
	if n == 0 {
		return nil
	}
	v := math.Round(float64(d.Microseconds())/float64(n)) / 1000
	return &v
}

// Stats returns the app's live figures (JSON-able): the embeddings cache's
// hits and misses per layer, hit rates and mean latencies. It is the
// original's getCacheStatistics, which only returned nulls.
func (a *App) Stats() any {
	s := a.embeddingStats()
	s.mu.Lock()
	defer s.mu.Unlock()
	layer := func(name string, c layerCounters) LayerStats {
		return LayerStats{Layer: name, Hits: c.hits, Misses: c.misses, Errors: c.errors,
			HitRate: ratio(c.hits, c.hits+c.misses), MeanLatencyMs: meanMs(c.latency, c.calls)}
	}
	return Stats{EmbeddingsCache: EmbeddingsCacheStats{
		Model: embeddingModel, Requests: s.requests,
		HitRate: ratio(s.kv.hits, s.requests), MeanLatencyMs: meanMs(s.total, s.requests),
		Layer1: layer("KV", s.kv), Layer2: layer("Workers AI", s.ai),
	}}
}

// ---- the cache ----

// generateCachedEmbedding is the original's generateCachedEmbedding: KV
// first, then Workers AI, storing the result in KV for 30 days. Console
// lines go to the request's log through ctx.
func (a *App) generateCachedEmbedding(ctx context.Context, text string) ([]float64, error) {
	start := a.clock.Now()
	if isBlankJS(text) {
		return nil, errEmptyEmbeddingText
	}
	st := a.embeddingStats()
	key := embeddingCacheKey(text)
	hash := strings.TrimPrefix(key, embeddingKeyPrefix)

	// Layer 1: KV.
	kvStart := a.clock.Now()
	ent, err := a.embeddings.Get(ctx, key)
	kvLatency := a.clock.Now().Sub(kvStart)
	kvErr := false
	switch {
	case errors.Is(err, runtime.ErrKVKeyNotFound):
		a.console(ctx, "log", "[EmbeddingsCache] Layer 1 (KV) MISS in %sms, calling Workers AI (Layer 2)", msString(kvLatency))
	case err != nil:
		kvErr = true
		a.console(ctx, "error", "[EmbeddingsCache] Layer 1 (KV) error: %v", err)
	default:
		var cached any
		if jerr := json.Unmarshal(ent.Value, &cached); jerr != nil {
			// get(key, {type:"json"}) throws on a value that is not JSON.
			kvErr = true
			a.console(ctx, "error", "[EmbeddingsCache] Layer 1 (KV) error: SyntaxError: %v", jerr)
			break
		}
		if emb, model, cachedAt, ok := validCachedEmbedding(cached); ok {
			total := a.clock.Now().Sub(start)
			st.mu.Lock()
			st.requests++
			st.total += total
			st.kv.hits++
			st.kv.calls++
			st.kv.latency += kvLatency
			st.mu.Unlock()
			a.console(ctx, "log", "[EmbeddingsCache] ✓ Layer 1 (KV) HIT in %sms (total: %sms) - Cost savings!", msString(kvLatency), msString(total))
			a.console(ctx, "log", "[EmbeddingsCache] Cached embedding from %s, model: %s", cachedAt, model)
			return emb, nil
		}
		if jsTruthy(cached) {
			a.console(ctx, "warn", "[EmbeddingsCache] Layer 1 (KV) HIT but invalid data, will regenerate")
		} else {
			a.console(ctx, "log", "[EmbeddingsCache] Layer 1 (KV) MISS in %sms, calling Workers AI (Layer 2)", msString(kvLatency))
		}
	}
	st.mu.Lock()
	st.kv.misses++
	st.kv.calls++
	st.kv.latency += kvLatency
	if kvErr {
		st.kv.errors++
	}
	st.mu.Unlock()

	// Layer 2: Workers AI.
	aiStart := a.clock.Now()
	truncated, units := truncateUTF16(text, embeddingMaxUnits)
	a.console(ctx, "log", "[EmbeddingsCache] Layer 2: Calling Workers AI for text (%d chars)", units)
	emb, err := a.runEmbedding(ctx, truncated)
	aiLatency := a.clock.Now().Sub(aiStart)
	total := a.clock.Now().Sub(start)
	st.mu.Lock()
	st.requests++
	st.total += total
	st.ai.calls++
	st.ai.latency += aiLatency
	if err != nil {
		st.ai.misses++
		st.ai.errors++
	} else {
		st.ai.hits++
	}
	st.mu.Unlock()
	if err != nil {
		a.console(ctx, "error", "[EmbeddingsCache] Layer 2 (Workers AI) FAILED after %sms (total: %sms): %v", msString(aiLatency), msString(total), err)
		return nil, err
	}
	a.console(ctx, "log", "[EmbeddingsCache] ✓ Layer 2 (Workers AI) SUCCESS in %sms (total: %sms)", msString(aiLatency), msString(total))

	// Differs from the original: the KV write is awaited (the original does
	// not wait for it), so the next identical request is a hit.
	val, _ := json.Marshal(cachedEmbedding{Embedding: emb, Model: embeddingModel, CachedAt: isoTime(a.clock.Now()), Hash: hash})
	if err := a.embeddings.Put(ctx, key, val, runtime.KVPutOptions{ExpirationTTL: embeddingCacheTTL}); err != nil {
		a.console(ctx, "error", "[EmbeddingsCache] Failed to store in KV: %v", err)
	} else {
		a.console(ctx, "log", "[EmbeddingsCache] Stored embedding in KV with 30-day TTL")
	}
	return emb, nil
}

// runEmbedding calls Workers AI and checks the answer as the original does.
func (a *App) runEmbedding(ctx context.Context, text string) ([]float64, error) {
	if a.env.AI == nil {
		return nil, errors.New("Workers AI binding is not configured")
	}
	out, err := a.env.AI.Run(ctx, embeddingModel, map[string]any{"text": []string{text}}, runtime.AIOptions{})
	if err != nil {
		return nil, err
	}
	var resp map[string]json.RawMessage
	if json.Unmarshal(out, &resp) != nil {
		return nil, errors.New("Invalid response structure from Workers AI")
	}
	var data []json.RawMessage
	if raw, ok := resp["data"]; !ok || json.Unmarshal(raw, &data) != nil {
		return nil, errors.New("Invalid response structure from Workers AI")
	}
	var emb []float64
	if len(data) == 0 || json.Unmarshal(data[0], &emb) != nil || emb == nil {
		return nil, errors.New("Embedding data is missing or invalid")
	}
	if len(emb) != embeddingDimensions {
		return nil, fmt.Errorf("Unexpected embedding dimensions: got %d, expected %d", len(emb), embeddingDimensions)
	}
	return emb, nil
}

// validCachedEmbedding accepts a cached value whose embedding is an array
// of exactly 768 numbers.
func validCachedEmbedding(v any) (emb []float64, model, cachedAt string, ok bool) {
	m, isObj := v.(map[string]any)
	if !isObj {
		return nil, "", "", false
	}
	arr, isArr := m["embedding"].([]any)
	if !isArr || len(arr) != embeddingDimensions {
		return nil, "", "", false
	}
	emb = make([]float64, len(arr))
	for i, x := range arr {
		f, isNum := x.(float64)
		if !isNum {
			return nil, "", "", false
		}
		emb[i] = f
	}
	return emb, jsString(m["model"]), jsString(m["cachedAt"]), true
}

// jsString renders a JSON value as a template literal would.
func jsString(v any) string {
	switch x := v.(type) {
	case nil:
		return "undefined"
	case string:
		return x
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// jsTruthy is JavaScript truthiness for a decoded JSON value.
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	default:
		return true
	}
}

// clearEmbeddingCache deletes the cached embedding of text.
func (a *App) clearEmbeddingCache(ctx context.Context, text string) error {
	key := embeddingCacheKey(text)
	if err := a.embeddings.Delete(ctx, key); err != nil {
		a.console(ctx, "error", "[EmbeddingsCache] Failed to clear cache: %v", err)
		return err
	}
	a.console(ctx, "log", "[EmbeddingsCache] Cleared cache for key: %s", key)
	return nil
}

// warmEmbeddingCache stores a precomputed embedding for text.
func (a *App) warmEmbeddingCache(ctx context.Context, text string, embedding []float64) error {
	if len(embedding) != embeddingDimensions {
		return fmt.Errorf("Invalid embedding dimensions: %d", len(embedding))
	}
	key := embeddingCacheKey(text)
	val, _ := json.Marshal(cachedEmbedding{Embedding: embedding, Model: embeddingModel, CachedAt: isoTime(a.clock.Now()),
		Hash: strings.TrimPrefix(key, embeddingKeyPrefix)})
	if err := a.embeddings.Put(ctx, key, val, runtime.KVPutOptions{ExpirationTTL: embeddingCacheTTL}); err != nil {
		return err
	}
	a.console(ctx, "log", "[EmbeddingsCache] Warmed cache for key: %s", key)
	return nil
}

// ---- job embeddings (services/embeddings.ts, services/vectorize.ts) ----

// jobEmbeddingText joins title, company, description and the skill lists
// with single spaces, dropping parts that are blank.
func jobEmbeddingText(title, company, description string, required, preferred []string) string {
	var parts []string
	for _, p := range []string{title, company, description, strings.Join(required, " "), strings.Join(preferred, " ")} {
		if !isBlankJS(p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// generateJobEmbedding is the original's generateJobEmbedding.
func (a *App) generateJobEmbedding(ctx context.Context, title, company, description string, required, preferred []string) ([]float64, error) {
	a.console(ctx, "log", "[Embeddings] Generating job embedding for: %s at %s", title, company)
	text := jobEmbeddingText(title, company, description, required, preferred)
	if isBlankJS(text) {
		return nil, errors.New("Job data is empty - cannot generate embedding")
	}
	a.console(ctx, "log", "[Embeddings] Job text length: %d chars", utf16Len(text))
	emb, err := a.generateCachedEmbedding(ctx, text)
	if err != nil {
		return nil, err
	}
	if len(emb) != embeddingDimensions {
		return nil, fmt.Errorf("Invalid job embedding dimensions: %d (expected %d)", len(emb), embeddingDimensions)
	}
	a.console(ctx, "log", "[Embeddings] Successfully generated job embedding (%dD)", len(emb))
	return emb, nil
}

// storeJobEmbedding inserts the vector job:{id} with metadata
// {jobId, userId, title, company}. Insert, not upsert, as the original.
func (a *App) storeJobEmbedding(ctx context.Context, jobID, uid, title, company string, emb []float64) error {
	start := a.clock.Now()
	err := func() error {
		if len(emb) != embeddingDimensions {
			return fmt.Errorf("Invalid embedding dimensions: %d, expected %d", len(emb), embeddingDimensions)
		}
		idx := a.env.Vectorize["VECTORIZE"]
		values := make(runtime.VectorizeValues, len(emb))
		for i, f := range emb {
			values[i] = float32(f)
		}
		_, err := idx.Insert(ctx, []runtime.VectorizeVector{{
			ID: "job:" + jobID, Values: values,
			Metadata: map[string]any{"jobId": jobID, "userId": uid, "title": title, "company": company},
		}})
		return err
	}()
	d := a.clock.Now().Sub(start)
	if err != nil {
		a.console(ctx, "error", "[Vectorize] ✗ Failed to store embedding for job %s after %sms: %v", jobID, msString(d), err)
		return err
	}
	a.console(ctx, "log", "[Vectorize] ✓ Stored embedding for job %s (%s at %s) in %sms", jobID, title, company, msString(d))
	return nil
}

// utf16Len is a string's JavaScript length.
func utf16Len(s string) int {
	_, n := truncateUTF16(s, math.MaxInt)
	return n
}
