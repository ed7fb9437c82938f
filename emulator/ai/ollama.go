package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"jobmatch-edge/runtime"
)

// ollamaBackend serves the catalog through a local Ollama server, with the
// official client. Each Workers AI model maps to an Ollama model (Model.Ollama).
type ollamaBackend struct {
	client *api.Client
	url    string
}

func newOllama(rawURL string, hc *http.Client) (*ollamaBackend, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("ai: invalid Ollama URL %q (want e.g. http://127.0.0.1:11434)", rawURL)
	}
	return &ollamaBackend{client: api.NewClient(u, hc), url: strings.TrimRight(rawURL, "/")}, nil
}

func (o *ollamaBackend) Name() string { return BackendOllama }

// probe asks Ollama for its version and its local models.
func (o *ollamaBackend) probe(ctx context.Context) (version string, have map[string]bool, err error) {
	version, err = o.client.Version(ctx)
	if err != nil {
		return "", nil, err
	}
	list, err := o.client.List(ctx)
	if err != nil {
		return version, nil, err
	}
	have = map[string]bool{}
	for _, m := range list.Models {
		for _, n := range []string{m.Name, m.Model} {
			have[n] = true
			if base, ok := strings.CutSuffix(n, ":latest"); ok {
				have[base] = true
			}
		}
	}
	return version, have, nil
}

// missing lists the wanted Ollama models that have does not hold.
func missingModels(want []string, have map[string]bool) []string {
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// pullHint is the command that fetches the given models.
func pullHint(models []string) string {
	var cmds []string
	for _, m := range models {
		cmds = append(cmds, "`ollama pull "+m+"`")
	}
	return strings.Join(cmds, ", ")
}

func (o *ollamaBackend) Embed(ctx context.Context, m Model, texts []string, _ string) ([][]float32, error) {
	if m.Ollama == "" {
		return nil, unavailable(nil, "no Ollama model is mapped to %s; set --ai-model-map %s=<ollama model>", m.ID, m.ID)
	}
	truncate := true
	// Differs from Cloudflare: pooling is the Ollama model's own; "cls" is
	// not available through Ollama and is accepted but not applied.
	resp, err := o.client.Embed(ctx, &api.EmbedRequest{Model: m.Ollama, Input: texts, Dimensions: m.Dimensions, Truncate: &truncate})
	if err != nil {
		return nil, o.mapError(ctx, m, err)
	}
	if len(resp.Embeddings) != len(texts) {
		return nil, unavailable(nil, "Ollama model %q returned %d embeddings for %d texts", m.Ollama, len(resp.Embeddings), len(texts))
	}
	for _, v := range resp.Embeddings {
		if len(v) != m.Dimensions {
			return nil, unavailable(nil, "Ollama model %q returned %d-dimension embeddings, but %s has %d dimensions; map %s to an Ollama model that gives at least %d (--ai-model-map %s=<model>)",
				m.Ollama, len(v), m.ID, m.Dimensions, m.ID, m.Dimensions, m.ID)
		}
	}
	return resp.Embeddings, nil
}

func (o *ollamaBackend) Chat(ctx context.Context, m Model, req ChatRequest, _ time.Time) (ChatResult, error) {
	if m.Ollama == "" {
		return ChatResult{}, unavailable(nil, "no Ollama model is mapped to %s; set --ai-model-map %s=<ollama model>", m.ID, m.ID)
	}
	msgs := make([]api.Message, len(req.Messages))
	for i, msg := range req.Messages {
		msgs[i] = api.Message{Role: msg.Role, Content: msg.Content}
	}
	options := map[string]any{"temperature": req.Temperature, "num_predict": req.MaxTokens}
	if req.TopP != nil {
		options["top_p"] = *req.TopP
	}
	if req.TopK != nil {
		options["top_k"] = *req.TopK
	}
	if req.Seed != nil {
		options["seed"] = *req.Seed
	}
	stream := false
	creq := &api.ChatRequest{Model: m.Ollama, Messages: msgs, Stream: &stream, Options: options}
	if req.JSON {
		creq.Format = json.RawMessage(`"json"`)
	}
	var res ChatResult
	var text strings.Builder
	err := o.client.Chat(ctx, creq, func(r api.ChatResponse) error {
		text.WriteString(r.Message.Content)
		if r.Done {
			res.PromptTokens = r.PromptEvalCount
			res.CompletionTokens = r.EvalCount
			res.Truncated = r.DoneReason == "length"
		}
		return nil
	})
	if err != nil {
		return ChatResult{}, o.mapError(ctx, m, err)
	}
	res.Text = text.String()
	return res, nil
}

// mapError turns a client error into a Workers AI error that says what to run.
func (o *ollamaBackend) mapError(ctx context.Context, m Model, err error) error {
	if e := contextError(ctx, err); e != nil {
		return e
	}
	var se api.StatusError
	if errors.As(err, &se) {
		if se.StatusCode == http.StatusNotFound {
			return unavailable(err, "Ollama at %s has no model %q (mapped to %s); run `ollama pull %s`, or map %s to a model it has (--ai-model-map %s=<model>)",
				o.url, m.Ollama, m.ID, m.Ollama, m.ID, m.ID)
		}
		return unavailable(err, "Ollama at %s answered %d for model %q: %s", o.url, se.StatusCode, m.Ollama, se.ErrorMessage)
	}
	var re *runtime.Error
	if errors.As(err, &re) {
		return re
	}
	return unavailable(err, "Ollama is not reachable at %s (%v); run `ollama serve`, point --ollama-url at a running Ollama, or start edge with --ai-backend builtin", o.url, err)
}
