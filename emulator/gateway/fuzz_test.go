package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"jobmatch-edge/emulator/ai"
	"jobmatch-edge/runtime"
)

// fuzzRoutes are the gateway's routes that take a JSON body.
var fuzzRoutes = []string{
	"/cached/openai/chat/completions",
	"/cached/openai/embeddings",
	"/nocache/openai/chat/completions",
	"/cached/workers-ai/@cf/meta/llama-3.1-8b-instruct",
	"/cached/workers-ai/@cf/baai/bge-base-en-v1.5",
	"/cached/workers-ai/v1/chat/completions",
	"/cached/workers-ai/v1/embeddings",
	"/cached/compat/chat/completions",
	"/cached/compat/embeddings",
	"/cached", // the universal endpoint
}

// FuzzGatewayBodies sends arbitrary bytes as the body of every JSON route
// of the gateway, over the builtin Workers AI: never a panic or a 5xx, and
// every answer is JSON (an event stream for stream:true); an error is the
// gateway's envelope, Workers AI's v4 envelope or OpenAI's error object.
func FuzzGatewayBodies(f *testing.F) {
	svc, err := ai.Open(context.Background(), ai.Options{Backend: ai.BackendBuiltin, Clock: runtime.NewFakeClock(testStart)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = svc.Close() })
	h := newHarness(f, func(o *Options) {
		o.AI = func() runtime.AI { return svc }
		o.Limits.MaxRequestBody = 1 << 20
	})
	mux := http.NewServeMux()
	h.svc.Routes(mux)
	for i := range fuzzRoutes {
		for _, body := range []string{
			``, `{}`, `[]`, `null`, `"x"`, `1e400`, `{"model":1e400}`, `{"model":"gpt-4o-mini"} trailing`,
			chatBody("gpt-4o-mini", "hello"), chatBody("workers-ai/@cf/meta/llama-3.1-8b-instruct", "hi"),
			`{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"}]}],"stream":true,"n":3}`,
			`{"model":"text-embedding-3-small","input":["a","b"],"dimensions":384}`,
			`{"model":"openai/text-embedding-3-small","input":[[1,2,3]]}`,
			`{"text":["a"]}`, `{"prompt":"p","max_tokens":-1}`, `{"messages":[{"role":"user","content":null}]}`,
			`[{"provider":"workers-ai","endpoint":"@cf/meta/llama-3.1-8b-instruct","headers":{},"query":{"prompt":"x"}}]`,
			`{"provider":"openai","endpoint":"chat/completions","query":{"model":"m","messages":[]}}`,
		} {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := "/v1/" + testAccount + fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer sk-test")
		req.Header.Set(HeaderSkipCache, "true") // every body reaches the provider
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		res := rec.Body.Bytes()
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, res)
		}
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/event-stream") && rec.Code == http.StatusOK {
			return
		}
		if !json.Valid(res) {
			t.Fatalf("POST %s %q: %d, not JSON: %q", path, body, rec.Code, res)
		}
		if rec.Code < 400 {
			return
		}
		var e struct {
			Success *bool             `json:"success"`
			Error   json.RawMessage   `json:"error"`
			Errors  []json.RawMessage `json:"errors"`
		}
		_ = json.Unmarshal(res, &e)
		var openAI struct {
			Message *string `json:"message"`
		}
		switch {
		case e.Success != nil && !*e.Success && len(e.Errors) > 0: // v4 envelope
		case e.Success != nil && !*e.Success && bytes.HasPrefix(e.Error, []byte("[")): // the gateway's own
		case e.Success == nil && json.Unmarshal(e.Error, &openAI) == nil && openAI.Message != nil: // OpenAI's
		default:
			t.Fatalf("POST %s %q: %d, not an error envelope: %s", path, body, rec.Code, res)
		}
	})
}
