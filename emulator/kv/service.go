package kv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"jobmatch-edge/runtime"
)

// Options configure a Service.
type Options struct {
	Dir      string // the Badger directory; "" with InMemory
	InMemory bool   // Badger's in-memory mode: nothing touches the disk
	Sync     bool   // fsync every write before acknowledging it
	Clock    runtime.Clock
	Logger   *slog.Logger
	Limits   Limits // size limits; zero fields mean Cloudflare's
	// GCInterval is how often the value log is garbage-collected (disk mode
	// only). 0 means every 10 minutes; negative disables it. It reclaims
	// disk space only and never decides what a client sees.
	GCInterval time.Duration
}

// Service is Workers KV: every namespace of the account, in one Badger DB.
type Service struct {
	db     *badger.DB
	clock  runtime.Clock
	log    *slog.Logger
	limits Limits
	// badgerTTL: give Badger a TTL (expiration + grace) so it can drop
	// expired pairs during compaction. Only when the clock is the system
	// clock: Badger compares against the wall clock, which must never hide a
	// pair our clock still shows.
	badgerTTL bool

	mu         sync.RWMutex
	namespaces map[string]*Namespace // by id

	closed atomic.Bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// NamespaceInfo is a namespace as the REST API describes it.
type NamespaceInfo struct {
	ID                  string `json:"id"`
	Title               string `json:"title"`
	SupportsURLEncoding bool   `json:"supports_url_encoding"`
}

// nsRecord is the persisted form of a namespace.
type nsRecord struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// ErrClosed is returned by every operation after Close.
var ErrClosed = errors.New("kv: service closed")

// Open opens (or creates) the KV store and loads its namespaces.
func Open(o Options) (*Service, error) {
	if o.Clock == nil {
		o.Clock = runtime.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if !o.InMemory && o.Dir == "" {
		return nil, errors.New("kv: Options.Dir is required unless InMemory")
	}
	db, err := badger.Open(badgerOptions(o))
	if err != nil {
		return nil, fmt.Errorf("kv: opening badger at %s: %w", o.Dir, err)
	}
	_, system := o.Clock.(runtime.SystemClock)
	s := &Service{
		db: db, clock: o.Clock, log: o.Logger, limits: o.Limits.withDefaults(),
		badgerTTL: system, namespaces: map[string]*Namespace{}, stop: make(chan struct{}),
	}
	if err := s.loadNamespaces(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.sweepOrphanChunks(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if !o.InMemory && o.GCInterval >= 0 {
		every := o.GCInterval
		if every == 0 {
			every = 10 * time.Minute
		}
		s.wg.Add(1)
		go s.gcLoop(every)
	}
	return s, nil
}

// Close stops background work and closes the store. It is safe to call
// more than once.
func (s *Service) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.stop)
	s.wg.Wait()
	return s.db.Close()
}

func (s *Service) gcLoop(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			for s.db.RunValueLogGC(0.5) == nil {
			}
		}
	}
}

func (s *Service) loadNamespaces() error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: []byte{prefixNamespace}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var rec nsRecord
			err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) })
			if err != nil {
				return fmt.Errorf("kv: reading namespace %q: %w", it.Item().Key()[1:], err)
			}
			s.namespaces[rec.ID] = newNamespace(s, rec.ID, rec.Title)
		}
		return nil
	})
}

// sweepOrphanChunks deletes chunks no record refers to: the remains of a
// large put interrupted between writing its chunks and its record.
func (s *Service) sweepOrphanChunks() error {
	var orphans [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: []byte{prefixChunk}})
		defer it.Close()
		live := map[string]uint64{} // record key -> live generation (0: none)
		for it.Rewind(); it.Valid(); it.Next() {
			ck := it.Item().KeyCopy(nil)
			if len(ck) < 1+1+12 {
				orphans = append(orphans, ck)
				continue
			}
			rk := append([]byte{prefixPair}, ck[1:len(ck)-12]...)
			gen, ok := live[string(rk)]
			if !ok {
				item, err := txn.Get(rk)
				if err == nil {
					_ = item.Value(func(v []byte) error {
						if r, err := decodeRecord(v); err == nil && r.chunked {
							gen = r.gen
						}
						return nil
					})
				} else if !errors.Is(err, badger.ErrKeyNotFound) {
					return err
				}
				live[string(rk)] = gen
			}
			if gen == 0 || gen != beUint64(ck[len(ck)-12:]) {
				orphans = append(orphans, ck)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("kv: sweeping chunks: %w", err)
	}
	if len(orphans) > 0 {
		s.log.Warn("deleting chunks of interrupted writes", "chunks", len(orphans))
		return s.deleteKeys(orphans)
	}
	return nil
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// deleteKeys deletes keys in as many transactions as it takes.
func (s *Service) deleteKeys(keys [][]byte) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			return err
		}
	}
	return wb.Flush()
}

// Namespace returns the namespace with id, if it exists.
func (s *Service) Namespace(id string) (*Namespace, bool) {
	s.mu.RLock()
	ns, ok := s.namespaces[id]
	s.mu.RUnlock()
	return ns, ok
}

// Namespaces lists every namespace, sorted by title, then id.
func (s *Service) Namespaces() []NamespaceInfo {
	s.mu.RLock()
	out := make([]NamespaceInfo, 0, len(s.namespaces))
	for _, ns := range s.namespaces {
		out = append(out, ns.info())
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Title != out[j].Title {
			return out[i].Title < out[j].Title
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// EnsureNamespace makes sure the namespace id exists (a namespace declared
// in wrangler.toml), creating it with title if it does not. An existing
// namespace keeps its title, so a rename survives restarts.
//
// Differs from Cloudflare: titles are unique only among namespaces created
// through the REST API; a configured namespace may share its title (its
// binding name) with another, e.g. the same binding of two environments
// using one state dir.
func (s *Service) EnsureNamespace(id, title string) (*Namespace, error) {
	if id == "" || strings.IndexByte(id, 0) >= 0 {
		return nil, fmt.Errorf("kv: invalid namespace id %q", id)
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ns, ok := s.namespaces[id]; ok {
		return ns, nil
	}
	if err := s.saveNamespace(nsRecord{ID: id, Title: title}); err != nil {
		return nil, err
	}
	ns := newNamespace(s, id, title)
	s.namespaces[id] = ns
	return ns, nil
}

// Errors of the namespace catalog.
var (
	errTitleMissing = runtime.NewError(http.StatusBadRequest, runtime.CodeKVTitleMissing, "request is missing a title definition")
	errTitleExists  = runtime.NewError(http.StatusBadRequest, runtime.CodeKVTitleExists, "a namespace with this account ID and title already exists")
)

// errNamespaceNotFound is 10013 in the words of one operation, e.g.
// "list keys: 'namespace not found'".
func errNamespaceNotFound(op string) *runtime.Error {
	return runtime.NewError(http.StatusNotFound, runtime.CodeKVNamespaceNotFound, op+": 'namespace not found'")
}

// CreateNamespace creates a namespace with a new random id.
func (s *Service) CreateNamespace(title string) (NamespaceInfo, error) {
	if title == "" {
		return NamespaceInfo{}, errTitleMissing
	}
	if s.closed.Load() {
		return NamespaceInfo{}, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.titleTakenLocked(title, "") {
		return NamespaceInfo{}, errTitleExists
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if err := s.saveNamespace(nsRecord{ID: id, Title: title}); err != nil {
		return NamespaceInfo{}, err
	}
	ns := newNamespace(s, id, title)
	s.namespaces[id] = ns
	return ns.info(), nil
}

// RenameNamespace changes a namespace's title.
func (s *Service) RenameNamespace(id, title string) (NamespaceInfo, error) {
	if s.closed.Load() {
		return NamespaceInfo{}, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ns, ok := s.namespaces[id]
	if !ok {
		return NamespaceInfo{}, errNamespaceNotFound("rename namespace")
	}
	if title == "" {
		return NamespaceInfo{}, errTitleMissing
	}
	if s.titleTakenLocked(title, id) {
		return NamespaceInfo{}, errTitleExists
	}
	if err := s.saveNamespace(nsRecord{ID: id, Title: title}); err != nil {
		return NamespaceInfo{}, err
	}
	ns.title = title
	return ns.info(), nil
}

func (s *Service) titleTakenLocked(title, except string) bool {
	for id, ns := range s.namespaces {
		if id != except && ns.title == title {
			return true
		}
	}
	return false
}

func (s *Service) saveNamespace(rec nsRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(namespaceKey(rec.ID), data) })
}

// DeleteNamespace removes a namespace and every pair in it. A binding that
// still holds it fails from then on with 10013.
func (s *Service) DeleteNamespace(ctx context.Context, id string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.mu.Lock()
	ns, ok := s.namespaces[id]
	if ok {
		delete(s.namespaces, id)
		ns.deleted.Store(true)
	}
	s.mu.Unlock()
	if !ok {
		return errNamespaceNotFound("remove namespace")
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(namespaceKey(id)) }); err != nil {
		return err
	}
	var keys [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		for _, p := range [][]byte{ns.pairs, ns.chunks} {
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: p})
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	return s.deleteKeys(keys)
}

// badgerExpiresAt is the Badger TTL for a pair expiring at expiration (0: none).
func (s *Service) badgerExpiresAt(expiration int64) uint64 {
	if !s.badgerTTL || expiration <= 0 {
		return 0
	}
	return uint64(expiration) + badgerGCGraceSecs
}
