package emulator

import (
	"fmt"

	"jobmatch-edge/emulator/kv"
)

func (e *Emulator) openKV() error {
	svc, err := kv.Open(kv.Options{
		Dir: e.dir("kv"), InMemory: e.opts.InMemory, Sync: e.opts.Sync,
		Clock: e.opts.Clock, Logger: e.log.With("svc", "kv"),
	})
	if err != nil {
		return fmt.Errorf("opening KV: %w", err)
	}
	e.KV = svc
	e.onClose(svc.Close)
	for _, b := range e.opts.Config.KVNamespaces {
		ns, err := svc.EnsureNamespace(b.ID, b.Binding)
		if err != nil {
			return fmt.Errorf("KV namespace %s (%s): %w", b.Binding, b.ID, err)
		}
		e.env.KV[b.Binding] = ns
	}
	return nil
}
