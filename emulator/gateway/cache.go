package gateway

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"jobmatch-edge/emulator/internal/store"
)

// cache stores successful responses in Badger. Expiry is kept in each
// record and decided against the injected clock on read; Badger's own TTL
// is not used, since it reads the wall clock. Decoded entries are also kept
// in a bounded in-memory map (hot), a read-through layer: every write goes
// to Badger first, so the map never holds anything Badger does not.
type cache struct {
	db        *badger.DB
	hot       *hotEntries // nil: disabled
	headBytes int         // size of entry.head
}

// hotEntries holds decoded entries up to a byte budget; when over it,
// arbitrary other entries are dropped (they stay in Badger).
type hotEntries struct {
	mu    sync.RWMutex
	m     map[string]*entry
	bytes int
	limit int
}

func newHotEntries(limit int) *hotEntries {
	if limit <= 0 {
		return nil
	}
	return &hotEntries{m: map[string]*entry{}, limit: limit}
}

func (h *hotEntries) get(key []byte) *entry {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.m[string(key)]
}

func (h *hotEntries) put(key []byte, e *entry) {
	if e.size > h.limit/8 {
		h.del(key) // too big to hold: Badger serves it
		return
	}
	k := string(key)
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.m[k]; ok {
		h.bytes -= old.size
	}
	h.m[k] = e
	h.bytes += e.size
	for other, oe := range h.m {
		if h.bytes <= h.limit {
			break
		}
		if other != k {
			delete(h.m, other)
			h.bytes -= oe.size
		}
	}
}

func (h *hotEntries) del(key []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.m[string(key)]; ok {
		delete(h.m, string(key))
		h.bytes -= old.size
	}
}

// entry is one cached response.
type entry struct {
	ExpiresAt time.Time
	Status    int
	Header    http.Header // response headers worth replaying (Content-Type, provider ids)
	Model     string
	TokensIn  int
	TokensOut int
	Body      []byte

	size int // bytes held in memory, for the hot map's budget

	// head is the log record's response_head (the first headBytes of Body),
	// made once per entry rather than once per HIT.
	head         string
	headComplete bool
}

func (e *entry) sizeOf(key []byte) int {
	n := 256 + len(key) + len(e.Model) + len(e.Body) + len(e.head)
	for k, vs := range e.Header {
		n += 32 + len(k)
		for _, v := range vs {
			n += 16 + len(v)
		}
	}
	return n
}

const entryVersion = 1

// openCache opens the cache's Badger store with edge's small-memory
// settings (a cache of model answers is small and read-mostly), Badger's
// errors and warnings logged to o.Logger.
func openCache(o Options) (*cache, error) {
	opts := store.BadgerOptions(o.Dir, o.Logger).
		WithSyncWrites(o.Sync).
		WithValueThreshold(64 << 10).
		WithDetectConflicts(false)
	if o.InMemory {
		opts = opts.WithInMemory(true).WithDir("").WithValueDir("")
	}
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening gateway cache in %q: %w", o.Dir, err)
	}
	return &cache{db: db, hot: newHotEntries(o.Limits.HotBytes), headBytes: o.Limits.HeadBytes}, nil
}

func (c *cache) close() error { return c.db.Close() }

// cacheKey computes the default key of §5.2: SHA-256 over provider,
// endpoint, model, the provider's authentication header and the full body.
// Each part is length-prefixed so that no two different inputs share a key.
// The key is stored under the account and gateway it was made for.
func cacheKey(account, gatewayID, provider, endpoint, model, auth string, body []byte) []byte {
	b := make([]byte, 0, len(provider)+len(endpoint)+len(model)+len(auth)+len(body)+5*binary.MaxVarintLen64)
	for _, part := range []string{provider, endpoint, model, auth} {
		b = appendString(b, part)
	}
	b = appendBytes(b, body)
	sum := sha256.Sum256(b)
	return storeKey(account, gatewayID, sum[:])
}

// customCacheKey is the key for a cf-aig-cache-key value, which replaces
// the default key (it is still scoped to the account and gateway).
func customCacheKey(account, gatewayID, key string) []byte {
	b := appendString(nil, "cf-aig-cache-key")
	sum := sha256.Sum256(appendString(b, key))
	return storeKey(account, gatewayID, sum[:])
}

func storeKey(account, gatewayID string, sum []byte) []byte {
	k := make([]byte, 0, 4+len(account)+len(gatewayID)+2*len(sum))
	k = append(k, "c/"...)
	k = append(k, account...)
	k = append(k, '/')
	k = append(k, gatewayID...)
	k = append(k, '/')
	return hex.AppendEncode(k, sum)
}

// get returns the live entry under key. An entry whose expiry is at or
// before now is deleted and reported absent.
// Entries returned are shared: callers must not modify them.
func (c *cache) get(key []byte, now time.Time) (*entry, bool, error) {
	if c.hot != nil {
		if ent := c.hot.get(key); ent != nil {
			if ent.ExpiresAt.After(now) {
				return ent, true, nil
			}
			c.hot.del(key)
			_ = c.db.Update(func(txn *badger.Txn) error { return txn.Delete(key) })
			return nil, false, nil
		}
	}
	var ent *entry
	err := c.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		ent, err = decodeEntry(v)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("gateway cache get: %w", err)
	}
	if !ent.ExpiresAt.After(now) {
		_ = c.db.Update(func(txn *badger.Txn) error { return txn.Delete(key) })
		return nil, false, nil
	}
	ent.head, ent.headComplete = head(ent.Body, c.headBytes)
	if c.hot != nil {
		ent.size = ent.sizeOf(key)
		c.hot.put(key, ent)
	}
	return ent, true, nil
}

// put stores e under key; e must not be modified afterwards.
func (c *cache) put(key []byte, e *entry) error {
	v := encodeEntry(e)
	if err := c.db.Update(func(txn *badger.Txn) error { return txn.Set(key, v) }); err != nil {
		if c.hot != nil {
			c.hot.del(key)
		}
		return fmt.Errorf("gateway cache put: %w", err)
	}
	if c.hot != nil {
		e.head, e.headComplete = head(e.Body, c.headBytes)
		e.size = e.sizeOf(key)
		c.hot.put(key, e)
	}
	return nil
}

// purge deletes every entry expired at now and returns how many it removed.
func (c *cache) purge(now time.Time) (int, error) {
	var expired [][]byte
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("c/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			err := item.Value(func(v []byte) error {
				exp, err := decodeExpiry(v)
				if err != nil || !exp.After(now) {
					expired = append(expired, item.KeyCopy(nil))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("gateway cache purge: %w", err)
	}
	wb := c.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range expired {
		if c.hot != nil {
			c.hot.del(k)
		}
		if err := wb.Delete(k); err != nil {
			return 0, fmt.Errorf("gateway cache purge: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, fmt.Errorf("gateway cache purge: %w", err)
	}
	return len(expired), nil
}

// count returns the number of stored entries (live or not yet purged).
func (c *cache) count() (int, error) {
	n := 0
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("c/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// The record layout: version byte, expiry (unix nanoseconds, 8 bytes big
// endian), then uvarint-prefixed fields: status, model, tokens in, tokens
// out, header count, (name, value)*, body.
func encodeEntry(e *entry) []byte {
	size := 1 + 8 + 5*binary.MaxVarintLen64 + len(e.Model) + len(e.Body) + binary.MaxVarintLen64
	for k, vs := range e.Header {
		for _, v := range vs {
			size += len(k) + len(v) + 2*binary.MaxVarintLen64
		}
	}
	b := make([]byte, 0, size)
	b = append(b, entryVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(e.ExpiresAt.UnixNano()))
	b = binary.AppendUvarint(b, uint64(e.Status))
	b = appendBytes(b, []byte(e.Model))
	b = binary.AppendUvarint(b, uint64(e.TokensIn))
	b = binary.AppendUvarint(b, uint64(e.TokensOut))
	n := 0
	for _, vs := range e.Header {
		n += len(vs)
	}
	b = binary.AppendUvarint(b, uint64(n))
	for k, vs := range e.Header {
		for _, v := range vs {
			b = appendBytes(b, []byte(k))
			b = appendBytes(b, []byte(v))
		}
	}
	return appendBytes(b, e.Body)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, v string) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

var errBadEntry = errors.New("gateway cache: malformed entry")

func decodeExpiry(v []byte) (time.Time, error) {
	if len(v) < 9 || v[0] != entryVersion {
		return time.Time{}, errBadEntry
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))), nil
}

// decodeEntry decodes a record; the entry's body aliases v.
func decodeEntry(v []byte) (*entry, error) {
	exp, err := decodeExpiry(v)
	if err != nil {
		return nil, err
	}
	d := decoder{b: v[9:]}
	e := &entry{ExpiresAt: exp}
	e.Status = int(d.uvarint())
	e.Model = string(d.bytes())
	e.TokensIn = int(d.uvarint())
	e.TokensOut = int(d.uvarint())
	n := int(d.uvarint())
	if n > 0 && n < 1024 {
		e.Header = make(http.Header, n)
		for range n {
			k, val := string(d.bytes()), string(d.bytes())
			e.Header[k] = append(e.Header[k], val)
		}
	}
	e.Body = d.bytes()
	if d.err != nil || n >= 1024 {
		return nil, errBadEntry
	}
	return e, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errBadEntry
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errBadEntry
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
