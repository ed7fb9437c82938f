package ai

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"jobmatch-edge/runtime"
)

func TestRunValidation(t *testing.T) {
	s := mustBuiltin(t)
	const (
		bge   = "@cf/baai/bge-base-en-v1.5"
		llama = "@cf/meta/llama-3.1-8b-instruct"
	)
	texts101 := make([]string, 101)
	for i := range texts101 {
		texts101[i] = "t"
	}
	bad := func(msg string) (int, int, string) { return http.StatusBadRequest, runtime.CodeAIBadInput, msg }
	for _, tc := range []struct {
		name  string
		model string
		input any
		want  func() (int, int, string)
	}{
		{"unknown model", "@cf/nope/model", map[string]any{"text": "x"},
			func() (int, int, string) {
				return 400, runtime.CodeAINoSuchModel, "No such model @cf/nope/model or task"
			}},
		{"openai entry is not a Workers AI model", "gpt-4o-mini", map[string]any{"prompt": "x"},
			func() (int, int, string) { return 400, runtime.CodeAINoSuchModel, "No such model gpt-4o-mini or task" }},
		{"input not an object", bge, []string{"a"},
			func() (int, int, string) { return bad("Error: Type mismatch of '/', 'object' not in 'array'") }},
		{"go string input", bge, "hello",
			func() (int, int, string) { return bad("Error: Type mismatch of '/', 'object' not in 'string'") }},
		{"embeddings without text", bge, map[string]any{},
			func() (int, int, string) {
				return bad("Error: oneOf at '/' not met, 0 matches: required properties at '/' are 'text', required properties at '/' are 'requests'")
			}},
		{"embeddings async batch form", bge, map[string]any{"requests": []any{map[string]any{"text": "a"}}},
			func() (int, int, string) {
				return bad("Error: the async batch form ('requests') is not supported by edge; send 'text'")
			}},
		{"text wrong type", bge, map[string]any{"text": 42},
			func() (int, int, string) {
				return bad("Error: Type mismatch of '/text', 'string', 'array' not in 'integer'")
			}},
		{"empty text", bge, map[string]any{"text": ""},
			func() (int, int, string) { return bad("Error: minLength at '/text' not met: 0 < 1") }},
		{"empty array", bge, map[string]any{"text": []string{}},
			func() (int, int, string) { return bad("Error: minItems at '/text' not met: 0 < 1") }},
		{"101 texts", bge, map[string]any{"text": texts101},
			func() (int, int, string) { return bad("Error: maxItems at '/text' not met: 101 > 100") }},
		{"non-string item", bge, map[string]any{"text": []any{"a", true}},
			func() (int, int, string) { return bad("Error: Type mismatch of '/text/1', 'string' not in 'boolean'") }},
		{"empty item", bge, map[string]any{"text": []any{"a", ""}},
			func() (int, int, string) { return bad("Error: minLength at '/text/1' not met: 0 < 1") }},
		{"bad pooling", bge, map[string]any{"text": "a", "pooling": "max"},
			func() (int, int, string) { return bad("Error: enum at '/pooling' not met: 'max' not in 'mean', 'cls'") }},
		{"prompt and messages", llama, map[string]any{"prompt": "a", "messages": []any{}},
			func() (int, int, string) {
				return 400, runtime.CodeAIInvalidInput, "prompt and messages are mutually exclusive"
			}},
		{"neither prompt nor messages", llama, map[string]any{"max_tokens": 5},
			func() (int, int, string) {
				return bad("Error: oneOf at '/' not met, 0 matches: required properties at '/' are 'prompt', required properties at '/' are 'messages'")
			}},
		{"empty prompt", llama, map[string]any{"prompt": ""},
			func() (int, int, string) { return bad("Error: minLength at '/prompt' not met: 0 < 1") }},
		{"prompt too long", llama, map[string]any{"prompt": strings.Repeat("a", 131073)},
			func() (int, int, string) { return bad("Error: maxLength at '/prompt' not met: 131073 > 131072") }},
		{"messages not an array", llama, map[string]any{"messages": "hi"},
			func() (int, int, string) { return bad("Error: Type mismatch of '/messages', 'array' not in 'string'") }},
		{"message without content", llama, map[string]any{"messages": []any{map[string]any{"role": "user"}}},
			func() (int, int, string) { return bad("Error: required properties at '/messages/0' are 'content'") }},
		{"array content", llama, map[string]any{"messages": []any{map[string]any{"role": "user", "content": []any{"x"}}}},
			func() (int, int, string) {
				return bad("Error: Type mismatch of '/messages/0/content', 'string' not in 'array'")
			}},
		{"temperature above 5", llama, map[string]any{"prompt": "a", "temperature": 5.5},
			func() (int, int, string) { return bad("Error: maximum at '/temperature' not met: 5.5 > 5") }},
		{"negative temperature", llama, map[string]any{"prompt": "a", "temperature": -1},
			func() (int, int, string) { return bad("Error: minimum at '/temperature' not met: -1 < 0") }},
		{"max_tokens zero", llama, map[string]any{"prompt": "a", "max_tokens": 0},
			func() (int, int, string) { return bad("Error: minimum at '/max_tokens' not met: 0 < 1") }},
		{"max_tokens fractional", llama, map[string]any{"prompt": "a", "max_tokens": 1.5},
			func() (int, int, string) {
				return bad("Error: Type mismatch of '/max_tokens', 'integer' not in 'number'")
			}},
		{"top_k above 50", llama, map[string]any{"prompt": "a", "top_k": 51},
			func() (int, int, string) { return bad("Error: maximum at '/top_k' not met: 51 > 50") }},
		{"seed zero", llama, map[string]any{"prompt": "a", "seed": 0},
			func() (int, int, string) { return bad("Error: minimum at '/seed' not met: 0 < 1") }},
		{"presence_penalty above 2", llama, map[string]any{"prompt": "a", "presence_penalty": 3},
			func() (int, int, string) { return bad("Error: maximum at '/presence_penalty' not met: 3 > 2") }},
		{"stream not boolean", llama, map[string]any{"prompt": "a", "stream": "yes"},
			func() (int, int, string) { return bad("Error: Type mismatch of '/stream', 'boolean' not in 'string'") }},
		{"unknown response_format", llama, map[string]any{"prompt": "a", "response_format": map[string]any{"type": "xml"}},
			func() (int, int, string) {
				return bad("Error: enum at '/response_format/type' not met: 'xml' not in 'json_object', 'json_schema'")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var info runtime.AIRunInfo
			out, err := s.Run(t.Context(), tc.model, tc.input, runtime.AIOptions{Info: &info})
			if err == nil {
				t.Fatalf("Run = %s, want an error", out)
			}
			status, code, msg := tc.want()
			wantError(t, err, status, code, msg)
			if info.RequestID == "" {
				t.Error("no request id reported for a failed run")
			}
		})
	}
}

func TestRunAcceptsRawJSONAndStructs(t *testing.T) {
	s := mustBuiltin(t)
	type input struct {
		Text []string `json:"text"`
	}
	for _, tc := range []struct {
		name  string
		input any
	}{
		{"raw message", json.RawMessage(`{"text":["a b"]}`)},
		{"bytes", []byte(`{"text":"a b"}`)},
		{"struct", input{Text: []string{"a b"}}},
		{"map", map[string]any{"text": "a b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Run(t.Context(), "@cf/baai/bge-small-en-v1.5", tc.input, runtime.AIOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := mustDecode[embedOut](t, out)
			if len(got.Shape) != 2 || got.Shape[0] != 1 || got.Shape[1] != 384 {
				t.Fatalf("shape = %v, want [1 384]", got.Shape)
			}
		})
	}
}

func TestRequestIDs(t *testing.T) {
	s := mustBuiltin(t)
	var a, b runtime.AIRunInfo
	if _, err := s.Run(t.Context(), "@cf/baai/bge-base-en-v1.5", map[string]any{"text": "x"}, runtime.AIOptions{Info: &a}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(t.Context(), "@cf/nope", map[string]any{"text": "x"}, runtime.AIOptions{Info: &b}); err == nil {
		t.Fatal("want error")
	}
	if a.RequestID != "req-1" || b.RequestID != "req-2" {
		t.Fatalf("request ids = %q, %q; want req-1, req-2", a.RequestID, b.RequestID)
	}
	if got := s.LastRequestID(); got != "req-2" {
		t.Errorf("LastRequestID = %q, want req-2", got)
	}
	if got := s.AIGatewayLogID(); got != "" {
		t.Errorf("AIGatewayLogID = %q, want empty (no gateway)", got)
	}
	// The default generator makes version 4 UUIDs.
	if id := newUUID(); len(id) != 36 || id[14] != '4' || strings.Count(id, "-") != 4 {
		t.Errorf("newUUID() = %q, not a v4 UUID", id)
	}
}
