package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

// fakeOllama speaks the part of Ollama's API the backend uses: /api/version,
// /api/tags, /api/embed and /api/chat.
type fakeOllama struct {
	*httptest.Server
	models map[string]int // name -> native embedding width (0: a chat model)

	mu     sync.Mutex
	embeds []map[string]any
	chats  []map[string]any
}

func newFakeOllama(t *testing.T, models map[string]int) *fakeOllama {
	t.Helper()
	f := &fakeOllama{models: models}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteJSON(w, 200, map[string]string{"version": "0.17.4"})
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		var list []map[string]any
		for name := range f.models {
			list = append(list, map[string]any{"name": name + ":latest", "model": name + ":latest"})
		}
		runtime.WriteJSON(w, 200, map[string]any{"models": list})
	})
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			runtime.WriteJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		f.mu.Lock()
		f.embeds = append(f.embeds, req)
		f.mu.Unlock()
		name, _ := req["model"].(string)
		native, ok := f.models[name]
		if !ok {
			runtime.WriteJSON(w, 404, map[string]string{"error": fmt.Sprintf("model '%s' not found", name)})
			return
		}
		if name == "broken" {
			runtime.WriteJSON(w, 500, map[string]string{"error": "llama runner process has terminated"})
			return
		}
		dims := native
		if d, _ := req["dimensions"].(float64); d > 0 && int(d) < native {
			dims = int(d) // Ollama truncates only downwards
		}
		var inputs []any
		switch in := req["input"].(type) {
		case string:
			inputs = []any{in}
		case []any:
			inputs = in
		}
		out := make([][]float32, len(inputs))
		for i := range inputs {
			out[i] = make([]float32, dims)
			out[i][i%dims] = 1
		}
		runtime.WriteJSON(w, 200, map[string]any{"model": name, "embeddings": out, "prompt_eval_count": 3})
	})
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			runtime.WriteJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		f.mu.Lock()
		f.chats = append(f.chats, req)
		f.mu.Unlock()
		name, _ := req["model"].(string)
		if _, ok := f.models[name]; !ok {
			runtime.WriteJSON(w, 404, map[string]string{"error": fmt.Sprintf("model '%s' not found", name)})
			return
		}
		content := "Hello from " + name
		if req["format"] == "json" {
			content = `{"ok":true}`
		}
		runtime.WriteJSON(w, 200, map[string]any{
			"model": name, "created_at": "2030-01-01T00:00:00Z", "message": map[string]string{"role": "assistant", "content": content},
			"done": true, "done_reason": "stop", "prompt_eval_count": 12, "eval_count": 5,
		})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// allDefaults holds every default model with its real width.
var allDefaults = map[string]int{"nomic-embed-text": 768, "all-minilm": 384, "mxbai-embed-large": 1024, "llama3.2": 0}

func without(m map[string]int, name string) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if k != name {
			out[k] = v
		}
	}
	return out
}

func downURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func mustOllama(t *testing.T, backend, url string, modelMap map[string]string) *Service {
	t.Helper()
	s, err := Open(t.Context(), Options{Backend: backend, OllamaURL: url, ModelMap: modelMap, Clock: runtime.NewFakeClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestAutoBackend(t *testing.T) {
	full := newFakeOllama(t, allDefaults)
	partial := newFakeOllama(t, without(allDefaults, "llama3.2"))
	down := downURL(t)
	for _, tc := range []struct {
		name        string
		url         string
		want        string
		wantStatus  string
		wantMissing bool
	}{
		{"ollama with every mapped model", full.URL, BackendOllama, fmt.Sprintf("ollama at %s 0.17.4 (auto)", full.URL), false},
		{"ollama lacking llama3.2", partial.URL, BackendBuiltin,
			fmt.Sprintf("builtin (auto: Ollama 0.17.4 at %s lacks llama3.2; run `ollama pull llama3.2`)", partial.URL), true},
		{"ollama down", down, BackendBuiltin, fmt.Sprintf("builtin (auto: Ollama not answering at %s)", down), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOllama(t, BackendAuto, tc.url, nil)
			if s.Backend() != tc.want || s.Status() != tc.wantStatus {
				t.Errorf("Backend %q status %q\nwant    %q status %q", s.Backend(), s.Status(), tc.want, tc.wantStatus)
			}
		})
	}
}

func TestOllamaEmbed(t *testing.T) {
	f := newFakeOllama(t, allDefaults)
	s := mustOllama(t, BackendOllama, f.URL, nil)
	out, err := s.Run(t.Context(), "@cf/baai/bge-base-en-v1.5", map[string]any{"text": []string{"a", "b", "c"}}, runtime.AIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := mustDecode[embedOut](t, out)
	if !cmp.Equal(got.Shape, []int{3, 768}) || got.Data[1][1] != 1 || got.Pooling != "mean" {
		t.Errorf("shape %v pooling %q", got.Shape, got.Pooling)
	}
	f.mu.Lock()
	req := f.embeds[len(f.embeds)-1]
	f.mu.Unlock()
	if diff := cmp.Diff(map[string]any{"model": "nomic-embed-text", "input": []any{"a", "b", "c"}, "dimensions": 768.0, "truncate": true, "options": nil}, req); diff != "" {
		t.Errorf("request to Ollama (-want +got):\n%s", diff)
	}

	// A model wider than asked is cut to the Workers AI width by Ollama.
	s2 := mustOllama(t, BackendOllama, f.URL, map[string]string{"@cf/baai/bge-small-en-v1.5": "mxbai-embed-large"})
	out, err = s2.Run(t.Context(), "@cf/baai/bge-small-en-v1.5", map[string]any{"text": "a"}, runtime.AIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustDecode[embedOut](t, out); !cmp.Equal(got.Shape, []int{1, 384}) || len(got.Data[0]) != 384 {
		t.Errorf("shape %v", got.Shape)
	}
	// Service.Embed serves the gateway the same way.
	vecs, err := s.Embed(t.Context(), "@cf/baai/bge-base-en-v1.5", []string{"x"})
	if err != nil || len(vecs) != 1 || len(vecs[0]) != 768 {
		t.Errorf("Embed = %d vectors, %v", len(vecs), err)
	}
}

func TestOllamaErrors(t *testing.T) {
	f := newFakeOllama(t, map[string]int{"nomic-embed-text": 768, "tiny": 64, "broken": 768, "llama3.2": 0})
	down := downURL(t)
	for _, tc := range []struct {
		name     string
		url      string
		modelMap map[string]string
		model    string
		input    map[string]any
		status   int
		code     int
		message  string // exact, unless contains is set
		contains []string
	}{
		{name: "dimension mismatch", url: f.URL, modelMap: map[string]string{"@cf/baai/bge-large-en-v1.5": "nomic-embed-text"},
			model: "@cf/baai/bge-large-en-v1.5", input: map[string]any{"text": "a"}, status: 503, code: runtime.CodeAIOutOfCapacity,
			message: "No more data centers to forward the request to: Ollama model \"nomic-embed-text\" returned 768-dimension embeddings, but @cf/baai/bge-large-en-v1.5 has 1024 dimensions; " +
				"map @cf/baai/bge-large-en-v1.5 to an Ollama model that gives at least 1024 (--ai-model-map @cf/baai/bge-large-en-v1.5=<model>)"},
		{name: "tiny model for bge-base", url: f.URL, modelMap: map[string]string{"@cf/baai/bge-base-en-v1.5": "tiny"},
			model: "@cf/baai/bge-base-en-v1.5", input: map[string]any{"text": "a"}, status: 503, code: runtime.CodeAIOutOfCapacity,
			contains: []string{"returned 64-dimension embeddings", "has 768 dimensions"}},
		{name: "missing embedding model", url: f.URL, model: "@cf/baai/bge-small-en-v1.5", input: map[string]any{"text": "a"},
			status: 503, code: runtime.CodeAIOutOfCapacity,
			message: fmt.Sprintf("No more data centers to forward the request to: Ollama at %s has no model \"all-minilm\" (mapped to @cf/baai/bge-small-en-v1.5); "+
				"run `ollama pull all-minilm`, or map @cf/baai/bge-small-en-v1.5 to a model it has (--ai-model-map @cf/baai/bge-small-en-v1.5=<model>)", f.URL)},
		{name: "missing chat model", url: f.URL, modelMap: map[string]string{"@cf/meta/llama-3.1-8b-instruct": "qwen3"},
			model: "@cf/meta/llama-3.1-8b-instruct", input: map[string]any{"prompt": "hi"}, status: 503, code: runtime.CodeAIOutOfCapacity,
			contains: []string{"run `ollama pull qwen3`"}},
		{name: "ollama error", url: f.URL, modelMap: map[string]string{"@cf/baai/bge-base-en-v1.5": "broken"},
			model: "@cf/baai/bge-base-en-v1.5", input: map[string]any{"text": "a"}, status: 503, code: runtime.CodeAIOutOfCapacity,
			message: fmt.Sprintf("No more data centers to forward the request to: Ollama at %s answered 500 for model \"broken\": llama runner process has terminated", f.URL)},
		{name: "ollama down", url: down, model: "@cf/baai/bge-base-en-v1.5", input: map[string]any{"text": "a"},
			status: 503, code: runtime.CodeAIOutOfCapacity,
			contains: []string{"No more data centers to forward the request to: Ollama is not reachable at " + down, "run `ollama serve`", "--ollama-url", "--ai-backend builtin"}},
		{name: "validation before the backend", url: down, model: "@cf/baai/bge-base-en-v1.5", input: map[string]any{"text": ""},
			status: 400, code: runtime.CodeAIBadInput, message: "Error: minLength at '/text' not met: 0 < 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOllama(t, BackendOllama, tc.url, tc.modelMap)
			out, err := s.Run(t.Context(), tc.model, tc.input, runtime.AIOptions{})
			if err == nil {
				t.Fatalf("Run = %.80s, want an error", out)
			}
			if tc.contains == nil {
				wantError(t, err, tc.status, tc.code, tc.message)
				return
			}
			var e *runtime.Error
			if !asError(err, &e) || e.Status != tc.status || e.Code != tc.code {
				t.Fatalf("err = %v, want %d/%d", err, tc.status, tc.code)
			}
			for _, c := range tc.contains {
				if !strings.Contains(e.Message, c) {
					t.Errorf("message %q lacks %q", e.Message, c)
				}
			}
		})
	}
}

func TestOllamaContextErrors(t *testing.T) {
	f := newFakeOllama(t, allDefaults)
	s := mustOllama(t, BackendOllama, f.URL, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Run(ctx, "@cf/baai/bge-base-en-v1.5", map[string]any{"text": "a"}, runtime.AIOptions{})
	wantError(t, err, 408, runtime.CodeAIAborted, "Request was aborted")
	ctx, cancel = context.WithTimeout(t.Context(), 0)
	defer cancel()
	_, err = s.Run(ctx, "@cf/meta/llama-3.1-8b-instruct", map[string]any{"prompt": "a"}, runtime.AIOptions{})
	wantError(t, err, 408, runtime.CodeAITimeout, "Request timeout")
}

func TestOllamaChat(t *testing.T) {
	f := newFakeOllama(t, allDefaults)
	s := mustOllama(t, BackendOllama, f.URL, nil)
	for _, tc := range []struct {
		name     string
		input    map[string]any
		want     genOut
		wantReq  map[string]any
		wantMsgs []any
	}{
		{"compatibility call as JobMatch makes it", map[string]any{
			"messages":    []any{map[string]any{"role": "system", "content": "sys"}, map[string]any{"role": "user", "content": "usr"}},
			"temperature": 0.3, "max_tokens": 4000, "response_format": map[string]any{"type": "json_object"},
		}, genOut{Response: `{"ok":true}`, Usage: Usage{12, 5, 17}},
			map[string]any{"model": "llama3.2", "stream": false, "format": "json", "options": map[string]any{"temperature": 0.3, "num_predict": 4000.0}},
			[]any{map[string]any{"role": "system", "content": "sys"}, map[string]any{"role": "user", "content": "usr"}}},
		{"prompt form with defaults and sampling", map[string]any{"prompt": "hi", "top_p": 0.9, "top_k": 40, "seed": 7},
			genOut{Response: "Hello from llama3.2", Usage: Usage{12, 5, 17}},
			map[string]any{"model": "llama3.2", "stream": false, "options": map[string]any{"temperature": 0.6, "num_predict": 256.0, "top_p": 0.9, "top_k": 40.0, "seed": 7.0}},
			[]any{map[string]any{"role": "user", "content": "hi"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Run(t.Context(), "@cf/meta/llama-3.1-8b-instruct", tc.input, runtime.AIOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, mustDecode[genOut](t, out)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			f.mu.Lock()
			req := f.chats[len(f.chats)-1]
			f.mu.Unlock()
			if diff := cmp.Diff(tc.wantMsgs, req["messages"]); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			delete(req, "messages")
			if diff := cmp.Diff(tc.wantReq, req); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
	res, err := s.Chat(t.Context(), "gpt-4o-mini", ChatRequest{Messages: []Message{{Role: "user", Content: "x"}}})
	if err != nil || res.Text != "Hello from llama3.2" || res.PromptTokens != 12 || res.CompletionTokens != 5 {
		t.Errorf("Chat(gpt-4o-mini) = %+v, %v", res, err)
	}
}
