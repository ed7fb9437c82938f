package ai

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

func TestCatalogShapes(t *testing.T) {
	s := mustBuiltin(t)
	for _, m := range Catalog() {
		if m.OpenAI {
			continue
		}
		t.Run(m.ID, func(t *testing.T) {
			switch m.Task {
			case TaskEmbeddings:
				for _, tc := range []struct {
					name    string
					input   map[string]any
					rows    int
					pooling string
				}{
					{"single string", map[string]any{"text": "senior go engineer"}, 1, "mean"},
					{"batch of 3 with cls", map[string]any{"text": []string{"a", "b c", "d e f"}, "pooling": "cls"}, 3, "cls"},
					{"batch of 100", map[string]any{"text": hundredTexts()}, 100, "mean"},
				} {
					t.Run(tc.name, func(t *testing.T) {
						out, err := s.Run(t.Context(), m.ID, tc.input, runtime.AIOptions{})
						if err != nil {
							t.Fatal(err)
						}
						got := mustDecode[embedOut](t, out)
						if diff := cmp.Diff([]int{tc.rows, m.Dimensions}, got.Shape); diff != "" {
							t.Errorf("shape (-want +got):\n%s", diff)
						}
						if got.Pooling != tc.pooling {
							t.Errorf("pooling = %q, want %q", got.Pooling, tc.pooling)
						}
						if len(got.Data) != tc.rows {
							t.Fatalf("%d rows, want %d", len(got.Data), tc.rows)
						}
						for i, row := range got.Data {
							if len(row) != m.Dimensions {
								t.Fatalf("row %d has %d values, want %d", i, len(row), m.Dimensions)
							}
							if n := norm(row); math.Abs(n-1) > 1e-5 {
								t.Errorf("row %d norm = %v, want 1", i, n)
							}
						}
					})
				}
			case TaskGeneration:
				for _, tc := range []struct {
					name  string
					input map[string]any
				}{
					{"prompt form", map[string]any{"prompt": "Say hello"}},
					{"messages form", map[string]any{"messages": []any{
						map[string]any{"role": "system", "content": "Be brief."},
						map[string]any{"role": "user", "content": "Say hello"},
					}, "temperature": 0.3, "max_tokens": 4000, "response_format": map[string]any{"type": "json_object"}}},
				} {
					t.Run(tc.name, func(t *testing.T) {
						out, err := s.Run(t.Context(), m.ID, tc.input, runtime.AIOptions{})
						if err != nil {
							t.Fatal(err)
						}
						var raw map[string]json.RawMessage
						if err := json.Unmarshal(out, &raw); err != nil {
							t.Fatal(err)
						}
						if _, ok := raw["response"]; !ok {
							t.Errorf("output %s has no response", out)
						}
						got := mustDecode[genOut](t, out)
						if got.Response == "" {
							t.Error("empty response")
						}
						u := got.Usage
						if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
							t.Errorf("usage = %+v, want positive counts summing to total", u)
						}
					})
				}
			default:
				t.Fatalf("task %q", m.Task)
			}
		})
	}
}

func hundredTexts() []string {
	out := make([]string, 100)
	for i := range out {
		out[i] = "job posting number " + string(rune('a'+i%26)) + " for a backend engineer with Go and SQL"
	}
	return out
}

func TestCatalogTable(t *testing.T) {
	want := map[string]int{
		"@cf/baai/bge-small-en-v1.5": 384,
		"@cf/baai/bge-base-en-v1.5":  768,
		"@cf/baai/bge-large-en-v1.5": 1024,
	}
	gen := []string{
		"@cf/meta/llama-3.1-8b-instruct", "@cf/meta/llama-3.1-8b-instruct-fast", "@cf/meta/llama-3-8b-instruct",
		"@cf/mistral/mistral-7b-instruct-v0.1", "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
	}
	ms, err := newModels(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for id, dims := range want {
		m, ok := ms.lookup(id)
		if !ok || m.Task != TaskEmbeddings || m.Dimensions != dims || m.MaxBatch != 100 {
			t.Errorf("%s = %+v, want embeddings %d dims batch 100", id, m, dims)
		}
	}
	for _, id := range gen {
		if m, ok := ms.lookup(id); !ok || m.Task != TaskGeneration {
			t.Errorf("%s = %+v, want text-generation", id, m)
		}
	}
	if diff := cmp.Diff(map[string]string{
		"@cf/baai/bge-small-en-v1.5": "all-minilm", "@cf/baai/bge-base-en-v1.5": "nomic-embed-text",
		"@cf/baai/bge-large-en-v1.5": "mxbai-embed-large", "@cf/meta/llama-3.1-8b-instruct": "llama3.2",
		"@cf/meta/llama-3.1-8b-instruct-fast": "llama3.2", "@cf/meta/llama-3-8b-instruct": "llama3.2",
		"@cf/mistral/mistral-7b-instruct-v0.1": "llama3.2", "@cf/meta/llama-3.3-70b-instruct-fp8-fast": "llama3.2",
	}, DefaultModelMap()); diff != "" {
		t.Errorf("DefaultModelMap (-want +got):\n%s", diff)
	}
}

func TestParseModelMap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"empty", "", map[string]string{}, ""},
		{"two pairs with spaces", " @cf/baai/bge-base-en-v1.5=nomic-embed-text , @cf/meta/llama-3.1-8b-instruct=llama3.2 ",
			map[string]string{"@cf/baai/bge-base-en-v1.5": "nomic-embed-text", "@cf/meta/llama-3.1-8b-instruct": "llama3.2"}, ""},
		{"tagged ollama model", "@cf/baai/bge-base-en-v1.5=nomic-embed-text:v1.5",
			map[string]string{"@cf/baai/bge-base-en-v1.5": "nomic-embed-text:v1.5"}, ""},
		{"missing equals", "@cf/baai/bge-base-en-v1.5", nil,
			`ai model map: "@cf/baai/bge-base-en-v1.5" is not <workers-ai-model>=<ollama-model>`},
		{"empty value", "@cf/baai/bge-base-en-v1.5=", nil,
			`ai model map: "@cf/baai/bge-base-en-v1.5=" is not <workers-ai-model>=<ollama-model>`},
		{"twice", "a=b,a=c", nil, "ai model map: a mapped twice (b and c)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseModelMap(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"unknown backend", Options{Backend: "gpu"}, `ai: unknown backend "gpu" (want auto, ollama or builtin)`},
		{"map names unknown model", Options{Backend: BackendBuiltin, ModelMap: map[string]string{"@cf/x": "y"}},
			"ai model map: unknown model @cf/x (known: @cf/baai/bge-base-en-v1.5, @cf/baai/bge-large-en-v1.5, @cf/baai/bge-small-en-v1.5, " +
				"@cf/meta/llama-3-8b-instruct, @cf/meta/llama-3.1-8b-instruct, @cf/meta/llama-3.1-8b-instruct-fast, " +
				"@cf/meta/llama-3.3-70b-instruct-fp8-fast, @cf/mistral/mistral-7b-instruct-v0.1)"},
		{"extra model without dimensions", Options{Backend: BackendBuiltin, Models: []Model{{ID: "@edge/x", Task: TaskEmbeddings}}},
			"ai catalog: @edge/x: embeddings model needs Dimensions > 0"},
		{"extra model with unknown task", Options{Backend: BackendBuiltin, Models: []Model{{ID: "@edge/x", Task: "image"}}},
			`ai catalog: @edge/x: unknown task "image"`},
		{"bad ollama url", Options{Backend: BackendOllama, OllamaURL: "::nope"},
			`ai: invalid Ollama URL "::nope" (want e.g. http://127.0.0.1:11434)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.o)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestTestOnlyModel(t *testing.T) {
	s, err := Open(t.Context(), Options{Backend: BackendBuiltin, Models: []Model{
		{ID: "@edge/test/tiny", Task: TaskEmbeddings, Dimensions: 64, TestOnly: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(t.Context(), "@edge/test/tiny", map[string]any{"text": []string{"a", "b"}}, runtime.AIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustDecode[embedOut](t, out); !cmp.Equal(got.Shape, []int{2, 64}) {
		t.Errorf("shape = %v, want [2 64]", got.Shape)
	}
}
