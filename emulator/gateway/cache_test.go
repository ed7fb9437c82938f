package gateway

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCacheMissThenHit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	url := h.url("cached", "openai", "chat/completions")
	body := chatBody("gpt-4o-mini", "hello")

	first := mustPost(t, url, body, "Authorization", "Bearer sk-test")
	wantStatus(t, first, http.StatusOK, CacheMiss)
	second := mustPost(t, url, body, "Authorization", "Bearer sk-test")
	wantStatus(t, second, http.StatusOK, CacheHit)

	wantCalls(t, h.ai, 1)
	if !bytes.Equal(first.body, second.body) {
		t.Errorf("HIT body differs from the MISS body:\n%s\n%s", first.body, second.body)
	}
	if ct := second.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("HIT Content-Type = %q, want application/json", ct)
	}
	id1, id2 := first.header.Get(HeaderLogID), second.header.Get(HeaderLogID)
	if len(id1) != 26 || len(id2) != 26 || id1 == id2 {
		t.Errorf("cf-aig-log-id = %q then %q, want two distinct 26-character ids", id1, id2)
	}
}

func TestCacheKeyParts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	base := struct{ provider, path, body, auth string }{
		"openai", "chat/completions", chatBody("gpt-4o-mini", "key parts"), "Bearer sk-one",
	}
	send := func(provider, path, body, auth string) reply {
		return mustPost(t, h.url("cached", provider, path), body, "Authorization", auth)
	}
	wantStatus(t, send(base.provider, base.path, base.body, base.auth), http.StatusOK, CacheMiss)

	for _, tc := range []struct {
		name                       string
		provider, path, body, auth string
		want                       string
	}{
		{"identical", base.provider, base.path, base.body, base.auth, CacheHit},
		{"different body", base.provider, base.path, chatBody("gpt-4o-mini", "key parts!"), base.auth, CacheMiss},
		{"different model", base.provider, base.path, chatBody("gpt-4o", "key parts"), base.auth, CacheMiss},
		{"different auth header", base.provider, base.path, base.body, "Bearer sk-two", CacheMiss},
		{"same JSON, other spacing", base.provider, base.path, strings.Replace(base.body, ":", ": ", 1), base.auth, CacheMiss},
		{"different provider", "workers-ai", "v1/chat/completions", chatBody("@cf/meta/llama-3.1-8b-instruct", "key parts"), base.auth, CacheMiss},
		{"different endpoint", "openai", "chat/completions?x=1", base.body, base.auth, CacheMiss},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(tc.provider, tc.path, tc.body, tc.auth)
			wantStatus(t, r, http.StatusOK, tc.want)
		})
	}
}

func TestSkipCache(t *testing.T) {
	t.Parallel()
	for _, header := range []string{HeaderSkipCache, HeaderLegacySkipCache} {
		t.Run(header, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			url := h.url("cached", "openai", "chat/completions")
			body := chatBody("gpt-4o-mini", "skip "+header)
			first := mustPost(t, url, body)
			wantStatus(t, first, http.StatusOK, CacheMiss)
			skipped := mustPost(t, url, body, header, "true")
			wantStatus(t, skipped, http.StatusOK, CacheMiss)
			wantCalls(t, h.ai, 2)
			if bytes.Equal(first.body, skipped.body) {
				t.Fatal("skip-cache answer is the cached body; want a fresh provider answer")
			}
			// The fresh answer replaced the stored one.
			again := mustPost(t, url, body)
			wantStatus(t, again, http.StatusOK, CacheHit)
			if !bytes.Equal(again.body, skipped.body) {
				t.Errorf("HIT after skip-cache = %s, want the refreshed %s", again.body, skipped.body)
			}
			wantCalls(t, h.ai, 2)
			// "false" does not skip.
			wantStatus(t, mustPost(t, url, body, header, "false"), http.StatusOK, CacheHit)
		})
	}
}

func TestCustomCacheKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("replaces the default key", func(t *testing.T) {
		url := h.url("cached", "openai", "chat/completions")
		a := mustPost(t, url, chatBody("gpt-4o-mini", "first"), HeaderCacheKey, "shared")
		wantStatus(t, a, http.StatusOK, CacheMiss)
		b := mustPost(t, url, chatBody("gpt-4o-mini", "second"), HeaderCacheKey, "shared")
		wantStatus(t, b, http.StatusOK, CacheHit)
		if !bytes.Equal(a.body, b.body) {
			t.Errorf("custom-key HIT returned %s, want %s", b.body, a.body)
		}
		// Without the header the default key applies: a MISS.
		wantStatus(t, mustPost(t, url, chatBody("gpt-4o-mini", "second")), http.StatusOK, CacheMiss)
		// The key is per gateway.
		wantStatus(t, mustPost(t, h.url("auth", "openai", "chat/completions"), chatBody("gpt-4o-mini", "first"),
			HeaderCacheKey, "shared", HeaderAuthorization, "Bearer sekret"), http.StatusOK, CacheMiss)
	})
	t.Run("five minutes on a gateway without caching", func(t *testing.T) {
		url := h.url("nocache", "openai", "chat/completions")
		body := chatBody("gpt-4o-mini", "custom key, no cache")
		wantStatus(t, mustPost(t, url, body, HeaderCacheKey, "k5"), http.StatusOK, CacheMiss)
		h.clock.Advance(CustomKeyTTL - time.Second)
		wantStatus(t, mustPost(t, url, body, HeaderCacheKey, "k5"), http.StatusOK, CacheHit)
		h.clock.Advance(time.Second)
		wantStatus(t, mustPost(t, url, body, HeaderCacheKey, "k5"), http.StatusOK, CacheMiss)
		// Without a custom key the gateway does not cache at all.
		wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheMiss)
		wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheMiss)
	})
}

func TestCacheTTLHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, gateway, header, value string
		// alive is how long the entry must still answer; dead when it must
		// be gone (0: nothing stored).
		alive, dead time.Duration
	}{
		{"minimum 60 s", "nocache", HeaderCacheTTL, "60", 59 * time.Second, 60 * time.Second},
		{"below minimum ignored", "nocache", HeaderCacheTTL, "59", 0, 0},
		{"maximum one month", "nocache", HeaderCacheTTL, "2592000", 2592000*time.Second - time.Second, 2592000 * time.Second},
		{"above maximum ignored", "nocache", HeaderCacheTTL, "2592001", 0, 0},
		{"not a number ignored", "nocache", HeaderCacheTTL, "1h", 0, 0},
		{"legacy cf-cache-ttl", "nocache", HeaderLegacyCacheTTL, "120", 119 * time.Second, 120 * time.Second},
		{"overrides the gateway default downwards", "cached", HeaderCacheTTL, "90", 89 * time.Second, 90 * time.Second},
		{"out of bounds keeps the gateway default", "cached", HeaderCacheTTL, "30", time.Hour - time.Second, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			url := h.url(tc.gateway, "openai", "chat/completions")
			body := chatBody("gpt-4o-mini", tc.name)
			wantStatus(t, mustPost(t, url, body, tc.header, tc.value), http.StatusOK, CacheMiss)
			if tc.alive == 0 {
				wantStatus(t, mustPost(t, url, body, tc.header, tc.value), http.StatusOK, CacheMiss)
				wantCalls(t, h.ai, 2)
				return
			}
			// A request reads the cache only when caching is on for it, so
			// the follow-ups carry the same header.
			h.clock.Advance(tc.alive)
			wantStatus(t, mustPost(t, url, body, tc.header, tc.value), http.StatusOK, CacheHit)
			h.clock.Advance(tc.dead - tc.alive)
			wantStatus(t, mustPost(t, url, body, tc.header, tc.value), http.StatusOK, CacheMiss)
		})
	}
}

func TestCacheExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		hotBytes int
	}{
		{"hot entries in memory", 0},
		{"Badger only", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(o *Options) { o.Limits.HotBytes = tc.hotBytes })
			if (h.svc.cache.hot == nil) != (tc.hotBytes < 0) {
				t.Fatalf("hot map = %v with HotBytes %d", h.svc.cache.hot, tc.hotBytes)
			}
			url := h.url("cached", "openai", "embeddings")
			body := `{"model":"text-embedding-3-small","input":"expiry"}`
			wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheMiss)
			h.clock.Advance(time.Hour - time.Nanosecond)
			wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheHit)
			h.clock.Advance(time.Nanosecond) // expiry <= now: gone
			wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheMiss)
			wantCalls(t, h.ai, 2)
			// The MISS stored a fresh entry.
			wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheHit)
			// An expired entry is deleted from Badger too.
			h.clock.Advance(time.Hour)
			wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheMiss)
			h.clock.Advance(time.Hour)
			if _, ok, _ := h.svc.cache.get(cacheKey(testAccount, "cached", "openai", "POST embeddings", "text-embedding-3-small", "", []byte(body)), h.clock.Now()); ok {
				t.Error("expired entry still readable")
			}
			if n, err := h.svc.cache.count(); err != nil || n != 0 {
				t.Errorf("entries left in Badger = %d (%v), want 0", n, err)
			}
		})
	}
}

func TestHotEntriesStayWithinBudget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.Limits.HotBytes = 16 << 10 })
	c := h.svc.cache
	body := bytes.Repeat([]byte("b"), 1000)
	var keys [][]byte
	for i := range 40 {
		k := customCacheKey(testAccount, "cached", string(rune('A'+i)))
		keys = append(keys, k)
		if err := c.put(k, &entry{ExpiresAt: testStart.Add(time.Hour), Status: 200, Body: body}); err != nil {
			t.Fatal(err)
		}
		if c.hot.bytes > c.hot.limit {
			t.Fatalf("after %d puts the hot map holds %d bytes, over its %d", i+1, c.hot.bytes, c.hot.limit)
		}
	}
	if len(c.hot.m) >= 40 {
		t.Fatalf("hot map kept all %d entries", len(c.hot.m))
	}
	// Every entry is still served: the dropped ones from Badger.
	for i, k := range keys {
		e, ok, err := c.get(k, testStart)
		if err != nil || !ok || !bytes.Equal(e.Body, body) {
			t.Fatalf("entry %d: ok=%v err=%v", i, ok, err)
		}
	}
	// An entry over an eighth of the budget is not held in memory.
	big := customCacheKey(testAccount, "cached", "big")
	if err := c.put(big, &entry{ExpiresAt: testStart.Add(time.Hour), Status: 200, Body: bytes.Repeat([]byte("x"), 4<<10)}); err != nil {
		t.Fatal(err)
	}
	if c.hot.get(big) != nil {
		t.Error("an oversized entry went into the hot map")
	}
	if _, ok, _ := c.get(big, testStart); !ok {
		t.Error("the oversized entry is not served from Badger")
	}
}

func TestNon2xxNeverCached(t *testing.T) {
	t.Parallel()
	t.Run("builtin error", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		url := h.url("cached", "openai", "chat/completions")
		for range 2 {
			r := mustPost(t, url, chatBody("gpt-4o-mini", "fail"))
			wantStatus(t, r, http.StatusBadRequest, CacheMiss)
			want := `{"error":{"code":null,"message":"Bad input: fail on request","param":null,"type":"invalid_request_error"}}`
			if got := compactJSON(t, string(r.body)); got != want {
				t.Fatalf("body = %s, want %s", got, want)
			}
		}
		wantCalls(t, h.ai, 2)
	})
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			up := newFakeUpstream(t)
			up.status = status
			h := newHarness(t, func(o *Options) { o.OpenAIUpstream = up.srv.URL + "/v1" })
			url := h.url("cached", "openai", "chat/completions")
			for range 2 {
				r := mustPost(t, url, chatBody("gpt-4o-mini", "upstream error"))
				wantStatus(t, r, status, CacheMiss)
				if got, want := string(r.body), up.errorBody(); got != want {
					t.Fatalf("body = %s, want the upstream's %s", got, want)
				}
				if got := r.header.Get("Retry-After"); got != "7" {
					t.Fatalf("Retry-After = %q, want the upstream's 7", got)
				}
			}
			if got := up.requests.Load(); got != 2 {
				t.Fatalf("upstream saw %d requests, want 2", got)
			}
		})
	}
}

func TestAuthenticatedGateway(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const unauthorized = `{"success":false,"error":[{"code":2009,"message":"Unauthorized"}]}`
	for _, tc := range []struct {
		name, gateway, header string
		wantStatus            int
	}{
		{"no header", "auth", "", http.StatusUnauthorized},
		{"wrong token", "auth", "Bearer nope", http.StatusUnauthorized},
		{"no Bearer prefix", "auth", "sekret", http.StatusUnauthorized},
		{"empty bearer", "auth", "Bearer ", http.StatusUnauthorized},
		{"right token", "auth", "Bearer sekret", http.StatusOK},
		{"any token, none configured", "anytok", "Bearer whatever", http.StatusOK},
		{"any token gateway, no header", "anytok", "", http.StatusUnauthorized},
		{"unauthenticated gateway ignores the header", "cached", "Bearer nope", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.header != "" {
				hdr = []string{HeaderAuthorization, tc.header}
			}
			before := h.ai.calls.Load()
			r := mustPost(t, h.url(tc.gateway, "openai", "chat/completions"), chatBody("gpt-4o-mini", tc.name), hdr...)
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.status, tc.wantStatus, r.body)
			}
			if tc.wantStatus == http.StatusUnauthorized {
				if string(r.body) != unauthorized {
					t.Errorf("body = %s, want %s", r.body, unauthorized)
				}
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				if h.ai.calls.Load() != before {
					t.Error("an unauthorized request reached the provider")
				}
			}
		})
	}
}

func TestRestartKeepsCache(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	url := func() string { return h.url("cached", "openai", "chat/completions") }
	body := chatBody("gpt-4o-mini", "survive a restart")
	first := mustPost(t, url(), body)
	wantStatus(t, first, http.StatusOK, CacheMiss)
	h.restart(t)
	second := mustPost(t, url(), body)
	wantStatus(t, second, http.StatusOK, CacheHit)
	if !bytes.Equal(first.body, second.body) {
		t.Errorf("after restart the HIT body differs")
	}
	wantCalls(t, h.ai, 1)

	// Entries that expired while the gateway was down are purged at open.
	h.clock.Advance(2 * time.Hour)
	h.restart(t)
	n, err := h.svc.cache.count()
	if err != nil || n != 0 {
		t.Fatalf("cache entries after reopening past expiry = %d (%v), want 0", n, err)
	}
}

func TestInMemoryCache(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.InMemory = true; o.Dir = "" })
	url := h.url("cached", "openai", "chat/completions")
	body := chatBody("gpt-4o-mini", "in memory")
	wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheMiss)
	wantStatus(t, mustPost(t, url, body), http.StatusOK, CacheHit)
}

func TestEntryEncoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		e    entry
	}{
		{"full", entry{
			ExpiresAt: testStart.Add(time.Hour), Status: 200, Model: "gpt-4o-mini", TokensIn: 12, TokensOut: 34,
			Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a", "b"}},
			Body:   []byte(`{"ok":true}`),
		}},
		{"empty", entry{ExpiresAt: testStart, Status: 204, Header: http.Header{}, Body: []byte{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeEntry(encodeEntry(&tc.e))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.e, got, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(entry{})); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		b := encodeEntry(&entry{ExpiresAt: testStart, Status: 200, Body: []byte("0123456789")})
		if _, err := decodeEntry(b[:len(b)-3]); err != errBadEntry {
			t.Errorf("decode of a truncated entry: err = %v, want errBadEntry", err)
		}
	})
}

func TestCacheKeyIsUnambiguous(t *testing.T) {
	t.Parallel()
	a := cacheKey("acc", "gw", "openai", "POST chat", "m", "Bearer x", []byte("body"))
	for _, tc := range []struct {
		name string
		key  []byte
	}{
		{"parts shifted", cacheKey("acc", "gw", "openai", "POST cha", "tm", "Bearer x", []byte("body"))},
		{"auth into body", cacheKey("acc", "gw", "openai", "POST chat", "m", "Bearer ", []byte("xbody"))},
		{"other gateway", cacheKey("acc", "gw2", "openai", "POST chat", "m", "Bearer x", []byte("body"))},
		{"other account", cacheKey("acc2", "gw", "openai", "POST chat", "m", "Bearer x", []byte("body"))},
		{"custom key", customCacheKey("acc", "gw", "body")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(a, tc.key) {
				t.Errorf("keys collide: %s", a)
			}
		})
	}
	if b := cacheKey("acc", "gw", "openai", "POST chat", "m", "Bearer x", []byte("body")); !bytes.Equal(a, b) {
		t.Error("the same request gave two keys")
	}
}

// TestCacheHasNoBlockCache: the cache's Badger store has no block cache,
// whose monitor warned "Block cache might be too small" every minute under
// load (store.BadgerOptions explains why).
func TestCacheHasNoBlockCache(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if m := h.svc.cache.db.BlockCacheMetrics(); m != nil {
		t.Errorf("block cache on: %v", m)
	}
}
