package ai

import (
	"fmt"
	"sort"
	"strings"
)

// Tasks a catalog model can perform (Workers AI's task names).
const (
	TaskEmbeddings = "text-embeddings"
	TaskGeneration = "text-generation"
)

// Model is one entry of the model catalog.
type Model struct {
	ID         string // Workers AI model id, e.g. "@cf/baai/bge-base-en-v1.5"
	Task       string // TaskEmbeddings or TaskGeneration
	Dimensions int    // embedding width (embeddings only)
	MaxBatch   int    // most texts per embeddings call (embeddings only)
	TestOnly   bool   // entries added by tests (Options.Models); never listed by default

	// MaxInputTokens is the documented input limit of an embeddings model
	// (512 for bge). Informational: edge does not truncate (see doc.go).
	MaxInputTokens int
	// Ollama is the default Ollama model serving this entry; Options.ModelMap
	// and --ai-model-map override it.
	Ollama string
	// OpenAI marks entries that exist only for the AI Gateway's built-in
	// OpenAI upstream (gpt-4o-mini, text-embedding-3-small, ...). Run and the
	// Workers AI REST routes answer 5007 for them, as Workers AI would.
	OpenAI bool
}

// The catalog, in one table. Workers AI entries come from
// cloudflare-semantics.md §4.2-4.3 and jobmatch-contract.md §1.7; the OpenAI
// entries are the models JobMatch asks OpenAI for (contract §4.6) plus the
// embedding models OpenAI clients commonly send.
var catalog = []Model{
	// Embeddings (bge). Output {shape, data, pooling}.
	{ID: "@cf/baai/bge-small-en-v1.5", Task: TaskEmbeddings, Dimensions: 384, MaxBatch: 100, MaxInputTokens: 512, Ollama: "all-minilm"},
	{ID: "@cf/baai/bge-base-en-v1.5", Task: TaskEmbeddings, Dimensions: 768, MaxBatch: 100, MaxInputTokens: 512, Ollama: "nomic-embed-text"},
	{ID: "@cf/baai/bge-large-en-v1.5", Task: TaskEmbeddings, Dimensions: 1024, MaxBatch: 100, MaxInputTokens: 512, Ollama: "mxbai-embed-large"},

	// Text generation: the models JobMatch calls. Output {response, usage}.
	{ID: "@cf/meta/llama-3.1-8b-instruct", Task: TaskGeneration, Ollama: "llama3.2"},
	{ID: "@cf/meta/llama-3.1-8b-instruct-fast", Task: TaskGeneration, Ollama: "llama3.2"},
	{ID: "@cf/meta/llama-3-8b-instruct", Task: TaskGeneration, Ollama: "llama3.2"},
	{ID: "@cf/mistral/mistral-7b-instruct-v0.1", Task: TaskGeneration, Ollama: "llama3.2"},
	{ID: "@cf/meta/llama-3.3-70b-instruct-fp8-fast", Task: TaskGeneration, Ollama: "llama3.2"},

	// OpenAI models, for the AI Gateway's built-in upstream only.
	{ID: "gpt-4o-mini", Task: TaskGeneration, Ollama: "llama3.2", OpenAI: true},
	{ID: "gpt-4o", Task: TaskGeneration, Ollama: "llama3.2", OpenAI: true},
	{ID: "text-embedding-3-small", Task: TaskEmbeddings, Dimensions: 1536, MaxBatch: 2048, OpenAI: true},
	{ID: "text-embedding-3-large", Task: TaskEmbeddings, Dimensions: 3072, MaxBatch: 2048, OpenAI: true},
	{ID: "text-embedding-ada-002", Task: TaskEmbeddings, Dimensions: 1536, MaxBatch: 2048, OpenAI: true},
}

// Catalog returns the built-in catalog (a copy).
func Catalog() []Model { return append([]Model(nil), catalog...) }

// DefaultModelMap is the Workers AI model -> Ollama model map used unless
// Options.ModelMap overrides an entry (Workers AI entries only).
func DefaultModelMap() map[string]string {
	m := map[string]string{}
	for _, c := range catalog {
		if !c.OpenAI && c.Ollama != "" {
			m[c.ID] = c.Ollama
		}
	}
	return m
}

// ParseModelMap parses the --ai-model-map syntax: comma-separated
// "<Workers AI model>=<Ollama model>" pairs, e.g.
// "@cf/baai/bge-base-en-v1.5=nomic-embed-text,@cf/meta/llama-3.1-8b-instruct=llama3.2".
// Spaces around items are ignored; an empty string is an empty map.
func ParseModelMap(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("ai model map: %q is not <workers-ai-model>=<ollama-model>", item)
		}
		if prev, dup := out[k]; dup {
			return nil, fmt.Errorf("ai model map: %s mapped twice (%s and %s)", k, prev, v)
		}
		out[k] = v
	}
	return out, nil
}

// models is a resolved catalog: the built-in table, the extra entries of
// Options.Models, and the Ollama model of each entry after the model map.
type models struct {
	byID map[string]Model
}

func newModels(extra []Model, modelMap map[string]string) (*models, error) {
	m := &models{byID: map[string]Model{}}
	for _, e := range append(Catalog(), extra...) {
		if e.ID == "" {
			return nil, fmt.Errorf("ai catalog: model with empty id")
		}
		switch e.Task {
		case TaskEmbeddings:
			if e.Dimensions <= 0 {
				return nil, fmt.Errorf("ai catalog: %s: embeddings model needs Dimensions > 0", e.ID)
			}
			if e.MaxBatch <= 0 {
				e.MaxBatch = maxEmbedBatch
			}
		case TaskGeneration:
		default:
			return nil, fmt.Errorf("ai catalog: %s: unknown task %q", e.ID, e.Task)
		}
		m.byID[e.ID] = e
	}
	for id, ollama := range modelMap {
		e, ok := m.byID[id]
		if !ok {
			return nil, fmt.Errorf("ai model map: unknown model %s (known: %s)", id, strings.Join(m.ids(), ", "))
		}
		e.Ollama = ollama
		m.byID[id] = e
	}
	return m, nil
}

func (m *models) lookup(id string) (Model, bool) {
	e, ok := m.byID[id]
	return e, ok
}

// ids lists the Workers AI model ids, sorted.
func (m *models) ids() []string {
	var out []string
	for id, e := range m.byID {
		if !e.OpenAI {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// ollamaModels lists the distinct Ollama models the Workers AI entries map
// to (test-only entries included only when includeTest), sorted.
func (m *models) ollamaModels(includeTest bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range m.byID {
		if e.OpenAI || e.Ollama == "" || (e.TestOnly && !includeTest) || seen[e.Ollama] {
			continue
		}
		seen[e.Ollama] = true
		out = append(out, e.Ollama)
	}
	sort.Strings(out)
	return out
}

// allIDs lists every model id (Workers AI and OpenAI entries), sorted.
func (m *models) allIDs() []string {
	out := make([]string, 0, len(m.byID))
	for id := range m.byID {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
