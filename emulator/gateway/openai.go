package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"jobmatch-edge/runtime"
)

// aiCompat answers OpenAI's /chat/completions and /embeddings by running
// Workers AI models on the binding, in OpenAI's response shapes. It serves
// the builtin "openai" upstream (which maps OpenAI model names to Workers AI
// models) and the "workers-ai" provider's /v1/ form (where the model in the
// body already is a Workers AI model).
type aiCompat struct {
	ai    func() runtime.AI
	clock runtime.Clock
	// chatModel and embedModel name the Workers AI model to run for the
	// model the client asked for.
	chatModel  func(model string) string
	embedModel func(model string, dims *int) (string, *httpError)
	// fail renders an error in the provider's error shape.
	fail func(*httpError) *http.Response
}

// httpError is an error a provider answers with.
type httpError struct {
	status  int
	code    int    // Workers AI / Cloudflare code (v4 envelopes)
	typ     string // OpenAI error type
	param   string // OpenAI error param
	ocode   string // OpenAI error code
	message string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.message) }

// OpenAI's error texts, verbatim.
const (
	msgOpenAIBadJSON = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
	msgOpenAINoModel = "you must provide a model parameter"
	msgOpenAIBadInp  = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
)

func invalidRequest(message string) *httpError {
	return &httpError{status: http.StatusBadRequest, code: runtime.CodeValidation, typ: "invalid_request_error", message: message}
}

// openAIError renders e in OpenAI's error shape.
func openAIError(e *httpError) *http.Response {
	var param, code any
	if e.param != "" {
		param = e.param
	}
	if e.ocode != "" {
		code = e.ocode
	}
	typ := e.typ
	if typ == "" {
		typ = "invalid_request_error"
		if e.status >= 500 {
			typ = "server_error"
		}
	}
	return jsonResponse(e.status, map[string]any{"error": map[string]any{
		"message": e.message, "type": typ, "param": param, "code": code,
	}})
}

// envelopeError renders e as a Cloudflare v4 failure envelope (Workers AI).
func envelopeError(e *httpError) *http.Response {
	code := e.code
	if code == 0 {
		code = runtime.CodeInternal
	}
	_, env := runtime.ErrorEnvelope(runtime.NewError(e.status, code, e.message))
	return jsonResponse(e.status, env)
}

// fromAIError turns a binding error into a provider error, keeping the
// binding's status and message.
func fromAIError(err error) *httpError {
	var ce *runtime.Error
	if errors.As(err, &ce) {
		status := ce.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		return &httpError{status: status, code: ce.Code, message: ce.Message}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &httpError{status: http.StatusGatewayTimeout, code: runtime.CodeInternal, message: err.Error()}
	}
	return &httpError{status: http.StatusInternalServerError, code: runtime.CodeInternal, message: err.Error()}
}

func (a *aiCompat) binding() (runtime.AI, *httpError) {
	if a.ai != nil {
		if ai := a.ai(); ai != nil {
			return ai, nil
		}
	}
	return nil, &httpError{status: http.StatusServiceUnavailable, code: runtime.CodeInternal, typ: "server_error",
		message: "edge: no Workers AI binding is configured (add [ai] binding = \"AI\" to wrangler.toml)"}
}

// serve answers one OpenAI-style request; endpoint is the path after the
// API's /v1 ("chat/completions", "embeddings").
func (a *aiCompat) serve(ctx context.Context, c *call) *http.Response {
	switch {
	case c.method == http.MethodPost && c.endpoint == "chat/completions":
		return a.chat(ctx, c)
	case c.method == http.MethodPost && c.endpoint == "embeddings":
		return a.embeddings(ctx, c)
	}
	return a.fail(&httpError{status: http.StatusNotFound, code: runtime.CodeNoRoute, typ: "invalid_request_error",
		message: fmt.Sprintf("Invalid URL (%s /v1/%s)", c.method, c.endpoint)})
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            *[]chatMessage  `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	Seed                *int64          `json:"seed"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	ResponseFormat      json.RawMessage `json:"response_format"`
	N                   *int            `json:"n"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// usage is OpenAI's (and Workers AI's) token accounting.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Differs from OpenAI: n is capped (the builtin runs one Workers AI call per choice).
const maxChoices = 8

func (a *aiCompat) chat(ctx context.Context, c *call) *http.Response {
	var req chatRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return a.fail(invalidRequest(msgOpenAIBadJSON))
	}
	if req.Model == "" {
		return a.fail(invalidRequest(msgOpenAINoModel))
	}
	if req.Messages == nil {
		e := invalidRequest("Missing required parameter: 'messages'.")
		e.param, e.ocode = "messages", "missing_required_parameter"
		return a.fail(e)
	}
	if len(*req.Messages) == 0 {
		e := invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
		e.param, e.ocode = "messages", "empty_array"
		return a.fail(e)
	}
	n := 1
	if req.N != nil {
		n = *req.N
	}
	if n < 1 || n > maxChoices {
		e := invalidRequest(fmt.Sprintf("Invalid 'n': edge's builtin upstream answers 1 to %d choices, got %d.", maxChoices, n))
		e.param = "n"
		return a.fail(e)
	}
	ai, herr := a.binding()
	if herr != nil {
		return a.fail(herr)
	}
	input, prompt, herr := workersChatInput(&req)
	if herr != nil {
		return a.fail(herr)
	}
	model := a.chatModel(req.Model)
	var (
		contents []string
		total    usage
	)
	for i := range n {
		raw, err := ai.Run(ctx, model, input, runtime.AIOptions{})
		if err != nil {
			return a.fail(fromAIError(err))
		}
		content, u := decodeTextOutput(raw)
		if u == nil {
			u = &usage{PromptTokens: estimateTokens(prompt), CompletionTokens: estimateTokens(content)}
		}
		if i == 0 {
			total.PromptTokens = u.PromptTokens
		}
		total.CompletionTokens += u.CompletionTokens
		contents = append(contents, content)
	}
	total.TotalTokens = total.PromptTokens + total.CompletionTokens
	limit := 0
	if req.MaxCompletionTokens != nil {
		limit = *req.MaxCompletionTokens
	} else if req.MaxTokens != nil {
		limit = *req.MaxTokens
	}
	finish := "stop"
	if limit > 0 && total.CompletionTokens >= limit*n {
		finish = "length"
	}
	id := "chatcmpl-" + randomID(29)
	created := a.clock.Now().Unix()
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		return a.streamChat(id, created, req.Model, contents, finish, total, includeUsage)
	}
	choices := make([]map[string]any, len(contents))
	for i, content := range contents {
		choices[i] = map[string]any{
			"index":         i,
			"message":       map[string]any{"role": "assistant", "content": content, "refusal": nil, "annotations": []any{}},
			"logprobs":      nil,
			"finish_reason": finish,
		}
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"id":      id,
		"object":  "chat.completion",
		"created": created,
		"model":   req.Model,
		"choices": choices,
		"usage": map[string]any{
			"prompt_tokens":     total.PromptTokens,
			"completion_tokens": total.CompletionTokens,
			"total_tokens":      total.TotalTokens,
			"prompt_tokens_details": map[string]int{
				"cached_tokens": 0, "audio_tokens": 0,
			},
			"completion_tokens_details": map[string]int{
				"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
			},
		},
		"service_tier":       "default",
		"system_fingerprint": "fp_edge_builtin",
	})
}

// workersChatInput builds the Workers AI messages-form input from an
// OpenAI chat request, and returns the prompt text for token estimates.
func workersChatInput(req *chatRequest) (map[string]any, string, *httpError) {
	msgs := make([]map[string]string, 0, len(*req.Messages))
	var prompt strings.Builder
	for i, m := range *req.Messages {
		text, err := messageText(m.Content)
		if err != nil {
			e := invalidRequest(fmt.Sprintf("Invalid 'messages[%d].content': %v", i, err))
			e.param = fmt.Sprintf("messages.[%d].content", i)
			return nil, "", e
		}
		role := m.Role
		if role == "developer" {
			role = "system"
		}
		msgs = append(msgs, map[string]string{"role": role, "content": text})
		prompt.WriteString(text)
		prompt.WriteByte('\n')
	}
	input := map[string]any{"messages": msgs}
	if req.MaxCompletionTokens != nil {
		input["max_tokens"] = *req.MaxCompletionTokens
	} else if req.MaxTokens != nil {
		input["max_tokens"] = *req.MaxTokens
	}
	if req.Temperature != nil {
		input["temperature"] = *req.Temperature
	}
	if req.TopP != nil {
		input["top_p"] = *req.TopP
	}
	if req.Seed != nil && *req.Seed >= 1 {
		input["seed"] = *req.Seed
	}
	if req.FrequencyPenalty != nil {
		input["frequency_penalty"] = *req.FrequencyPenalty
	}
	if req.PresencePenalty != nil {
		input["presence_penalty"] = *req.PresencePenalty
	}
	if rf := workersResponseFormat(req.ResponseFormat); rf != nil {
		input["response_format"] = rf
	}
	return input, prompt.String(), nil
}

// messageText flattens OpenAI message content (a string, or an array of
// parts) to the string Workers AI takes.
// Differs from OpenAI: image parts become the text "[image]", since the
// builtin upstream has no vision model.
func messageText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("expected a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		switch p.Type {
		case "text":
			b.WriteString(p.Text)
		default:
			b.WriteString("[" + strings.TrimSuffix(p.Type, "_url") + "]")
		}
	}
	return b.String(), nil
}

// workersResponseFormat maps OpenAI's response_format to Workers AI's
// ({type:"json_object"} or {type:"json_schema", json_schema:<schema>}).
func workersResponseFormat(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if json.Unmarshal(raw, &rf) != nil {
		return nil
	}
	switch rf.Type {
	case "json_object":
		return map[string]string{"type": "json_object"}
	case "json_schema":
		if len(rf.JSONSchema.Schema) > 0 {
			return map[string]any{"type": "json_schema", "json_schema": rf.JSONSchema.Schema}
		}
		return map[string]string{"type": "json_object"}
	}
	return nil
}

// decodeTextOutput reads a Workers AI text-generation output
// {response, usage}; a response that is already a JSON value (JSON mode)
// is returned as its JSON text.
func decodeTextOutput(raw json.RawMessage) (string, *usage) {
	var out struct {
		Response json.RawMessage `json:"response"`
		Usage    *usage          `json:"usage"`
	}
	if json.Unmarshal(raw, &out) != nil {
		return string(raw), nil
	}
	resp := bytes.TrimSpace(out.Response)
	var text string
	switch {
	case len(resp) == 0 || string(resp) == "null":
	case resp[0] == '"':
		_ = json.Unmarshal(resp, &text)
	default:
		text = string(resp)
	}
	if out.Usage != nil && out.Usage.TotalTokens == 0 {
		out.Usage.TotalTokens = out.Usage.PromptTokens + out.Usage.CompletionTokens
	}
	return text, out.Usage
}

// streamChat answers a stream:true chat request with OpenAI's
// chat.completion.chunk events, a few words per event, flushed one by one.
func (a *aiCompat) streamChat(id string, created int64, model string, contents []string, finish string, u usage, includeUsage bool) *http.Response {
	return sseResponse(func(emit func(v any) error) error {
		chunk := func(choices []map[string]any) map[string]any {
			c := map[string]any{
				"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
				"system_fingerprint": "fp_edge_builtin", "choices": choices,
			}
			if includeUsage {
				c["usage"] = nil
			}
			return c
		}
		for i, content := range contents {
			first := map[string]any{"role": "assistant", "content": "", "refusal": nil}
			if err := emit(chunk([]map[string]any{{"index": i, "delta": first, "logprobs": nil, "finish_reason": nil}})); err != nil {
				return err
			}
			for _, piece := range splitWords(content, 3) {
				d := map[string]any{"content": piece}
				if err := emit(chunk([]map[string]any{{"index": i, "delta": d, "logprobs": nil, "finish_reason": nil}})); err != nil {
					return err
				}
			}
			if err := emit(chunk([]map[string]any{{"index": i, "delta": map[string]any{}, "logprobs": nil, "finish_reason": finish}})); err != nil {
				return err
			}
		}
		if includeUsage {
			last := chunk([]map[string]any{})
			last["usage"] = u
			if err := emit(last); err != nil {
				return err
			}
		}
		return nil
	})
}

// splitWords cuts s into pieces of n words, each keeping its spaces.
func splitWords(s string, n int) []string {
	words := strings.SplitAfter(s, " ")
	var out []string
	for i := 0; i < len(words); i += n {
		piece := strings.Join(words[i:min(i+n, len(words))], "")
		if piece != "" {
			out = append(out, piece)
		}
	}
	return out
}

type embeddingsRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

func (a *aiCompat) embeddings(ctx context.Context, c *call) *http.Response {
	var req embeddingsRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return a.fail(invalidRequest(msgOpenAIBadJSON))
	}
	if req.Model == "" {
		return a.fail(invalidRequest(msgOpenAINoModel))
	}
	texts, ok := embeddingInputs(req.Input)
	if !ok {
		e := invalidRequest(msgOpenAIBadInp)
		e.param = "input"
		return a.fail(e)
	}
	format := req.EncodingFormat
	if format == "" {
		format = "float"
	}
	if format != "float" && format != "base64" {
		e := invalidRequest(fmt.Sprintf("Invalid value for 'encoding_format': '%s'. Supported values are: 'float' and 'base64'.", format))
		e.param = "encoding_format"
		return a.fail(e)
	}
	model, herr := a.embedModel(req.Model, req.Dimensions)
	if herr != nil {
		return a.fail(herr)
	}
	ai, herr := a.binding()
	if herr != nil {
		return a.fail(herr)
	}
	data := make([]map[string]any, 0, len(texts))
	tokens := 0
	for start := 0; start < len(texts); start += MaxEmbeddingBatch {
		batch := texts[start:min(start+MaxEmbeddingBatch, len(texts))]
		raw, err := ai.Run(ctx, model, map[string]any{"text": batch}, runtime.AIOptions{})
		if err != nil {
			return a.fail(fromAIError(err))
		}
		var out struct {
			Data [][]float32 `json:"data"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || len(out.Data) != len(batch) {
			return a.fail(&httpError{status: http.StatusBadGateway, code: runtime.CodeInternal, typ: "server_error",
				message: fmt.Sprintf("edge: %s returned %d vectors for %d texts", model, len(out.Data), len(batch))})
		}
		for i, vec := range out.Data {
			var emb any = vec
			if format == "base64" {
				emb = float32Base64(vec)
			}
			data = append(data, map[string]any{"object": "embedding", "index": start + i, "embedding": emb})
			tokens += estimateTokens(batch[i])
		}
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

// embeddingInputs accepts a non-empty string or a non-empty array of
// non-empty strings. Differs from OpenAI: token-id arrays are refused, the
// builtin has no tokenizer.
func embeddingInputs(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, one != ""
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil || len(many) == 0 || len(many) > 2048 {
		return nil, false
	}
	for _, s := range many {
		if s == "" {
			return nil, false
		}
	}
	return many, true
}

// builtinEmbedModel picks the bge model with the dimension asked for
// (768, bge-base, by default).
func builtinEmbedModel(_ string, dims *int) (string, *httpError) {
	if dims == nil {
		return BuiltinEmbeddingModel, nil
	}
	switch *dims {
	case 384:
		return "@cf/baai/bge-small-en-v1.5", nil
	case 768:
		return "@cf/baai/bge-base-en-v1.5", nil
	case 1024:
		return "@cf/baai/bge-large-en-v1.5", nil
	}
	e := invalidRequest(fmt.Sprintf("Invalid 'dimensions': edge's builtin embeddings come in 384, 768 or 1024 dimensions (bge-small, -base, -large), got %d.", *dims))
	e.param = "dimensions"
	return "", e
}

func float32Base64(vec []float32) string {
	b := make([]byte, 4*len(vec))
	for i, f := range vec {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// estimateTokens approximates a token count as one token per four
// characters (at least one for non-empty text).
// Differs from OpenAI: no real tokenizer; usage counts are estimates when
// the Workers AI model does not report usage.
func estimateTokens(s string) int {
	if s == "" {
		return 0
	}
	return max(1, (utf8.RuneCountInString(s)+3)/4)
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// jsonResponse builds an in-process provider response.
func jsonResponse(status int, v any) *http.Response {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"message":"edge: encoding the response failed","type":"server_error","param":null,"code":null}}`)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &http.Response{
		StatusCode:    status,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}
}

// sseResponse builds an in-process text/event-stream response whose events
// are produced by gen as the client reads them ("data: <json>\n\n", then
// "data: [DONE]\n\n").
func sseResponse(gen func(emit func(v any) error) error) *http.Response {
	pr, pw := io.Pipe()
	go func() {
		emit := func(v any) error {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			_, err = pw.Write(append(append([]byte("data: "), b...), '\n', '\n'))
			return err
		}
		err := gen(emit)
		if err == nil {
			_, err = pw.Write([]byte("data: [DONE]\n\n"))
		}
		pw.CloseWithError(err)
	}()
	h := http.Header{}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: pr, ContentLength: -1}
}
