package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

// fakeAI is a small Workers AI binding: bge models give deterministic
// vectors of their dimension, text models echo the last message. A last
// message "fail" gives Workers AI's bad-input error; "block" waits for the
// context to end.
type fakeAI struct {
	calls  atomic.Int64
	mu     sync.Mutex
	inputs []json.RawMessage
}

var fakeDims = map[string]int{
	"@cf/baai/bge-small-en-v1.5": 384,
	"@cf/baai/bge-base-en-v1.5":  768,
	"@cf/baai/bge-large-en-v1.5": 1024,
}

func (f *fakeAI) Run(ctx context.Context, model string, input any, opts runtime.AIOptions) (json.RawMessage, error) {
	n := f.calls.Add(1)
	if opts.Info != nil {
		opts.Info.RequestID = fmt.Sprintf("req-%d", n)
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.inputs = append(f.inputs, raw)
	f.mu.Unlock()
	if d, ok := fakeDims[model]; ok {
		var in struct {
			Text []string `json:"text"`
		}
		if err := json.Unmarshal(raw, &in); err != nil || len(in.Text) == 0 {
			return nil, runtime.NewError(400, runtime.CodeAIBadInput, "Bad input: text is required")
		}
		data := make([][]float32, len(in.Text))
		for i, t := range in.Text {
			data[i] = make([]float32, d)
			data[i][len(t)%d] = 1
		}
		return json.Marshal(map[string]any{"shape": []int{len(in.Text), d}, "data": data, "pooling": "mean"})
	}
	if !strings.Contains(model, "instruct") {
		return nil, runtime.NewError(400, runtime.CodeAINoSuchModel, fmt.Sprintf("No such model %s or task", model))
	}
	var in struct {
		Prompt   string `json:"prompt"`
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	last := in.Prompt
	if n := len(in.Messages); n > 0 {
		last = in.Messages[n-1].Content
	}
	switch last {
	case "fail":
		return nil, runtime.NewError(400, runtime.CodeAIBadInput, "Bad input: fail on request")
	case "block":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return json.Marshal(map[string]any{
		"response": "echo: " + last,
		"usage":    map[string]int{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
	})
}

func (f *fakeAI) lastInput(t *testing.T) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.inputs) == 0 {
		t.Fatal("the AI binding was not called")
	}
	var m map[string]any
	if err := json.Unmarshal(f.inputs[len(f.inputs)-1], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const testAccount = "280c58ea17d9fe3235c33bd0a52a256b"

// Gateway ids the harness configures.
var testGateways = map[string]Settings{
	"cached":  {CacheTTL: time.Hour},
	"nocache": {},
	"auth":    {CacheTTL: time.Hour, Authenticated: true, Token: "sekret"},
	"anytok":  {Authenticated: true},
}

type harness struct {
	svc   *Service
	srv   *httptest.Server
	ai    *fakeAI
	clock *runtime.FakeClock
	dir   string
	opts  Options
}

var testStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// newHarness opens a gateway on t.TempDir() with the fake AI and serves
// it on an httptest server.
func newHarness(t testing.TB, edit ...func(*Options)) *harness {
	t.Helper()
	h := &harness{ai: &fakeAI{}, clock: runtime.NewFakeClock(testStart), dir: t.TempDir()}
	h.opts = Options{
		Dir: h.dir, Clock: h.clock, AI: func() runtime.AI { return h.ai },
		Gateways: testGateways,
	}
	for _, e := range edit {
		e(&h.opts)
	}
	h.open(t)
	return h
}

func (h *harness) open(t testing.TB) {
	t.Helper()
	svc, err := Open(h.opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	h.svc = svc
	h.srv = httptest.NewServer(mux)
	t.Cleanup(func() { h.close(t) })
}

func (h *harness) close(t testing.TB) {
	t.Helper()
	if h.srv != nil {
		h.srv.Close()
		h.srv = nil
	}
	if h.svc != nil {
		if err := h.svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		h.svc = nil
	}
}

// restart closes the service and opens it again on the same directory.
func (h *harness) restart(t testing.TB) {
	t.Helper()
	h.close(t)
	h.open(t)
}

func (h *harness) url(gateway, provider, path string) string {
	return h.srv.URL + "/v1/" + testAccount + "/" + gateway + "/" + provider + "/" + path
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) cacheStatus() string { return r.header.Get(HeaderCacheStatus) }

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response body %q: %v", r.body, err)
	}
	return m
}

func mustDo(t testing.TB, method, url, body string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

func mustPost(t testing.TB, url, body string, headers ...string) reply {
	t.Helper()
	return mustDo(t, http.MethodPost, url, body, headers...)
}

// chatBody is a chat completion request for one user message.
func chatBody(model, content string) string {
	b, _ := json.Marshal(map[string]any{
		"model":    model,
		"messages": []map[string]string{{"role": "user", "content": content}},
	})
	return string(b)
}

func wantStatus(t *testing.T, r reply, status int, cache string) {
	t.Helper()
	if r.status != status || r.cacheStatus() != cache {
		t.Fatalf("status %d, %s = %q, want %d, %q; body %s", r.status, HeaderCacheStatus, r.cacheStatus(), status, cache, r.body)
	}
}

func wantCalls(t *testing.T, ai *fakeAI, want int64) {
	t.Helper()
	if got := ai.calls.Load(); got != want {
		t.Fatalf("AI binding called %d times, want %d", got, want)
	}
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
