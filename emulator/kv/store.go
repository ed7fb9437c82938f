package kv

import (
	"encoding/binary"
	"errors"

	"github.com/dgraph-io/badger/v4"

	"jobmatch-edge/emulator/internal/store"
)

// Storage layout: one Badger DB for every namespace.
//
//	"n" + id                                   namespace record: JSON {id, title}
//	"k" + id + 0x00 + key                      one pair: a record (header, then the value if small)
//	"c" + id + 0x00 + key + gen(8) + index(4)  one chunk of a large value
//
// A namespace id never contains 0x00 (EnsureNamespace refuses one), so
// "k"+id+0x00 selects exactly one namespace, and Badger's byte order of the
// suffix is the UTF-8 byte order list must give. A chunk key's last twelve
// bytes are fixed-width, so it parses back to exactly one key.
//
// Values over chunkSize are split into chunks: Badger's in-memory mode
// refuses any single value above its value threshold (at most 1 MiB), and
// list then never reads a large value, only the small record.
const (
	prefixNamespace = 'n'
	prefixPair      = 'k'
	prefixChunk     = 'c'

	chunkSize = 64 << 10
)

func namespaceKey(id string) []byte {
	b := make([]byte, 0, 1+len(id))
	b = append(b, prefixNamespace)
	return append(b, id...)
}

// spacePrefix is "<kind>" + id + 0x00: the prefix of every pair (kind 'k')
// or chunk (kind 'c') of namespace id.
func spacePrefix(kind byte, id string) []byte {
	b := make([]byte, 0, 2+len(id))
	b = append(b, kind)
	b = append(b, id...)
	return append(b, 0)
}

func joinKey(prefix []byte, key string) []byte {
	b := make([]byte, 0, len(prefix)+len(key)+12)
	b = append(b, prefix...)
	return append(b, key...)
}

func chunkKey(chunkPrefix []byte, key string, gen uint64, index uint32) []byte {
	b := joinKey(chunkPrefix, key)
	b = binary.BigEndian.AppendUint64(b, gen)
	return binary.BigEndian.AppendUint32(b, index)
}

// A record is what a pair's Badger value holds:
//
//	byte     format version (1)
//	byte     flags: flagChunked when the value lives in chunks
//	int64    expiration, unix seconds, big-endian; 0 = never
//	uvarint  length of the metadata JSON (0 = none)
//	[]byte   metadata JSON
//	then either the value itself, or (chunked)
//	uint64   generation of the chunks, uvarint total length, uvarint chunk count
//
// Expiration and metadata live here, not in Badger's TTL or user meta, so
// that visibility is decided by our clock only.
const (
	recordVersion = 1
	flagChunked   = 1
)

var errCorruptRecord = errors.New("kv: corrupt record")

// record is a decoded record. metadata and value alias the bytes decoded.
type record struct {
	expiration int64
	metadata   []byte
	value      []byte // nil when chunked
	chunked    bool
	gen        uint64
	size       int
	chunks     int
}

func encodeRecord(r record) []byte {
	n := 2 + 8 + binary.MaxVarintLen64 + len(r.metadata) + len(r.value)
	if r.chunked {
		n += 8 + 2*binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	flags := byte(0)
	if r.chunked {
		flags |= flagChunked
	}
	b = append(b, recordVersion, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(r.expiration))
	b = binary.AppendUvarint(b, uint64(len(r.metadata)))
	b = append(b, r.metadata...)
	if r.chunked {
		b = binary.BigEndian.AppendUint64(b, r.gen)
		b = binary.AppendUvarint(b, uint64(r.size))
		return binary.AppendUvarint(b, uint64(r.chunks))
	}
	return append(b, r.value...)
}

func decodeRecord(b []byte) (record, error) {
	var r record
	if len(b) < 10 || b[0] != recordVersion {
		return r, errCorruptRecord
	}
	r.chunked = b[1]&flagChunked != 0
	r.expiration = int64(binary.BigEndian.Uint64(b[2:10]))
	b = b[10:]
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return r, errCorruptRecord
	}
	if n > 0 {
		r.metadata = b[w : w+int(n)]
	}
	b = b[w+int(n):]
	if !r.chunked {
		r.value = b
		r.size = len(b)
		return r, nil
	}
	if len(b) < 8 {
		return r, errCorruptRecord
	}
	r.gen = binary.BigEndian.Uint64(b)
	b = b[8:]
	size, w1 := binary.Uvarint(b)
	if w1 <= 0 {
		return r, errCorruptRecord
	}
	count, w2 := binary.Uvarint(b[w1:])
	if w2 <= 0 || size > MaxValueBytes*4 || count > size/chunkSize+1 {
		return r, errCorruptRecord
	}
	r.size, r.chunks = int(size), int(count)
	return r, nil
}

// badgerOptions are edge's small-memory Badger settings (store.BadgerOptions)
// with KV's own: 16 KiB values and up stay in the value log.
func badgerOptions(o Options) badger.Options {
	opts := store.BadgerOptions(o.Dir, o.Logger).
		WithSyncWrites(o.Sync).
		WithBaseLevelSize(8 << 20).
		WithValueThreshold(16 << 10).
		WithNumGoroutines(2)
	if o.InMemory {
		// In-memory mode refuses values above the threshold; a record is at
		// most one chunk plus its metadata and header.
		opts = opts.WithDir("").WithValueDir("").WithInMemory(true).
			WithValueThreshold(2 * chunkSize)
	}
	return opts
}
