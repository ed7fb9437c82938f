package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"jobmatch-edge/runtime"
)

// call is one proxied request, read in full by the gateway.
type call struct {
	method   string
	endpoint string // the provider path after /{provider}/, e.g. "chat/completions"
	rawQuery string
	header   http.Header // the client's headers, cf-aig-* removed
	body     []byte
}

// provider sends a call upstream. The returned response's body may stream;
// a non-nil error means no response came (unreachable, timed out).
type provider interface {
	serve(ctx context.Context, c *call) (*http.Response, error)
}

// Provider names in gateway URLs.
const (
	ProviderOpenAI    = "openai"
	ProviderWorkersAI = "workers-ai"
	ProviderCompat    = "compat"
)

// builtinOpenAI is the offline "openai" upstream: OpenAI's API answered by
// Workers AI models on the binding.
type builtinOpenAI struct{ compat *aiCompat }

func (b *builtinOpenAI) serve(ctx context.Context, c *call) (*http.Response, error) {
	return b.compat.serve(ctx, c), nil
}

// httpUpstream forwards calls to an OpenAI-compatible HTTP API (api.openai.com,
// Ollama's /v1, or any base URL).
type httpUpstream struct {
	base   string // e.g. "https://api.openai.com/v1", no trailing slash
	client *http.Client
	// model, when set, replaces the model in a JSON body (Ollama does not
	// know OpenAI's model names).
	model func(endpoint, model string) string
}

// hopHeaders are not forwarded in either direction (RFC 9110 §7.6.1), nor
// are the ones the transport sets itself.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Accept-Encoding",
}

func (u *httpUpstream) serve(ctx context.Context, c *call) (*http.Response, error) {
	body := c.body
	if u.model != nil {
		body = rewriteModel(body, func(m string) string { return u.model(c.endpoint, m) })
	}
	target := u.base + "/" + c.endpoint
	if c.rawQuery != "" {
		target += "?" + c.rawQuery
	}
	req, err := http.NewRequestWithContext(ctx, c.method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building upstream request: %w", err)
	}
	req.Header = c.header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	req.ContentLength = int64(len(body))
	return u.client.Do(req)
}

// rewriteModel replaces the "model" field of a JSON object body; any other
// body is returned as it is.
func rewriteModel(body []byte, f func(string) string) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return body
	}
	var model string
	if raw, ok := obj["model"]; ok {
		_ = json.Unmarshal(raw, &model)
	}
	next := f(model)
	if next == model {
		return body
	}
	obj["model"], _ = json.Marshal(next)
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}

// ollamaModels maps OpenAI endpoints to the Ollama models that serve them.
func ollamaModels(chat, embed string) func(endpoint, model string) string {
	return func(endpoint, model string) string {
		switch endpoint {
		case "chat/completions", "completions":
			return chat
		case "embeddings":
			return embed
		}
		return model
	}
}

// workersAI is the local Workers AI behind the gateway: /{model} with the
// Workers AI input (answered in the v4 envelope, as the REST API answers),
// and the OpenAI-compatible /v1/chat/completions and /v1/embeddings.
type workersAI struct {
	ai     func() runtime.AI
	compat *aiCompat
}

func (p *workersAI) serve(ctx context.Context, c *call) (*http.Response, error) {
	if rest, ok := strings.CutPrefix(c.endpoint, "v1/"); ok {
		cc := *c
		cc.endpoint = rest
		return p.compat.serve(ctx, &cc), nil
	}
	if c.method != http.MethodPost {
		return envelopeError(&httpError{status: http.StatusMethodNotAllowed, code: runtime.CodeMethodNotAllow,
			message: fmt.Sprintf("edge: Workers AI runs take POST, got %s", c.method)}), nil
	}
	model := c.endpoint
	var input map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &input); err != nil {
		return envelopeError(&httpError{status: http.StatusBadRequest, code: runtime.CodeValidation,
			message: "Malformed JSON in request body"}), nil
	}
	stream := false
	if raw, ok := input["stream"]; ok {
		_ = json.Unmarshal(raw, &stream)
		delete(input, "stream") // the binding answers whole; the gateway streams it
	}
	ai, herr := p.compat.binding()
	if herr != nil {
		return envelopeError(herr), nil
	}
	var info runtime.AIRunInfo
	out, err := ai.Run(ctx, model, input, runtime.AIOptions{Info: &info})
	withRequestID := func(r *http.Response) *http.Response {
		if info.RequestID != "" {
			r.Header.Set(runtime.HeaderAIRequestID, info.RequestID)
		}
		return r
	}
	if err != nil {
		return withRequestID(envelopeError(fromAIError(err))), nil
	}
	if stream {
		text, u := decodeTextOutput(out)
		return withRequestID(sseResponse(func(emit func(v any) error) error {
			for _, piece := range splitWords(text, 3) {
				if err := emit(map[string]any{"response": piece}); err != nil {
					return err
				}
			}
			if u != nil {
				return emit(map[string]any{"response": "", "usage": u})
			}
			return nil
		})), nil
	}
	return withRequestID(jsonResponse(http.StatusOK, runtime.OK(out))), nil
}

// compatProvider is the unified OpenAI-compatible endpoint: the body's
// model is "<provider>/<model>", and the call goes to that provider with
// the bare model.
type compatProvider struct {
	openai    provider
	workersAI *workersAI
}

func (p *compatProvider) serve(ctx context.Context, c *call) (*http.Response, error) {
	if c.endpoint != "chat/completions" && c.endpoint != "embeddings" {
		return openAIError(&httpError{status: http.StatusNotFound, typ: "invalid_request_error",
			message: fmt.Sprintf("Invalid URL (%s /compat/%s)", c.method, c.endpoint)}), nil
	}
	var head struct {
		Model string `json:"model"`
	}
	if err := json.Unmarshal(c.body, &head); err != nil {
		return openAIError(invalidRequest(msgOpenAIBadJSON)), nil
	}
	if head.Model == "" {
		return openAIError(invalidRequest(msgOpenAINoModel)), nil
	}
	name, model, ok := strings.Cut(head.Model, "/")
	cc := *c
	cc.body = rewriteModel(c.body, func(string) string { return model })
	switch {
	case ok && name == ProviderOpenAI:
		return p.openai.serve(ctx, &cc)
	case ok && name == ProviderWorkersAI:
		return p.workersAI.compat.serve(ctx, &cc), nil
	}
	e := invalidRequest(fmt.Sprintf("edge: the compat endpoint takes model \"openai/<model>\" or \"workers-ai/<model>\", got %q", head.Model))
	e.param = "model"
	return openAIError(e), nil
}
