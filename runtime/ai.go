package runtime

import (
	"context"
	"encoding/json"
)

// AI is the Workers AI binding (env.AI in a Worker). Run takes the model id
// (e.g. "@cf/baai/bge-base-en-v1.5") and the input object the JS binding
// takes (anything that marshals to that JSON), and returns the output object
// as JSON. Errors are *Error values carrying Workers AI's codes and messages.
type AI interface {
	Run(ctx context.Context, model string, input any, opts AIOptions) (json.RawMessage, error)
}

// AIOptions are run's options (the JS binding's third argument).
type AIOptions struct {
	// Gateway routes the call through an AI Gateway (id, skipCache, cacheTtl...).
	Gateway *AIGatewayOptions `json:"gateway,omitempty"`

	// Info, when set, receives what the JS binding exposes after a call as
	// env.AI.lastRequestId and env.AI.aiGatewayLogId. It is filled on
	// success and on failure.
	Info *AIRunInfo `json:"-"`
}

// AIGatewayOptions is the binding's `gateway` option.
type AIGatewayOptions struct {
	ID        string `json:"id"`
	SkipCache bool   `json:"skipCache,omitempty"`
	CacheTTL  int    `json:"cacheTtl,omitempty"`
	CacheKey  string `json:"cacheKey,omitempty"`
}

// AIRunInfo is what a run reports besides its output: the request id (the
// cf-ai-req-id response header, env.AI.lastRequestId in JS) and, when the
// call went through an AI Gateway, the gateway log id (cf-aig-log-id,
// env.AI.aiGatewayLogId).
type AIRunInfo struct {
	RequestID    string
	GatewayLogID string
}

// Response headers of Workers AI and AI Gateway that carry AIRunInfo.
const (
	HeaderAIRequestID    = "cf-ai-req-id"
	HeaderAIGatewayLogID = "cf-aig-log-id"
)
