package gateway

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeUpstream is an OpenAI-compatible HTTP API that records what it got.
// With stream set it answers in two SSE events and waits on release
// between them; with block set it does not answer until release.
type fakeUpstream struct {
	srv      *httptest.Server
	status   int
	stream   bool
	block    bool
	release  chan struct{}
	requests atomic.Int64

	mu      sync.Mutex
	path    string
	header  http.Header
	body    []byte
	counter int
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{status: http.StatusOK, release: make(chan struct{})}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(func() {
		select {
		case <-u.release:
		default:
			close(u.release)
		}
		u.srv.Close()
	})
	return u
}

func (u *fakeUpstream) errorBody() string {
	return fmt.Sprintf(`{"error":{"message":"upstream says %d","type":"server_error","param":null,"code":null}}`, u.status)
}

func (u *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	u.requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.path, u.header, u.body = r.URL.RequestURI(), r.Header.Clone(), body
	u.counter++
	n := u.counter
	u.mu.Unlock()
	if u.block {
		select {
		case <-u.release:
		case <-r.Context().Done():
		}
		return
	}
	if u.status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(u.status)
		_, _ = io.WriteString(w, u.errorBody())
		return
	}
	if u.stream {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "data: {\"n\":1}\n\n")
		w.(http.Flusher).Flush()
		<-u.release
		_, _ = io.WriteString(w, "data: {\"n\":2}\n\ndata: [DONE]\n\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_%d", n))
	_, _ = fmt.Fprintf(w, `{"id":"chatcmpl-%d","object":"chat.completion","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150}}`, n)
}

func TestHTTPUpstreamForwarding(t *testing.T) {
	t.Parallel()
	up := newFakeUpstream(t)
	h := newHarness(t, func(o *Options) { o.OpenAIUpstream = up.srv.URL + "/v1/" })
	body := chatBody("gpt-4o-mini", "forward me")
	r := mustPost(t, h.url("cached", "openai", "chat/completions")+"?api-version=1", body,
		"Authorization", "Bearer sk-real", HeaderCacheTTL, "600", HeaderMetadata, `{"user":"u1"}`,
		HeaderLegacySkipCache, "false", "X-Custom", "kept")
	wantStatus(t, r, http.StatusOK, CacheMiss)
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.path != "/v1/chat/completions?api-version=1" {
		t.Errorf("upstream path = %q", up.path)
	}
	if string(up.body) != body {
		t.Errorf("upstream body = %s, want the client's %s", up.body, body)
	}
	if got := up.header.Get("Authorization"); got != "Bearer sk-real" {
		t.Errorf("upstream Authorization = %q, want the provider key forwarded", got)
	}
	if got := up.header.Get("X-Custom"); got != "kept" {
		t.Errorf("upstream X-Custom = %q", got)
	}
	for k := range up.header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "cf-aig-") || strings.HasPrefix(lk, "cf-skip") {
			t.Errorf("gateway header %s was forwarded upstream", k)
		}
	}
	if got := r.header.Get("X-Request-Id"); got != "req_1" {
		t.Errorf("X-Request-Id = %q, want the upstream's", got)
	}
	// The HIT replays the provider's headers too.
	hit := mustPost(t, h.url("cached", "openai", "chat/completions")+"?api-version=1", body, "Authorization", "Bearer sk-real")
	if hit.cacheStatus() != CacheHit || hit.header.Get("X-Request-Id") != "req_1" {
		t.Errorf("HIT: %s=%q X-Request-Id=%q", HeaderCacheStatus, hit.cacheStatus(), hit.header.Get("X-Request-Id"))
	}
}

func TestOllamaUpstreamMapsModels(t *testing.T) {
	t.Parallel()
	up := newFakeUpstream(t)
	h := newHarness(t, func(o *Options) {
		o.OpenAIUpstream = "ollama"
		o.OllamaURL = up.srv.URL
		o.OllamaEmbedModel = "all-minilm"
	})
	for _, tc := range []struct{ path, body, wantPath, wantModel string }{
		{"chat/completions", chatBody("gpt-4o-mini", "hi"), "/v1/chat/completions", DefaultOllamaChatModel},
		{"embeddings", `{"model":"text-embedding-3-small","input":"hi"}`, "/v1/embeddings", "all-minilm"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			wantStatus(t, mustPost(t, h.url("nocache", "openai", tc.path), tc.body), http.StatusOK, CacheMiss)
			up.mu.Lock()
			defer up.mu.Unlock()
			var got struct{ Model string }
			_ = json.Unmarshal(up.body, &got)
			if up.path != tc.wantPath || got.Model != tc.wantModel {
				t.Errorf("upstream got %s with model %q, want %s with %q", up.path, got.Model, tc.wantPath, tc.wantModel)
			}
		})
	}
}

func TestStreamArrivesChunkByChunk(t *testing.T) {
	t.Parallel()
	up := newFakeUpstream(t)
	up.stream = true
	h := newHarness(t, func(o *Options) { o.OpenAIUpstream = up.srv.URL + "/v1" })
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"stream"}]}`
	// A gateway that buffered the stream would hold the first event until the
	// upstream ends, which it does only after the test read that event: the
	// deadline turns that deadlock into a failure.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url("cached", "openai", "chat/completions"), strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if res.Header.Get(HeaderCacheStatus) != CacheMiss || res.Header.Get(HeaderLogID) == "" {
		t.Fatalf("headers: %v", res.Header)
	}
	rd := bufio.NewReader(res.Body)
	// The first event arrives while the upstream is still holding the second:
	// nothing is buffered in between.
	line, err := rd.ReadString('\n')
	if err != nil || line != "data: {\"n\":1}\n" {
		t.Fatalf("first line = %q, %v", line, err)
	}
	close(up.release)
	rest, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	if want := "\ndata: {\"n\":2}\n\ndata: [DONE]\n\n"; string(rest) != want {
		t.Fatalf("rest = %q, want %q", rest, want)
	}
	// Streams are never cached: the same request goes upstream again.
	again := mustPost(t, h.url("cached", "openai", "chat/completions"), body)
	wantStatus(t, again, http.StatusOK, CacheMiss)
	if got := up.requests.Load(); got != 2 {
		t.Fatalf("upstream requests = %d, want 2", got)
	}
}

// readSSE splits an event stream into its data payloads.
func readSSE(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, ev := range strings.Split(strings.TrimSuffix(string(body), "\n\n"), "\n\n") {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok {
			t.Fatalf("event %q is not a data line", ev)
		}
		out = append(out, data)
	}
	return out
}

func TestBuiltinChatStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"one two three four five"}]}`
	r := mustPost(t, h.url("cached", "openai", "chat/completions"), body)
	wantStatus(t, r, http.StatusOK, CacheMiss)
	events := readSSE(t, r.body)
	if events[len(events)-1] != "[DONE]" {
		t.Fatalf("last event = %q, want [DONE]", events[len(events)-1])
	}
	var content strings.Builder
	var finish string
	var u *usage
	for _, ev := range events[:len(events)-1] {
		var c struct {
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *usage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(ev), &c); err != nil {
			t.Fatal(err)
		}
		if c.Object != "chat.completion.chunk" || c.Model != "gpt-4o-mini" {
			t.Fatalf("chunk %s", ev)
		}
		for _, ch := range c.Choices {
			content.WriteString(ch.Delta.Content)
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
		if c.Usage != nil {
			u = c.Usage
		}
	}
	if got := content.String(); got != "echo: one two three four five" {
		t.Errorf("streamed content = %q", got)
	}
	if len(events) < 5 {
		t.Errorf("got %d events, want the content split over several", len(events))
	}
	if finish != "stop" {
		t.Errorf("finish_reason = %q", finish)
	}
	if diff := cmp.Diff(&usage{10, 5, 15}, u); diff != "" {
		t.Errorf("usage chunk (-want +got):\n%s", diff)
	}
	// Not cached.
	wantStatus(t, mustPost(t, h.url("cached", "openai", "chat/completions"), body), http.StatusOK, CacheMiss)
}

func TestBuiltinChatShape(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := `{"model":"gpt-4o-mini","temperature":0.7,"max_tokens":3000,"seed":42,"response_format":{"type":"json_object"},
		"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`
	r := mustPost(t, h.url("nocache", "openai", "chat/completions"), body)
	wantStatus(t, r, http.StatusOK, CacheMiss)
	got := r.json(t)
	id, _ := got["id"].(string)
	if !strings.HasPrefix(id, "chatcmpl-") || len(id) != len("chatcmpl-")+29 {
		t.Errorf("id = %q", id)
	}
	got["id"] = "ID"
	want := map[string]any{
		"id": "ID", "object": "chat.completion", "created": float64(testStart.Unix()), "model": "gpt-4o-mini",
		"choices": []any{map[string]any{
			"index":         float64(0),
			"message":       map[string]any{"role": "assistant", "content": "echo: look\n[image]", "refusal": nil, "annotations": []any{}},
			"logprobs":      nil,
			"finish_reason": "stop",
		}},
		"usage": map[string]any{
			"prompt_tokens": float64(10), "completion_tokens": float64(5), "total_tokens": float64(15),
			"prompt_tokens_details":     map[string]any{"cached_tokens": float64(0), "audio_tokens": float64(0)},
			"completion_tokens_details": map[string]any{"reasoning_tokens": float64(0), "audio_tokens": float64(0), "accepted_prediction_tokens": float64(0), "rejected_prediction_tokens": float64(0)},
		},
		"service_tier": "default", "system_fingerprint": "fp_edge_builtin",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chat completion (-want +got):\n%s", diff)
	}
	wantInput := map[string]any{
		"messages": []any{
			map[string]any{"role": "system", "content": "be brief"},
			map[string]any{"role": "user", "content": "look\n[image]"},
		},
		"max_tokens": float64(3000), "temperature": 0.7, "seed": float64(42),
		"response_format": map[string]any{"type": "json_object"},
	}
	if diff := cmp.Diff(wantInput, h.ai.lastInput(t)); diff != "" {
		t.Errorf("Workers AI input (-want +got):\n%s", diff)
	}
}

func TestBuiltinEmbeddings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	url := h.url("nocache", "openai", "embeddings")
	t.Run("float", func(t *testing.T) {
		r := mustPost(t, url, `{"model":"text-embedding-3-small","input":["ab","abc"]}`)
		wantStatus(t, r, http.StatusOK, CacheMiss)
		var got struct {
			Object string `json:"object"`
			Model  string `json:"model"`
			Data   []struct {
				Object    string    `json:"object"`
				Index     int       `json:"index"`
				Embedding []float32 `json:"embedding"`
			} `json:"data"`
			Usage map[string]int `json:"usage"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Object != "list" || got.Model != "text-embedding-3-small" || len(got.Data) != 2 {
			t.Fatalf("got %s", r.body)
		}
		for i, d := range got.Data {
			if d.Object != "embedding" || d.Index != i || len(d.Embedding) != 768 || d.Embedding[len([]string{"ab", "abc"}[i])] != 1 {
				t.Errorf("data[%d] = %s/%d, %d dims", i, d.Object, d.Index, len(d.Embedding))
			}
		}
		if diff := cmp.Diff(map[string]int{"prompt_tokens": 2, "total_tokens": 2}, got.Usage); diff != "" {
			t.Errorf("usage (-want +got):\n%s", diff)
		}
	})
	t.Run("base64, 384 dimensions", func(t *testing.T) {
		r := mustPost(t, url, `{"model":"text-embedding-3-small","input":"abcde","encoding_format":"base64","dimensions":384}`)
		wantStatus(t, r, http.StatusOK, CacheMiss)
		var got struct {
			Data []struct {
				Embedding string `json:"embedding"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil || len(got.Data) != 1 {
			t.Fatalf("%s: %v", r.body, err)
		}
		raw, err := base64.StdEncoding.DecodeString(got.Data[0].Embedding)
		if err != nil || len(raw) != 4*384 {
			t.Fatalf("base64 embedding: %d bytes, %v", len(raw), err)
		}
		if f := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*5:])); f != 1 {
			t.Errorf("component 5 = %v, want 1", f)
		}
	})
	t.Run("batches over 100 texts", func(t *testing.T) {
		texts := make([]string, 150)
		for i := range texts {
			texts[i] = strings.Repeat("x", i%7+1)
		}
		b, _ := json.Marshal(map[string]any{"model": "text-embedding-3-small", "input": texts})
		before := h.ai.calls.Load()
		r := mustPost(t, url, string(b))
		wantStatus(t, r, http.StatusOK, CacheMiss)
		if n := h.ai.calls.Load() - before; n != 2 {
			t.Errorf("binding calls = %d, want 2 batches", n)
		}
		var got struct {
			Data []struct{ Index int } `json:"data"`
		}
		_ = json.Unmarshal(r.body, &got)
		if len(got.Data) != 150 || got.Data[149].Index != 149 {
			t.Errorf("got %d embeddings", len(got.Data))
		}
	})
}

func TestBuiltinErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"bad JSON", "POST", "chat/completions", `{"model":`, 400,
			`{"error":{"code":null,"message":"` + strings.ReplaceAll(msgOpenAIBadJSON, `'`, `'`) + `","param":null,"type":"invalid_request_error"}}`},
		{"no model", "POST", "chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, 400,
			`{"error":{"code":null,"message":"you must provide a model parameter","param":null,"type":"invalid_request_error"}}`},
		{"no messages", "POST", "chat/completions", `{"model":"gpt-4o-mini"}`, 400,
			`{"error":{"code":"missing_required_parameter","message":"Missing required parameter: 'messages'.","param":"messages","type":"invalid_request_error"}}`},
		{"empty messages", "POST", "chat/completions", `{"model":"gpt-4o-mini","messages":[]}`, 400,
			`{"error":{"code":"empty_array","message":"Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.","param":"messages","type":"invalid_request_error"}}`},
		{"empty embedding input", "POST", "embeddings", `{"model":"text-embedding-3-small","input":""}`, 400,
			`{"error":{"code":null,"message":"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.","param":"input","type":"invalid_request_error"}}`},
		{"bad encoding_format", "POST", "embeddings", `{"model":"text-embedding-3-small","input":"x","encoding_format":"hex"}`, 400,
			`{"error":{"code":null,"message":"Invalid value for 'encoding_format': 'hex'. Supported values are: 'float' and 'base64'.","param":"encoding_format","type":"invalid_request_error"}}`},
		{"unknown endpoint", "POST", "responses", `{}`, 404,
			`{"error":{"code":null,"message":"Invalid URL (POST /v1/responses)","param":null,"type":"invalid_request_error"}}`},
		{"GET on chat", "GET", "chat/completions", ``, 404,
			`{"error":{"code":null,"message":"Invalid URL (GET /v1/chat/completions)","param":null,"type":"invalid_request_error"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustDo(t, tc.method, h.url("cached", "openai", tc.path), tc.body)
			wantStatus(t, r, tc.status, CacheMiss)
			want := compactJSON(t, tc.want)
			if got := compactJSON(t, string(r.body)); got != want {
				t.Errorf("body =\n%s\nwant\n%s", got, want)
			}
		})
	}
	t.Run("no AI binding", func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.AI = nil })
		r := mustPost(t, h.url("cached", "openai", "chat/completions"), chatBody("gpt-4o-mini", "x"))
		wantStatus(t, r, http.StatusServiceUnavailable, CacheMiss)
	})
}

func TestWorkersAIProvider(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const model = "@cf/meta/llama-3.1-8b-instruct"
	t.Run("run", func(t *testing.T) {
		url := h.url("cached", "workers-ai", model)
		body := `{"messages":[{"role":"user","content":"hi"}]}`
		r := mustPost(t, url, body)
		wantStatus(t, r, http.StatusOK, CacheMiss)
		want := `{"success":true,"errors":[],"messages":[],"result":{"response":"echo: hi","usage":{"completion_tokens":5,"prompt_tokens":10,"total_tokens":15}}}`
		if got := compactJSON(t, string(r.body)); got != want {
			t.Errorf("body = %s\nwant %s", got, want)
		}
		reqID := r.header.Get("cf-ai-req-id")
		if reqID == "" {
			t.Error("no cf-ai-req-id on the Workers AI answer")
		}
		hit := mustPost(t, url, body)
		wantStatus(t, hit, http.StatusOK, CacheHit)
		if got := hit.header.Get("cf-ai-req-id"); got != reqID {
			t.Errorf("HIT cf-ai-req-id = %q, want the stored %q", got, reqID)
		}
		l, ok := h.svc.Log(r.header.Get(HeaderLogID))
		if !ok || l.Model != model || l.Provider != "workers-ai" || l.TokensIn != 10 || l.TokensOut != 5 || l.ModelType != "text-generation" {
			t.Errorf("log record = %+v", l)
		}
	})
	t.Run("error in the v4 envelope", func(t *testing.T) {
		r := mustPost(t, h.url("cached", "workers-ai", model), `{"prompt":"fail"}`)
		wantStatus(t, r, http.StatusBadRequest, CacheMiss)
		want := `{"success":false,"errors":[{"code":5006,"message":"Bad input: fail on request"}],"messages":[],"result":null}`
		if got := compactJSON(t, string(r.body)); got != want {
			t.Errorf("body = %s\nwant %s", got, want)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		r := mustPost(t, h.url("cached", "workers-ai", "@cf/nope/model"), `{"prompt":"x"}`)
		wantStatus(t, r, http.StatusBadRequest, CacheMiss)
		want := `{"success":false,"errors":[{"code":5007,"message":"No such model @cf/nope/model or task"}],"messages":[],"result":null}`
		if got := compactJSON(t, string(r.body)); got != want {
			t.Errorf("body = %s\nwant %s", got, want)
		}
	})
	t.Run("openai-compatible form", func(t *testing.T) {
		r := mustPost(t, h.url("cached", "workers-ai", "v1/chat/completions"), chatBody(model, "compat form"))
		wantStatus(t, r, http.StatusOK, CacheMiss)
		got := r.json(t)
		if got["object"] != "chat.completion" || got["model"] != model {
			t.Errorf("got %s", r.body)
		}
		r = mustPost(t, h.url("cached", "workers-ai", "v1/embeddings"), `{"model":"@cf/baai/bge-large-en-v1.5","input":"x"}`)
		wantStatus(t, r, http.StatusOK, CacheMiss)
		var emb struct {
			Data []struct{ Embedding []float32 } `json:"data"`
		}
		if err := json.Unmarshal(r.body, &emb); err != nil || len(emb.Data) != 1 || len(emb.Data[0].Embedding) != 1024 {
			t.Errorf("embeddings: %s", r.body)
		}
	})
	t.Run("stream", func(t *testing.T) {
		r := mustPost(t, h.url("cached", "workers-ai", model), `{"prompt":"a b c d e f g","stream":true}`)
		wantStatus(t, r, http.StatusOK, CacheMiss)
		if ct := r.header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type = %q", ct)
		}
		events := readSSE(t, r.body)
		var text strings.Builder
		for _, ev := range events[:len(events)-1] {
			var c struct{ Response string }
			if err := json.Unmarshal([]byte(ev), &c); err != nil {
				t.Fatal(err)
			}
			text.WriteString(c.Response)
		}
		if text.String() != "echo: a b c d e f g" || events[len(events)-1] != "[DONE]" {
			t.Errorf("stream = %q", events)
		}
		if _, ok := h.ai.lastInput(t)["stream"]; ok {
			t.Error("stream was passed to the binding")
		}
	})
}

func TestCompatProvider(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	url := h.url("cached", "compat", "chat/completions")
	for _, tc := range []struct {
		name, model string
		status      int
		wantModel   string
	}{
		{"openai", "openai/gpt-4o-mini", 200, "gpt-4o-mini"},
		{"workers-ai", "workers-ai/@cf/meta/llama-3.1-8b-instruct", 200, "@cf/meta/llama-3.1-8b-instruct"},
		{"unsupported provider", "anthropic/claude-sonnet-4", 400, ""},
		{"no provider", "gpt-4o-mini", 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustPost(t, url, chatBody(tc.model, "compat"))
			wantStatus(t, r, tc.status, CacheMiss)
			if tc.status == 200 {
				if got := r.json(t)["model"]; got != tc.wantModel {
					t.Errorf("model = %v, want %s", got, tc.wantModel)
				}
				wantStatus(t, mustPost(t, url, chatBody(tc.model, "compat")), 200, CacheHit)
				return
			}
			msg, _ := json.Marshal(fmt.Sprintf(`edge: the compat endpoint takes model "openai/<model>" or "workers-ai/<model>", got %q`, tc.model))
			want := `{"error":{"code":null,"message":` + string(msg) + `,"param":"model","type":"invalid_request_error"}}`
			if got := compactJSON(t, string(r.body)); got != compactJSON(t, want) {
				t.Errorf("body = %s\nwant %s", got, want)
			}
		})
	}
}

func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	t.Run("request timeout", func(t *testing.T) {
		t.Parallel()
		up := newFakeUpstream(t)
		up.block = true
		h := newHarness(t, func(o *Options) { o.OpenAIUpstream = up.srv.URL + "/v1" })
		r := mustPost(t, h.url("cached", "openai", "chat/completions"), chatBody("gpt-4o-mini", "slow"), HeaderTimeout, "50")
		wantStatus(t, r, http.StatusGatewayTimeout, "")
		want := `{"success":false,"error":[{"code":10001,"message":"edge: openai did not answer within cf-aig-request-timeout 50 ms"}]}`
		if string(r.body) != want {
			t.Errorf("body = %s\nwant %s", r.body, want)
		}
	})
	t.Run("in-process timeout", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r := mustPost(t, h.url("cached", "openai", "chat/completions"), chatBody("gpt-4o-mini", "block"), HeaderTimeout, "20")
		wantStatus(t, r, http.StatusGatewayTimeout, "")
	})
	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		dead := httptest.NewServer(http.NotFoundHandler())
		url := dead.URL
		dead.Close()
		h := newHarness(t, func(o *Options) { o.OpenAIUpstream = url + "/v1" })
		r := mustPost(t, h.url("cached", "openai", "chat/completions"), chatBody("gpt-4o-mini", "x"))
		wantStatus(t, r, http.StatusBadGateway, "")
		var env struct {
			Success bool `json:"success"`
			Error   []struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil || env.Success || len(env.Error) != 1 || env.Error[0].Code != 10001 ||
			!strings.HasPrefix(env.Error[0].Message, "edge: openai upstream unreachable: ") {
			t.Errorf("body = %s", r.body)
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r := mustPost(t, h.url("cached", "anthropic", "v1/messages"), `{}`)
		wantStatus(t, r, http.StatusBadRequest, "")
		want := `{"success":false,"error":[{"code":7003,"message":"edge: unknown provider \"anthropic\" (edge serves openai, workers-ai and compat)"}]}`
		if string(r.body) != want {
			t.Errorf("body = %s\nwant %s", r.body, want)
		}
	})
	t.Run("body too large", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(o *Options) { o.Limits.MaxRequestBody = 64 })
		r := mustPost(t, h.url("cached", "openai", "chat/completions"), chatBody("gpt-4o-mini", strings.Repeat("x", 100)))
		wantStatus(t, r, http.StatusRequestEntityTooLarge, "")
		want := `{"success":false,"error":[{"code":10001,"message":"request body larger than 64 bytes"}]}`
		if string(r.body) != want {
			t.Errorf("body = %s\nwant %s", r.body, want)
		}
	})
}

func TestOpenRejectsBadUpstream(t *testing.T) {
	t.Parallel()
	_, err := Open(Options{InMemory: true, OpenAIUpstream: "api.openai.com"})
	want := `gateway: --openai-upstream "api.openai.com": want builtin, ollama or an http(s) base URL such as https://api.openai.com/v1`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}
