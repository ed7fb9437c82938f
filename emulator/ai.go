package emulator

import (
	"context"
	"fmt"

	"jobmatch-edge/emulator/ai"
)

// openAI builds the Workers AI service from the AI options (--ai-backend,
// --ollama-url, --ai-model-map). Its REST routes are always served; the
// binding goes into the env only when the config declares [ai].
func (e *Emulator) openAI() error {
	log := e.log.With("svc", "ai")
	svc, err := ai.Open(context.Background(), ai.Options{
		Backend:   e.opts.AIBackend,
		OllamaURL: e.opts.OllamaURL,
		ModelMap:  e.opts.AIModelMap,
		Clock:     e.opts.Clock,
		Logger:    log,
	})
	if err != nil {
		return fmt.Errorf("opening Workers AI: %w", err)
	}
	e.AI = svc
	e.onClose(svc.Close)
	binding := ""
	if c := e.opts.Config.AI; c != nil {
		binding = c.Binding
		e.env.AI = svc
		e.env.AIBinding = binding
	}
	log.Info("workers ai ready", "binding", binding, "backend", svc.Backend(), "status", svc.Status())
	return nil
}
