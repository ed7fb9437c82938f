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
}

// AIGatewayOptions is the binding's `gateway` option.
type AIGatewayOptions struct {
	ID        string `json:"id"`
	SkipCache bool   `json:"skipCache,omitempty"`
	CacheTTL  int    `json:"cacheTtl,omitempty"`
	CacheKey  string `json:"cacheKey,omitempty"`
}
