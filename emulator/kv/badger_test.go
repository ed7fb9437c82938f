package kv

import (
	"log/slog"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestBadgerHasNoBlockCache: KV's store has no Badger block cache, so
// Badger's cache monitor no longer warns "Block cache might be too small"
// every minute under load (store.BadgerOptions explains why).
func TestBadgerHasNoBlockCache(t *testing.T) {
	t.Parallel()
	db, err := badger.Open(badgerOptions(Options{Dir: t.TempDir(), Logger: slog.Default()}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m := db.BlockCacheMetrics(); m != nil {
		t.Errorf("block cache on: %v", m)
	}
}
