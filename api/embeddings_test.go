package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

// consoleCapture records the Worker's console lines ("level: line").
type consoleCapture struct {
	mu    sync.Mutex
	lines []string
}

func (cc *consoleCapture) Enabled(context.Context, slog.Level) bool { return true }
func (cc *consoleCapture) Handle(_ context.Context, r slog.Record) error {
	cc.mu.Lock()
	cc.lines = append(cc.lines, r.Message)
	cc.mu.Unlock()
	return nil
}
func (cc *consoleCapture) WithAttrs([]slog.Attr) slog.Handler { return cc }
func (cc *consoleCapture) WithGroup(string) slog.Handler      { return cc }

// take returns the lines printed since the last take.
func (cc *consoleCapture) take() []string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	l := cc.lines
	cc.lines = nil
	return l
}

// captureConsole makes ta's Worker console print into a capture.
func captureConsole(ta *testApp) *consoleCapture {
	cc := &consoleCapture{}
	ta.Env.Log = slog.New(cc)
	return cc
}

// withPrefix keeps the lines starting with prefix.
func withPrefix(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func sha16(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}

func TestTruncateUTF16(t *testing.T) {
	a := strings.Repeat
	for _, tc := range []struct {
		name, in, want string
		units          int
	}{
		{"short", "héllo", "héllo", 5},
		{"ascii over", a("x", 8001), a("x", 8000), 8000},
		{"bmp counts one", a("é", 8001), a("é", 8000), 8000},
		{"pair fits", a("x", 7998) + "😀b", a("x", 7998) + "😀", 8000},
		{"pair split keeps a lone high surrogate (U+FFFD in UTF-8)", a("x", 7999) + "😀b", a("x", 7999) + "\uFFFD", 8000},
		{"pair after the limit", a("x", 8000) + "😀", a("x", 8000), 8000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n := truncateUTF16(tc.in, 8000)
			if got != tc.want || n != tc.units {
				t.Errorf("truncateUTF16 = (%d bytes, %d units), want (%d bytes, %d units)", len(got), n, len(tc.want), tc.units)
			}
		})
	}
	if n := utf16Len("a😀é"); n != 4 {
		t.Errorf("utf16Len = %d, want 4", n)
	}
}

func TestEmbeddingCacheKey(t *testing.T) {
	if got, want := embeddingCacheKey("Software Engineer"), "embed:"+sha16("Software Engineer"); got != want {
		t.Errorf("key = %s, want %s", got, want)
	}
	// Node hashes the lone high surrogate left by slice() as EF BF BD.
	long := strings.Repeat("x", 7999) + "😀 tail"
	if got, want := embeddingCacheKey(long), "embed:"+sha16(strings.Repeat("x", 7999)+"\xef\xbf\xbd"); got != want {
		t.Errorf("split pair key = %s, want %s", got, want)
	}
	// Texts equal in their first 8000 units share a key.
	if embeddingCacheKey(strings.Repeat("y", 8000)+"a") != embeddingCacheKey(strings.Repeat("y", 8000)+"b") {
		t.Error("texts equal up to 8000 units have different keys")
	}
	if k := embeddingCacheKey("x"); len(k) != len("embed:")+16 {
		t.Errorf("key %q is not embed: + 16 hex", k)
	}
}

func TestEmbeddingsCacheMissHitAndTTL(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	ctx := context.Background()
	const text = "Software Engineer Builds reliable services"

	emb, err := ta.app.generateCachedEmbedding(ctx, text)
	if err != nil || len(emb) != 768 {
		t.Fatalf("first call: %d dims, %v", len(emb), err)
	}
	want := []string{
		"[EmbeddingsCache] Layer 1 (KV) MISS in 0.0ms, calling Workers AI (Layer 2)",
		fmt.Sprintf("[EmbeddingsCache] Layer 2: Calling Workers AI for text (%d chars)", len(text)),
		"[EmbeddingsCache] ✓ Layer 2 (Workers AI) SUCCESS in 0.0ms (total: 0.0ms)",
		"[EmbeddingsCache] Stored embedding in KV with 30-day TTL",
	}
	if d := cmp.Diff(want, cc.take()); d != "" {
		t.Errorf("miss lines (-want +got):\n%s", d)
	}

	// The KV value: schema, key order, hash, TTL from the fake clock.
	key := "embed:" + sha16(text)
	ent, err := ta.Env.KV["EMBEDDINGS_CACHE"].Get(ctx, key)
	if err != nil {
		t.Fatalf("KV get %s: %v", key, err)
	}
	if want := emulatortest.Start.Unix() + 2592000; ent.Expiration != want {
		t.Errorf("expiration = %d, want %d (30 days)", ent.Expiration, want)
	}
	if !strings.HasPrefix(string(ent.Value), `{"embedding":[`) ||
		!strings.HasSuffix(string(ent.Value), fmt.Sprintf(`],"model":"@cf/baai/bge-base-en-v1.5","cachedAt":"2030-01-01T00:00:00.000Z","hash":%q}`, sha16(text))) {
		t.Errorf("KV value shape: %.80s … %s", ent.Value, ent.Value[len(ent.Value)-120:])
	}
	var stored cachedEmbedding
	if err := json.Unmarshal(ent.Value, &stored); err != nil || !cmp.Equal(stored.Embedding, emb) {
		t.Errorf("stored embedding differs from the returned one (%v)", err)
	}

	// Hit, just before expiry.
	ta.Clock.Advance(2592000*time.Second - time.Second)
	hit, err := ta.app.generateCachedEmbedding(ctx, text)
	if err != nil || !cmp.Equal(hit, emb) {
		t.Fatalf("hit: %v", err)
	}
	want = []string{
		"[EmbeddingsCache] ✓ Layer 1 (KV) HIT in 0.0ms (total: 0.0ms) - Cost savings!",
		"[EmbeddingsCache] Cached embedding from 2030-01-01T00:00:00.000Z, model: @cf/baai/bge-base-en-v1.5",
	}
	if d := cmp.Diff(want, cc.take()); d != "" {
		t.Errorf("hit lines (-want +got):\n%s", d)
	}
	// At expiry: a miss again.
	ta.Clock.Advance(time.Second)
	if _, err := ta.app.generateCachedEmbedding(ctx, text); err != nil {
		t.Fatal(err)
	}
	if got := cc.take(); len(got) == 0 || !strings.Contains(got[0], "Layer 1 (KV) MISS") {
		t.Errorf("after 30 days: %q", got)
	}

	stats := ta.app.Stats().(Stats).EmbeddingsCache
	b, _ := json.Marshal(stats)
	wantJSON := `{"model":"@cf/baai/bge-base-en-v1.5","requests":3,"hitRate":0.3333,"meanLatencyMs":0,` +
		`"layer1":{"layer":"KV","hits":1,"misses":2,"errors":0,"hitRate":0.3333,"meanLatencyMs":0},` +
		`"layer2":{"layer":"Workers AI","hits":2,"misses":0,"errors":0,"hitRate":1,"meanLatencyMs":0}}`
	if string(b) != wantJSON {
		t.Errorf("stats:\n got %s\nwant %s", b, wantJSON)
	}
}

func TestEmbeddingsCacheEmptyText(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	for _, text := range []string{"", "   ", "\n\t \u00a0\ufeff"} {
		if _, err := ta.app.generateCachedEmbedding(context.Background(), text); err == nil || err.Error() != "Cannot generate embedding for empty text" {
			t.Errorf("%q: err = %v", text, err)
		}
	}
	b, _ := json.Marshal(ta.app.Stats())
	if !strings.Contains(string(b), `"requests":0,"hitRate":null,"meanLatencyMs":null`) {
		t.Errorf("empty texts were counted: %s", b)
	}
}

// fakeAI answers every run with a fixed output or error.
type fakeAI struct {
	out   string
	err   error
	calls int
}

func (f *fakeAI) Run(_ context.Context, model string, input any, _ runtime.AIOptions) (json.RawMessage, error) {
	f.calls++
	return json.RawMessage(f.out), f.err
}

func floats(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = "0.01"
	}
	return "[" + strings.Join(s, ",") + "]"
}

func TestEmbeddingsCacheChecksWorkersAIOutput(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	for _, tc := range []struct{ name, out, want string }{
		{"767 dims", `{"shape":[1,767],"data":[` + floats(767) + `]}`, "Unexpected embedding dimensions: got 767, expected 768"},
		{"no data", `{"shape":[1,768]}`, "Invalid response structure from Workers AI"},
		{"data not an array", `{"data":"x"}`, "Invalid response structure from Workers AI"},
		{"data[0] not an array", `{"data":[1]}`, "Embedding data is missing or invalid"},
		{"empty data", `{"data":[]}`, "Embedding data is missing or invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ta.Env.AI = &fakeAI{out: tc.out}
			_, err := ta.app.generateCachedEmbedding(context.Background(), "text "+tc.name)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %s", err, tc.want)
			}
			lines := cc.take()
			if last := lines[len(lines)-1]; last != "[EmbeddingsCache] Layer 2 (Workers AI) FAILED after 0.0ms (total: 0.0ms): "+tc.want {
				t.Errorf("last line %q", last)
			}
			if _, err := ta.Env.KV["EMBEDDINGS_CACHE"].Get(context.Background(), embeddingCacheKey("text "+tc.name)); !errors.Is(err, runtime.ErrKVKeyNotFound) {
				t.Errorf("a failed embedding was cached: %v", err)
			}
		})
	}
	ta.Env.AI = &fakeAI{err: errors.New("AiError: 3040: capacity")}
	if _, err := ta.app.generateCachedEmbedding(context.Background(), "boom"); err == nil || err.Error() != "AiError: 3040: capacity" {
		t.Errorf("AI error not returned: %v", err)
	}
	st := ta.app.Stats().(Stats).EmbeddingsCache
	if st.Layer2.Misses != 6 || st.Layer2.Hits != 0 || st.Requests != 6 {
		t.Errorf("layer 2 stats: %+v", st.Layer2)
	}
}

func TestEmbeddingsCacheInvalidKVValues(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	ctx := context.Background()
	kv := ta.Env.KV["EMBEDDINGS_CACHE"]
	for _, tc := range []struct{ name, value, line string }{
		{"767 floats", `{"embedding":` + floats(767) + `,"model":"m","cachedAt":"t","hash":"h"}`, "[EmbeddingsCache] Layer 1 (KV) HIT but invalid data, will regenerate"},
		{"strings", `{"embedding":["a"]}`, "[EmbeddingsCache] Layer 1 (KV) HIT but invalid data, will regenerate"},
		{"null", `null`, "[EmbeddingsCache] Layer 1 (KV) MISS in 0.0ms, calling Workers AI (Layer 2)"},
		{"not JSON", `{oops`, "[EmbeddingsCache] Layer 1 (KV) error: SyntaxError: invalid character 'o' looking for beginning of object key string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "kv case " + tc.name
			if err := kv.Put(ctx, embeddingCacheKey(text), []byte(tc.value), runtime.KVPutOptions{}); err != nil {
				t.Fatal(err)
			}
			emb, err := ta.app.generateCachedEmbedding(ctx, text)
			if err != nil || len(emb) != 768 {
				t.Fatalf("regenerate: %d %v", len(emb), err)
			}
			if lines := cc.take(); lines[0] != tc.line {
				t.Errorf("first line %q, want %q", lines[0], tc.line)
			}
		})
	}
	if st := ta.app.Stats().(Stats).EmbeddingsCache.Layer1; st.Errors != 1 || st.Misses != 4 {
		t.Errorf("layer 1 stats: %+v", st)
	}
}

func TestWarmAndClearEmbeddingCache(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	ctx := context.Background()
	ai := &fakeAI{err: errors.New("must not be called")}
	ta.Env.AI = ai
	vec := make([]float64, 768)
	vec[0] = 1
	if err := ta.app.warmEmbeddingCache(ctx, "warm text", vec[:5]); err == nil || err.Error() != "Invalid embedding dimensions: 5" {
		t.Errorf("warm with 5 dims: %v", err)
	}
	if err := ta.app.warmEmbeddingCache(ctx, "warm text", vec); err != nil {
		t.Fatal(err)
	}
	ent, err := ta.Env.KV["EMBEDDINGS_CACHE"].Get(ctx, embeddingCacheKey("warm text"))
	if err != nil || ent.Expiration != emulatortest.Start.Unix()+2592000 {
		t.Fatalf("warmed entry: %v %d", err, ent.Expiration)
	}
	got, err := ta.app.generateCachedEmbedding(ctx, "warm text")
	if err != nil || !cmp.Equal(got, vec) || ai.calls != 0 {
		t.Fatalf("warmed hit: %v, AI calls %d", err, ai.calls)
	}
	if err := ta.app.clearEmbeddingCache(ctx, "warm text"); err != nil {
		t.Fatal(err)
	}
	if _, err := ta.app.generateCachedEmbedding(ctx, "warm text"); err == nil || ai.calls != 1 {
		t.Errorf("after clear: err %v, AI calls %d (want a miss)", err, ai.calls)
	}
}

func TestJobEmbeddingText(t *testing.T) {
	got := jobEmbeddingText("Engineer", "  ", "Builds", []string{"Go", "SQL"}, nil)
	if got != "Engineer Builds Go SQL" {
		t.Errorf("job text = %q", got)
	}
}
