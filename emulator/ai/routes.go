package ai

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"

	"jobmatch-edge/emulator/cfapi"
	"jobmatch-edge/runtime"
)

// Routes registers the Workers AI REST API (cloudflare-semantics.md §4.4)
// under cfapi.Prefix.
func (s *Service) Routes(mux *http.ServeMux) {
	// POST /accounts/{account_id}/ai/run/{model} (model ids contain slashes)
	mux.HandleFunc("POST "+cfapi.Prefix+"/ai/run/{model...}", s.handleRun)
	// POST /accounts/{account_id}/ai/v1/embeddings (OpenAI-compatible)
	mux.HandleFunc("POST "+cfapi.Prefix+"/ai/v1/embeddings", s.handleEmbeddings)
	// POST /accounts/{account_id}/ai/v1/chat/completions (OpenAI-compatible)
	mux.HandleFunc("POST "+cfapi.Prefix+"/ai/v1/chat/completions", s.handleChatCompletions)
}

// readBody reads a request body within maxRunBody.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRunBody+1))
	if err != nil {
		return nil, ErrIncompleteRequest.With(err)
	}
	if len(body) > maxRunBody {
		return nil, ErrRequestTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrIncompleteRequest
	}
	return body, nil
}

// writeAIError writes err in the v4 envelope, with the REST wording of 5006.
func (s *Service) writeAIError(w http.ResponseWriter, r *http.Request, err error, requestID string) {
	var e *runtime.Error
	if errors.As(err, &e) {
		err = restMessage(e, requestID)
	}
	if status := runtime.WriteError(w, err); status >= 500 {
		s.log.ErrorContext(r.Context(), "ai request failed", "path", r.URL.Path, "err", err, "request_id", requestID)
	}
}

// handleRun serves POST .../ai/run/{model}: the body is the model input, the
// result the model output in the v4 envelope. A text-generation input with
// "stream": true is answered as server-sent events.
func (s *Service) handleRun(w http.ResponseWriter, r *http.Request) {
	model := r.PathValue("model")
	body, err := readBody(r)
	if err != nil {
		id := s.opts.NewRequestID()
		w.Header().Set(runtime.HeaderAIRequestID, id)
		s.writeAIError(w, r, err, id)
		return
	}
	if m, ok := s.models.lookup(model); ok && !m.OpenAI && m.Task == TaskGeneration && wantsStream(body) {
		s.streamRun(w, r, m, body)
		return
	}
	var info runtime.AIRunInfo
	out, err := s.Run(r.Context(), model, json.RawMessage(body), runtime.AIOptions{Info: &info})
	w.Header().Set(runtime.HeaderAIRequestID, info.RequestID)
	if err != nil {
		s.writeAIError(w, r, err, info.RequestID)
		return
	}
	runtime.WriteResult(w, out)
}

func wantsStream(body []byte) bool {
	var probe struct {
		Stream bool `json:"stream"`
	}
	return json.Unmarshal(body, &probe) == nil && probe.Stream
}

// chat validates a text-generation input and runs it.
func (s *Service) chat(ctx context.Context, m Model, in map[string]any) (ChatRequest, ChatResult, error) {
	req, err := validateChat(in)
	if err != nil {
		return req, ChatResult{}, err
	}
	res, err := s.backend.Chat(ctx, m, req, s.clock.Now())
	return req, res, err
}

// streamRun answers a streaming text-generation run: one event per word
// group, then a final event with usage, then [DONE].
func (s *Service) streamRun(w http.ResponseWriter, r *http.Request, m Model, body []byte) {
	id := s.opts.NewRequestID()
	w.Header().Set(runtime.HeaderAIRequestID, id)
	in, err := decodeInput(json.RawMessage(body))
	if err != nil {
		s.writeAIError(w, r, err, id)
		return
	}
	_, res, err := s.chat(r.Context(), m, in)
	if err != nil {
		s.writeAIError(w, r, err, id)
		return
	}
	sse := newSSE(w)
	for _, part := range chunks(res.Text) {
		sse.event(map[string]any{"response": part})
	}
	sse.event(map[string]any{"response": "", "usage": usageOf(res)})
	sse.done()
}

// chunks splits text into pieces of about four words, keeping every byte.
func chunks(text string) []string {
	var out []string
	start, words := 0, 0
	for i := 0; i < len(text); i++ {
		if text[i] == ' ' {
			words++
			if words == 4 {
				out = append(out, text[start:i+1])
				start, words = i+1, 0
			}
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

type sseWriter struct {
	w http.ResponseWriter
	f http.Flusher
}

func newSSE(w http.ResponseWriter) *sseWriter {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sseWriter{w: w, f: f}
}

func (s *sseWriter) event(v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(s.w, "data: %s\n\n", b)
	if s.f != nil {
		s.f.Flush()
	}
}

func (s *sseWriter) done() {
	io.WriteString(s.w, "data: [DONE]\n\n")
	if s.f != nil {
		s.f.Flush()
	}
}

// ---------------------------------------------------------------- OpenAI-compatible

// openAIRequest starts an OpenAI-compatible call: it sets the request id,
// reads and decodes the body and resolves its model for task. On failure it
// has written the error and returns ok false.
func (s *Service) openAIRequest(w http.ResponseWriter, r *http.Request, task string) (id string, in map[string]any, model string, m Model, ok bool) {
	id = s.opts.NewRequestID()
	w.Header().Set(runtime.HeaderAIRequestID, id)
	body, err := readBody(r)
	if err != nil {
		s.writeAIError(w, r, err, id)
		return id, nil, "", Model{}, false
	}
	if in, err = decodeInput(json.RawMessage(body)); err != nil {
		s.writeAIError(w, r, err, id)
		return id, nil, "", Model{}, false
	}
	if model, m, err = s.openAIModel(in, task); err != nil {
		s.writeAIError(w, r, err, id)
		return id, nil, "", Model{}, false
	}
	return id, in, model, m, true
}

// handleEmbeddings serves POST .../ai/v1/embeddings:
// {model, input: string | string[], encoding_format?: "float"|"base64"}.
// Success is OpenAI's list object; errors use the v4 envelope.
func (s *Service) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	id, in, model, m, ok := s.openAIRequest(w, r, TaskEmbeddings)
	if !ok {
		return
	}
	input, ok := in["input"]
	if !ok {
		s.writeAIError(w, r, badInput("required properties at '/' are 'input'"), id)
		return
	}
	e, err := validateEmbed(m, map[string]any{"text": input})
	if err != nil {
		s.writeAIError(w, r, err, id)
		return
	}
	format, _ := in["encoding_format"].(string)
	if format != "" && format != "float" && format != "base64" {
		s.writeAIError(w, r, badInput("enum at '/encoding_format' not met: '%s' not in 'float', 'base64'", format), id)
		return
	}
	vecs, err := s.backend.Embed(r.Context(), m, e.texts, PoolingMean)
	if err != nil {
		s.writeAIError(w, r, err, id)
		return
	}
	data := make([]openAIEmbedding, len(vecs))
	tokens := 0
	for i, v := range vecs {
		data[i] = openAIEmbedding{Object: "embedding", Index: i, Embedding: v}
		if format == "base64" {
			data[i].Embedding = encodeFloats(v)
		}
		tokens += CountTokens(e.texts[i])
	}
	runtime.WriteJSON(w, http.StatusOK, openAIEmbeddingList{
		Object: "list", Data: data, Model: model,
		Usage: openAIUsage{PromptTokens: tokens, TotalTokens: tokens},
	})
}

// encodeFloats is OpenAI's base64 encoding: little-endian float32s.
func encodeFloats(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}

type openAIEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type openAIEmbeddingList struct {
	Object string            `json:"object"`
	Data   []openAIEmbedding `json:"data"`
	Model  string            `json:"model"`
	Usage  openAIUsage       `json:"usage"`
}

type openAIUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens,omitempty"`
	TotalTokens      int `json:"total_tokens"`
}

// openAIModel reads and resolves the "model" field of an OpenAI-style body
// to a Workers AI model of the given task.
func (s *Service) openAIModel(in map[string]any, task string) (string, Model, error) {
	v, ok := in["model"]
	if !ok {
		return "", Model{}, badInput("required properties at '/' are 'model'")
	}
	name, ok := v.(string)
	if !ok {
		return "", Model{}, typeMismatch("/model", "string", v)
	}
	m, ok := s.models.lookup(name)
	if !ok || m.OpenAI || m.Task != task {
		return "", Model{}, noSuchModel(name)
	}
	return name, m, nil
}

// handleChatCompletions serves POST .../ai/v1/chat/completions with OpenAI's
// request and response shapes (stream included).
func (s *Service) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	id, in, model, m, ok := s.openAIRequest(w, r, TaskGeneration)
	if !ok {
		return
	}
	// Map OpenAI's fields onto the Workers AI input.
	wai := map[string]any{}
	for _, k := range []string{"messages", "max_tokens", "temperature", "top_p", "seed", "frequency_penalty", "presence_penalty", "stream", "response_format"} {
		if v, ok := in[k]; ok {
			wai[k] = v
		}
	}
	if v, ok := in["max_completion_tokens"]; ok {
		wai["max_tokens"] = v
	}
	if _, ok := wai["messages"]; !ok {
		s.writeAIError(w, r, badInput("required properties at '/' are 'messages'"), id)
		return
	}
	if list, ok := wai["messages"].([]any); ok {
		for _, item := range list {
			if msg, ok := item.(map[string]any); ok {
				msg["content"] = flattenContent(msg["content"])
			}
		}
	}
	req, res, err := s.chat(r.Context(), m, wai)
	if err != nil {
		s.writeAIError(w, r, err, id)
		return
	}
	created := s.clock.Now().Unix()
	completionID := "chatcmpl-" + id
	finish := "stop"
	if res.Truncated {
		finish = "length"
	}
	usage := openAIUsage{PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens, TotalTokens: res.PromptTokens + res.CompletionTokens}
	if !req.Stream {
		runtime.WriteJSON(w, http.StatusOK, map[string]any{
			"id": completionID, "object": "chat.completion", "created": created, "model": model,
			"choices": []any{map[string]any{
				"index": 0, "message": map[string]any{"role": "assistant", "content": res.Text},
				"logprobs": nil, "finish_reason": finish,
			}},
			"usage": usage,
		})
		return
	}
	sse := newSSE(w)
	chunk := func(delta map[string]any, finishReason any) map[string]any {
		return map[string]any{
			"id": completionID, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finishReason}},
		}
	}
	sse.event(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for _, part := range chunks(res.Text) {
		sse.event(chunk(map[string]any{"content": part}, nil))
	}
	sse.event(chunk(map[string]any{}, finish))
	if opts, ok := in["stream_options"].(map[string]any); ok && opts["include_usage"] == true {
		sse.event(map[string]any{
			"id": completionID, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{}, "usage": usage,
		})
	}
	sse.done()
}

// flattenContent turns OpenAI's content parts ([{type:"text", text}]) into
// one string; other values pass through for validation to judge.
func flattenContent(v any) any {
	parts, ok := v.([]any)
	if !ok {
		return v
	}
	var texts []string
	for _, p := range parts {
		if m, ok := p.(map[string]any); ok && m["type"] == "text" {
			if t, ok := m["text"].(string); ok {
				texts = append(texts, t)
			}
		}
	}
	return strings.Join(texts, "\n")
}
