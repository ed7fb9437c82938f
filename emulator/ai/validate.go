package ai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Pooling methods of the bge models.
const (
	PoolingMean = "mean"
	PoolingCLS  = "cls"
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is a validated text-generation request. The prompt form is
// turned into one user message; Prompt keeps the original text.
type ChatRequest struct {
	Messages    []Message
	Prompt      string // set when the prompt form was used
	MaxTokens   int    // default 256
	Temperature float64
	TopP        *float64
	TopK        *int
	Seed        *int64
	JSON        bool // response_format json_object or json_schema
	Stream      bool
}

// ChatResult is a generated answer with its token counts.
type ChatResult struct {
	Text             string
	PromptTokens     int
	CompletionTokens int
	// Truncated reports that the answer stopped at MaxTokens.
	Truncated bool
}

// embedInput is a validated embeddings request.
type embedInput struct {
	texts   []string
	pooling string
}

// decodeInput turns Run's input (any value that marshals to the JS
// binding's input, or raw JSON bytes) into a JSON object.
func decodeInput(input any) (map[string]any, error) {
	var raw []byte
	switch v := input.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	case string:
		// A Go string is the JS string input: not an object.
		return nil, badInput("Type mismatch of '/', 'object' not in 'string'")
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, badInput("input is not JSON: %v", err)
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badInput("input is not JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badInput("Type mismatch of '/', 'object' not in '%s'", jsonType(v))
	}
	return obj, nil
}

// jsonType names a decoded value's JSON Schema type.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func typeMismatch(path, want string, v any) error {
	return badInput("Type mismatch of '%s', '%s' not in '%s'", path, want, jsonType(v))
}

// validateEmbed checks {text: string | string[1..max], pooling?: mean|cls}.
func validateEmbed(m Model, in map[string]any) (embedInput, error) {
	out := embedInput{pooling: PoolingMean}
	text, hasText := in["text"]
	if _, hasRequests := in["requests"]; hasRequests && !hasText {
		// Differs from Cloudflare: the async batch form is not emulated.
		return out, badInput("the async batch form ('requests') is not supported by edge; send 'text'")
	}
	if !hasText {
		return out, badInput("oneOf at '/' not met, 0 matches: required properties at '/' are 'text', required properties at '/' are 'requests'")
	}
	switch t := text.(type) {
	case string:
		if t == "" {
			return out, badInput("minLength at '/text' not met: 0 < 1")
		}
		out.texts = []string{t}
	case []any:
		if len(t) == 0 {
			return out, badInput("minItems at '/text' not met: 0 < 1")
		}
		if len(t) > m.MaxBatch {
			return out, badInput("maxItems at '/text' not met: %d > %d", len(t), m.MaxBatch)
		}
		out.texts = make([]string, len(t))
		for i, item := range t {
			s, ok := item.(string)
			if !ok {
				return out, typeMismatch(fmt.Sprintf("/text/%d", i), "string", item)
			}
			if s == "" {
				return out, badInput("minLength at '/text/%d' not met: 0 < 1", i)
			}
			out.texts[i] = s
		}
	default:
		return out, badInput("Type mismatch of '/text', 'string', 'array' not in '%s'", jsonType(text))
	}
	if p, ok := in["pooling"]; ok {
		s, isStr := p.(string)
		if !isStr {
			return out, typeMismatch("/pooling", "string", p)
		}
		if s != PoolingMean && s != PoolingCLS {
			return out, badInput("enum at '/pooling' not met: '%s' not in 'mean', 'cls'", s)
		}
		out.pooling = s
	}
	return out, nil
}

// validateChat checks the prompt or messages form of §4.3.
func validateChat(in map[string]any) (ChatRequest, error) {
	req := ChatRequest{MaxTokens: defaultMaxTokens, Temperature: defaultTemp}
	prompt, hasPrompt := in["prompt"]
	msgs, hasMessages := in["messages"]
	switch {
	case hasPrompt && hasMessages:
		return req, ErrMutuallyExclusive
	case !hasPrompt && !hasMessages:
		return req, badInput("oneOf at '/' not met, 0 matches: required properties at '/' are 'prompt', required properties at '/' are 'messages'")
	case hasPrompt:
		s, ok := prompt.(string)
		if !ok {
			return req, typeMismatch("/prompt", "string", prompt)
		}
		n := utf8.RuneCountInString(s)
		if n < 1 {
			return req, badInput("minLength at '/prompt' not met: 0 < 1")
		}
		if n > maxPromptChars {
			return req, badInput("maxLength at '/prompt' not met: %d > %d", n, maxPromptChars)
		}
		req.Prompt = s
		req.Messages = []Message{{Role: "user", Content: s}}
	default:
		list, ok := msgs.([]any)
		if !ok {
			return req, typeMismatch("/messages", "array", msgs)
		}
		for i, item := range list {
			path := fmt.Sprintf("/messages/%d", i)
			obj, ok := item.(map[string]any)
			if !ok {
				return req, typeMismatch(path, "object", item)
			}
			var missing []string
			for _, k := range []string{"role", "content"} {
				if _, ok := obj[k]; !ok {
					missing = append(missing, "'"+k+"'")
				}
			}
			if len(missing) > 0 {
				return req, badInput("required properties at '%s' are %s", path, strings.Join(missing, ", "))
			}
			role, ok := obj["role"].(string)
			if !ok {
				return req, typeMismatch(path+"/role", "string", obj["role"])
			}
			content, ok := obj["content"].(string)
			if !ok {
				return req, typeMismatch(path+"/content", "string", obj["content"])
			}
			req.Messages = append(req.Messages, Message{Role: role, Content: content})
		}
	}

	if v, ok := in["max_tokens"]; ok {
		n, err := intField("/max_tokens", v, 1, math.MaxInt32)
		if err != nil {
			return req, err
		}
		req.MaxTokens = int(n)
	}
	if v, ok := in["temperature"]; ok {
		f, err := numField("/temperature", v, 0, maxTemperature)
		if err != nil {
			return req, err
		}
		req.Temperature = f
	}
	if v, ok := in["top_p"]; ok {
		f, err := numField("/top_p", v, 0, maxTopP)
		if err != nil {
			return req, err
		}
		req.TopP = &f
	}
	if v, ok := in["top_k"]; ok {
		n, err := intField("/top_k", v, minTopK, maxTopK)
		if err != nil {
			return req, err
		}
		k := int(n)
		req.TopK = &k
	}
	if v, ok := in["seed"]; ok {
		n, err := intField("/seed", v, 1, maxSeed)
		if err != nil {
			return req, err
		}
		req.Seed = &n
	}
	for _, k := range []string{"repetition_penalty", "frequency_penalty", "presence_penalty"} {
		if v, ok := in[k]; ok {
			if _, err := numField("/"+k, v, 0, maxPenalty); err != nil {
				return req, err
			}
		}
	}
	if v, ok := in["stream"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return req, typeMismatch("/stream", "boolean", v)
		}
		req.Stream = b
	}
	if v, ok := in["response_format"]; ok {
		obj, isObj := v.(map[string]any)
		if !isObj {
			return req, typeMismatch("/response_format", "object", v)
		}
		t, _ := obj["type"].(string)
		switch t {
		case "json_object", "json_schema":
			req.JSON = true
		case "text":
		default:
			return req, badInput("enum at '/response_format/type' not met: '%v' not in 'json_object', 'json_schema'", obj["type"])
		}
	}
	return req, nil
}

func numField(path string, v any, lo, hi float64) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, typeMismatch(path, "number", v)
	}
	f, err := n.Float64()
	if err != nil {
		return 0, typeMismatch(path, "number", v)
	}
	if f < lo {
		return 0, badInput("minimum at '%s' not met: %v < %v", path, f, lo)
	}
	if f > hi {
		return 0, badInput("maximum at '%s' not met: %v > %v", path, f, hi)
	}
	return f, nil
}

func intField(path string, v any, lo, hi int64) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, typeMismatch(path, "integer", v)
	}
	i, err := n.Int64()
	if err != nil {
		return 0, typeMismatch(path, "integer", v)
	}
	if i < lo {
		return 0, badInput("minimum at '%s' not met: %d < %d", path, i, lo)
	}
	if i > hi {
		return 0, badInput("maximum at '%s' not met: %d > %d", path, i, hi)
	}
	return i, nil
}
