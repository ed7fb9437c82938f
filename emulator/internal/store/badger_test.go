package store

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestBadgerOptionsNoBlockCache: stores opened with BadgerOptions have no
// block cache, so Badger's minute-by-minute cache monitor has no block
// cache to call "too small" (its analysis skips a nil cache), while the
// index cache stays.
func TestBadgerOptionsNoBlockCache(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	db, err := badger.Open(BadgerOptions(t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 1000 {
		if err := db.Update(func(txn *badger.Txn) error { return txn.Set(fmt.Appendf(nil, "k%d", i), []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.View(func(txn *badger.Txn) error { _, err := txn.Get([]byte("k7")); return err }); err != nil {
		t.Fatal(err)
	}
	if m := db.BlockCacheMetrics(); m != nil {
		t.Errorf("block cache on: %v", m)
	}
	if db.IndexCacheMetrics() == nil {
		t.Error("index cache off")
	}
	if logs.Len() > 0 {
		t.Errorf("logged: %s", logs.String())
	}
}

// TestBadgerLogger: errors and warnings reach slog at their level, with
// "badger: " before them and no trailing newline; info and debug do not.
func TestBadgerLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := BadgerLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	l.Errorf("compaction failed: %v\n", "disk full")
	l.Warningf("Block cache might be too small. Metrics: %s\n\n", "hit: 0")
	l.Infof("Replaying file id: %d\n", 3)
	l.Debugf("flushing memtable")
	want := `level=ERROR msg="badger: compaction failed: disk full"` + "\n" +
		`level=WARN msg="badger: Block cache might be too small. Metrics: hit: 0"` + "\n"
	if buf.String() != want {
		t.Errorf("logged:\n%s\nwant:\n%s", buf.String(), want)
	}
	BadgerLogger(nil).Errorf("to nowhere") // a nil logger discards
}
