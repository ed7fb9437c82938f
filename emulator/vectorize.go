package emulator

import (
	"context"
	"fmt"

	"jobmatch-edge/emulator/vectorize"
)

// openVectorize opens the Vectorize service (<state>/vectorize/<index>.sqlite)
// and binds the config's [[vectorize]] indexes. An index with dimensions in
// the config is created when missing; one without must already exist.
func (e *Emulator) openVectorize() error {
	svc, err := vectorize.Open(vectorize.Options{
		Dir: e.dir("vectorize"), InMemory: e.opts.InMemory, Sync: e.opts.Sync,
		Clock: e.opts.Clock, Logger: e.log.With("svc", "vectorize"),
	})
	if err != nil {
		return fmt.Errorf("opening Vectorize: %w", err)
	}
	e.Vectorize = svc
	e.onClose(svc.Close)
	for _, b := range e.opts.Config.Vectorize {
		cfg := vectorize.IndexConfig{Dimensions: b.Dimensions, Metric: b.Metric}
		if _, err := svc.Ensure(context.Background(), b.IndexName, cfg); err != nil {
			return fmt.Errorf("Vectorize binding %s: %w", b.Binding, err)
		}
		e.env.Vectorize[b.Binding] = svc.Binding(b.IndexName)
	}
	return nil
}
