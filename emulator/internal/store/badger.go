package store

// Badger: the settings every Badger store of edge (Workers KV, the AI
// Gateway cache) starts from, and the adapter that sends Badger's log
// lines to slog.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// BadgerOptions returns small-memory Badger options for a store in dir,
// logging through logger (nil: nowhere). Badger's defaults reserve a 64 MiB
// memtable times five, a 256 MiB block cache and 1 GiB value-log files,
// sized for a database server rather than a developer's laptop shared with
// the other services. Callers add their own value threshold, sync and
// in-memory settings.
//
// The block cache is off. Tables are stored uncompressed and unencrypted,
// so a block is read straight from the memory-mapped table file and the
// page cache already holds it; Badger's documentation of
// WithBlockCacheSize recommends no cache in that case. Worse, Badger v4
// charges such a block to the cache at cap() of its slice, which reaches to
// the end of the mapped file (up to the table's size, 2 MiB and more, for a
// 4 KiB block): a cache of a few MiB held a handful of blocks, evicted
// every one within two seconds (hit ratio 0.00), and Badger's cache
// monitor logged "Block cache might be too small" as a warning every
// minute under load.
func BadgerOptions(dir string, logger *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(BadgerLogger(logger)).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(2 << 20).
		WithBlockCacheSize(0).
		WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2).
		WithCompression(options.None).
		WithMetricsEnabled(false)
}

// BadgerLogger routes Badger's own log lines to l: errors and warnings,
// prefixed "badger: " and without their trailing newlines. Badger's info
// and debug chatter (compactions, replays, cache metrics) is dropped.
func BadgerLogger(l *slog.Logger) badger.Logger {
	if l == nil {
		l = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return badgerLogger{l}
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, args ...any) { b.log(slog.LevelError, f, args) }

func (b badgerLogger) Warningf(f string, args ...any) { b.log(slog.LevelWarn, f, args) }

func (badgerLogger) Infof(string, ...any) {}

func (badgerLogger) Debugf(string, ...any) {}

func (b badgerLogger) log(level slog.Level, f string, args []any) {
	b.l.Log(context.Background(), level, "badger: "+strings.TrimRight(fmt.Sprintf(f, args...), "\n"))
}
