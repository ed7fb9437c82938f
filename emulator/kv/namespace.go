package kv

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"

	"jobmatch-edge/runtime"
)

// Namespace is one KV namespace: the binding a Worker sees as env.NAME.
type Namespace struct {
	svc     *Service
	id      string
	title   string // guarded by svc.mu
	pairs   []byte // "k" + id + 0x00
	chunks  []byte // "c" + id + 0x00
	deleted atomic.Bool
}

var _ runtime.KVNamespace = (*Namespace)(nil)

func newNamespace(s *Service, id, title string) *Namespace {
	return &Namespace{svc: s, id: id, title: title, pairs: spacePrefix(prefixPair, id), chunks: spacePrefix(prefixChunk, id)}
}

// ID is the namespace id.
func (n *Namespace) ID() string { return n.id }

// info must be called with svc.mu held.
func (n *Namespace) info() NamespaceInfo {
	return NamespaceInfo{ID: n.id, Title: n.title, SupportsURLEncoding: true}
}

// Info describes the namespace as the REST API does.
func (n *Namespace) Info() NamespaceInfo {
	n.svc.mu.RLock()
	defer n.svc.mu.RUnlock()
	return n.info()
}

// usable reports why the namespace cannot be used, or nil.
func (n *Namespace) usable(op, restOp string) error {
	if n.svc.closed.Load() {
		return ErrClosed
	}
	if n.deleted.Load() {
		return &runtime.KVError{Op: op, Err: errNamespaceNotFound(restOp)}
	}
	return nil
}

func (n *Namespace) now() int64 { return n.svc.clock.Now().Unix() }

// expired is the one rule of visibility: a pair is gone once the clock
// reaches its expiration.
func expired(expiration, now int64) bool { return expiration != 0 && now >= expiration }

// Get implements runtime.KVNamespace.
func (n *Namespace) Get(ctx context.Context, key string) (runtime.KVEntry, error) {
	return n.GetWithOptions(ctx, key, runtime.KVGetOptions{})
}

// GetWithOptions implements runtime.KVNamespace. cacheTtl is validated,
// then ignored: there is one location, always current.
func (n *Namespace) GetWithOptions(ctx context.Context, key string, o runtime.KVGetOptions) (runtime.KVEntry, error) {
	// workerd converts cacheTtl to int32 first, checks the key itself, and
	// leaves the minimum to the backend.
	if err := validateInt32(opGet, o.CacheTTL); err != nil {
		return runtime.KVEntry{}, err
	}
	if err := validateKey(opGet, key); err != nil {
		return runtime.KVEntry{}, err
	}
	if err := validateCacheTTL(opGet, o.CacheTTL); err != nil {
		return runtime.KVEntry{}, err
	}
	if err := n.usable(opGet, "get"); err != nil {
		return runtime.KVEntry{}, err
	}
	now := n.now()
	var (
		entry *runtime.KVEntry
		gone  bool
	)
	err := n.svc.db.View(func(txn *badger.Txn) error {
		var err error
		entry, gone, err = n.read(txn, key, now)
		return err
	})
	if err != nil {
		return runtime.KVEntry{}, err
	}
	if gone {
		n.dropIfExpired([]string{key}, now)
	}
	if entry == nil {
		return runtime.KVEntry{}, runtime.ErrKVKeyNotFound
	}
	return *entry, nil
}

// read returns the live entry of key (nil if absent) and whether an
// expired pair was seen.
func (n *Namespace) read(txn *badger.Txn, key string, now int64) (*runtime.KVEntry, bool, error) {
	item, err := txn.Get(joinKey(n.pairs, key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var (
		e     runtime.KVEntry
		rec   record
		stale bool
	)
	err = item.Value(func(v []byte) error {
		var err error
		if rec, err = decodeRecord(v); err != nil {
			return err
		}
		if expired(rec.expiration, now) {
			stale = true
			return nil
		}
		e.Expiration = rec.expiration
		if rec.metadata != nil {
			e.Metadata = append(json.RawMessage(nil), rec.metadata...)
		}
		if !rec.chunked {
			e.Value = append(make([]byte, 0, len(rec.value)), rec.value...)
		}
		return nil
	})
	if err != nil || stale {
		return nil, stale, err
	}
	if rec.chunked {
		e.Value = make([]byte, 0, rec.size)
		for i := 0; i < rec.chunks; i++ {
			item, err := txn.Get(chunkKey(n.chunks, key, rec.gen, uint32(i)))
			if err != nil {
				return nil, false, err
			}
			if err := item.Value(func(v []byte) error { e.Value = append(e.Value, v...); return nil }); err != nil {
				return nil, false, err
			}
		}
		if len(e.Value) != rec.size {
			return nil, false, errCorruptRecord
		}
	}
	return &e, false, nil
}

// GetBulk implements runtime.KVNamespace: get([keys]) and
// getWithMetadata([keys]). The backend checks the request, so its errors
// read "KV GET_BULK failed: ...".
func (n *Namespace) GetBulk(ctx context.Context, keys []string, o runtime.KVBulkGetOptions) (map[string]*runtime.KVEntry, error) {
	if len(keys) > MaxBulkGetKeys {
		return nil, failed(opGetBulk, http.StatusBadRequest, "You can request a maximum of %d keys", MaxBulkGetKeys)
	}
	if len(keys) < 1 {
		return nil, failed(opGetBulk, http.StatusBadRequest, "You must request a minimum of 1 key")
	}
	if o.Type != "" && o.Type != "text" && o.Type != "json" {
		return nil, failed(opGetBulk, http.StatusBadRequest, `%q is not a valid type. Use "json" or "text"`, o.Type)
	}
	if err := validateCacheTTL(opGetBulk, o.CacheTTL); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := validateBackendKey(opGetBulk, k); err != nil {
			return nil, err
		}
	}
	if err := n.usable(opGetBulk, "bulk get keys"); err != nil {
		return nil, err
	}
	now := n.now()
	out := make(map[string]*runtime.KVEntry, len(keys))
	var stale []string
	total := 0
	err := n.svc.db.View(func(txn *badger.Txn) error {
		for _, k := range keys {
			if _, dup := out[k]; dup {
				continue
			}
			e, gone, err := n.read(txn, k, now)
			if err != nil {
				return err
			}
			if gone {
				stale = append(stale, k)
			}
			out[k] = e
			if e != nil {
				total += len(e.Value)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(stale) > 0 {
		n.dropIfExpired(stale, now)
	}
	// Differs from Cloudflare: Miniflare counts the total in UTF-16 code
	// units of the decoded strings; we count bytes.
	if total > n.svc.limits.MaxBulkGetBytes {
		return nil, failed(opGetBulk, http.StatusRequestEntityTooLarge, "Total size of request exceeds the limit of 25MB")
	}
	if o.Type == "json" {
		for _, e := range out {
			if e != nil && !json.Valid(e.Value) {
				return nil, failed(opGetBulk, http.StatusBadRequest, "At least one of the requested keys corresponds to a non-json value")
			}
		}
	}
	return out, nil
}

// Put implements runtime.KVNamespace.
func (n *Namespace) Put(ctx context.Context, key string, val []byte, o runtime.KVPutOptions) error {
	// workerd converts the options to 32-bit integers before anything else.
	if err := validateInt32(opPut, o.Expiration); err != nil {
		return err
	}
	if err := validateInt32(opPut, o.ExpirationTTL); err != nil {
		return err
	}
	if err := validateKey(opPut, key); err != nil {
		return err
	}
	p := putRequest{key: key, metadata: o.Metadata, valueLen: len(val)}
	if o.ExpirationTTL != 0 {
		p.expirationTTL = formatInt(o.ExpirationTTL)
	}
	if o.Expiration != 0 {
		p.expiration = formatInt(o.Expiration)
	}
	return n.put(opPut, "put", p, val)
}

// put validates p against the clock and stores the pair.
func (n *Namespace) put(op, restOp string, p putRequest, val []byte) error {
	if err := n.usable(op, restOp); err != nil {
		return err
	}
	expiration, metadata, err := n.svc.validatePut(op, p, n.now())
	if err != nil {
		return err
	}
	return n.write(p.key, expiration, metadata, val)
}

// write stores one pair. A large value is written in chunks first, under a
// fresh generation no record refers to yet, then the record flips to it in
// one transaction that also deletes the chunks of the value it replaces.
func (n *Namespace) write(key string, expiration int64, metadata, val []byte) error {
	s := n.svc
	ttl := s.badgerExpiresAt(expiration)
	rec := record{expiration: expiration, metadata: metadata, value: val}
	if len(val) > chunkSize {
		rec = record{expiration: expiration, metadata: metadata, chunked: true, gen: newGeneration(),
			size: len(val), chunks: (len(val) + chunkSize - 1) / chunkSize}
		if err := n.writeChunks(key, rec, val, ttl); err != nil {
			return err
		}
	}
	rk := joinKey(n.pairs, key)
	enc := encodeRecord(rec)
	for {
		err := s.db.Update(func(txn *badger.Txn) error {
			if err := n.dropChunksOf(txn, key, rk); err != nil {
				return err
			}
			e := badger.NewEntry(rk, enc)
			e.ExpiresAt = ttl
			return txn.SetEntry(e)
		})
		if errors.Is(err, badger.ErrConflict) {
			continue // a concurrent write to the same key committed first; redo against it
		}
		if err != nil && rec.chunked {
			_ = n.deleteChunks(key, rec.gen, rec.chunks)
		}
		return err
	}
}

func newGeneration() uint64 {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err == nil {
			if g := beUint64(b[:]); g != 0 {
				return g
			}
		}
	}
}

func (n *Namespace) writeChunks(key string, rec record, val []byte, ttl uint64) error {
	txn := n.svc.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for i := 0; i < rec.chunks; i++ {
		part := val[i*chunkSize : min((i+1)*chunkSize, len(val))]
		e := badger.NewEntry(chunkKey(n.chunks, key, rec.gen, uint32(i)), part)
		e.ExpiresAt = ttl
		err := txn.SetEntry(e)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err := txn.Commit(); err != nil {
				return err
			}
			txn = n.svc.db.NewTransaction(true)
			err = txn.SetEntry(e)
		}
		if err != nil {
			return err
		}
	}
	return txn.Commit()
}

func (n *Namespace) deleteChunks(key string, gen uint64, count int) error {
	keys := make([][]byte, count)
	for i := range keys {
		keys[i] = chunkKey(n.chunks, key, gen, uint32(i))
	}
	return n.svc.deleteKeys(keys)
}

// dropChunksOf reads the current record of key inside txn (so a concurrent
// write conflicts) and deletes its chunks, if it has any.
func (n *Namespace) dropChunksOf(txn *badger.Txn, key string, rk []byte) error {
	old, err := currentRecord(txn, rk)
	if err != nil || old == nil || !old.chunked {
		return err
	}
	for i := 0; i < old.chunks; i++ {
		if err := txn.Delete(chunkKey(n.chunks, key, old.gen, uint32(i))); err != nil {
			return err
		}
	}
	return nil
}

// currentRecord returns the header of the record at rk (value not kept),
// or nil when there is none.
func currentRecord(txn *badger.Txn, rk []byte) (*record, error) {
	item, err := txn.Get(rk)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec record
	err = item.Value(func(v []byte) error {
		r, err := decodeRecord(v)
		r.metadata, r.value = nil, nil
		rec = r
		return err
	})
	return &rec, err
}

// Delete implements runtime.KVNamespace.
func (n *Namespace) Delete(ctx context.Context, key string) error {
	if err := validateKey(opDelete, key); err != nil {
		return err
	}
	if err := n.usable(opDelete, "remove key"); err != nil {
		return err
	}
	return n.remove(key, func(*record) bool { return true })
}

// remove deletes key (and its chunks) if cond holds for its current record.
func (n *Namespace) remove(key string, cond func(*record) bool) error {
	rk := joinKey(n.pairs, key)
	for {
		err := n.svc.db.Update(func(txn *badger.Txn) error {
			old, err := currentRecord(txn, rk)
			if err != nil || old == nil || !cond(old) {
				return err
			}
			if err := n.dropChunksOf(txn, key, rk); err != nil {
				return err
			}
			return txn.Delete(rk)
		})
		if errors.Is(err, badger.ErrConflict) {
			continue
		}
		return err
	}
}

// dropIfExpired deletes the pairs of keys that are still expired at now
// (Miniflare's lazy delete). A pair rewritten in between is left alone.
func (n *Namespace) dropIfExpired(keys []string, now int64) {
	for _, k := range keys {
		err := n.remove(k, func(r *record) bool { return expired(r.expiration, now) })
		if err != nil && !errors.Is(err, badger.ErrDBClosed) {
			n.svc.log.Warn("deleting expired pair", "ns", n.id, "err", err)
		}
	}
}

// List implements runtime.KVNamespace.
func (n *Namespace) List(ctx context.Context, o runtime.KVListOptions) (runtime.KVListResult, error) {
	limit, err := validateListLimit(o.Limit)
	if err != nil {
		return runtime.KVListResult{}, err
	}
	if err := validateKeyLength(opGet, o.Prefix); err != nil {
		return runtime.KVListResult{}, err
	}
	if err := n.usable(opGet, "list keys"); err != nil {
		return runtime.KVListResult{}, err
	}
	res := runtime.KVListResult{Keys: []runtime.KVKey{}, ListComplete: true}
	start := joinKey(n.pairs, o.Prefix)
	if o.Cursor != "" {
		after, err := base64.StdEncoding.DecodeString(o.Cursor)
		if err != nil {
			// A cursor we never issued: an empty, complete list, as Miniflare gives.
			return res, nil
		}
		// The page starts right after the cursor's key.
		if c := joinKey(n.pairs, string(after)+"\x00"); string(c) > string(start) {
			start = c
		}
	}
	now := n.now()
	var stale []string
	err = n.svc.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: joinKey(n.pairs, o.Prefix)})
		defer it.Close()
		for it.Seek(start); it.Valid(); it.Next() {
			item := it.Item()
			name := string(item.Key()[len(n.pairs):])
			var k runtime.KVKey
			gone := false
			err := item.Value(func(v []byte) error {
				rec, err := decodeRecord(v)
				if err != nil {
					return err
				}
				if expired(rec.expiration, now) {
					gone = true
					return nil
				}
				k = runtime.KVKey{Name: name, Expiration: rec.expiration}
				if rec.metadata != nil {
					k.Metadata = append(json.RawMessage(nil), rec.metadata...)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if gone {
				if len(stale) < expiredSweepBatch {
					stale = append(stale, name)
				}
				continue
			}
			if len(res.Keys) == limit {
				res.ListComplete = false
				break
			}
			res.Keys = append(res.Keys, k)
		}
		return ctx.Err()
	})
	if err != nil {
		return runtime.KVListResult{}, err
	}
	if !res.ListComplete {
		res.Cursor = base64.StdEncoding.EncodeToString([]byte(res.Keys[len(res.Keys)-1].Name))
	}
	if len(stale) > 0 {
		n.dropIfExpired(stale, now)
	}
	return res, nil
}
