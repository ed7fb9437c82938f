package kv

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// ChunkCount counts the chunk entries of ns (for tests of chunk clean-up).
func ChunkCount(t testing.TB, ns *Namespace) int {
	t.Helper()
	n := 0
	err := ns.svc.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: ns.chunks})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
