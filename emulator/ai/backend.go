package ai

import (
	"context"
	"time"
)

// Backend names.
const (
	BackendAuto    = "auto"
	BackendOllama  = "ollama"
	BackendBuiltin = "builtin"
)

// Backend computes model outputs. Inputs are validated before a backend
// sees them; a backend returns *runtime.Error values for its own failures.
type Backend interface {
	// Name is "ollama" or "builtin".
	Name() string
	// Embed returns one m.Dimensions-long vector per text.
	Embed(ctx context.Context, m Model, texts []string, pooling string) ([][]float32, error)
	// Chat answers a chat request; now is the service clock's time.
	Chat(ctx context.Context, m Model, req ChatRequest, now time.Time) (ChatResult, error)
}

// builtinBackend is the deterministic, weight-free backend.
type builtinBackend struct{}

func (builtinBackend) Name() string { return BackendBuiltin }

func (builtinBackend) Embed(_ context.Context, m Model, texts []string, pooling string) ([][]float32, error) {
	return EmbedBuiltin(texts, m.Dimensions, pooling), nil
}

func (builtinBackend) Chat(_ context.Context, _ Model, req ChatRequest, now time.Time) (ChatResult, error) {
	return ChatBuiltin(req, now), nil
}
