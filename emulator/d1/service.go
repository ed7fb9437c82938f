package d1

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
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"jobmatch-edge/emulator/internal/store"
	"jobmatch-edge/runtime"
)

// Options configure a Service.
type Options struct {
	Dir      string // state directory (<state>/d1); unused when InMemory
	InMemory bool   // keep every database in memory
	Sync     bool   // synchronous=FULL
	Readers  int    // reader connections per database (default 4)
	Clock    runtime.Clock
	Logger   *slog.Logger
	Limits   *Limits // nil: DefaultLimits()
	// TemplateDir is where migrated templates of in-memory databases are
	// kept (template.go); "" applies every migration each time.
	TemplateDir string
}

// Service holds every D1 database of the emulator.
type Service struct {
	opts   Options
	clock  runtime.Clock
	log    *slog.Logger
	limits Limits
	nonce  string // names in-memory databases apart between services

	mu   sync.RWMutex
	byID map[string]*Database
}

// Errors of the REST surface.
var (
	// ErrDatabaseNotFound is D1's answer for an unknown database id.
	ErrDatabaseNotFound = runtime.NewError(http.StatusNotFound, runtime.CodeD1DatabaseNotFound, "Not Found")
	// ErrDatabaseExists answers a create with a name in use.
	ErrDatabaseExists = runtime.NewError(http.StatusBadRequest, runtime.CodeD1DatabaseExists, "A database with that name already exists")
)

// Open starts the service; databases are added with EnsureDatabase or
// Create. Databases created over REST earlier are reopened.
func Open(o Options) (*Service, error) {
	if o.Clock == nil {
		o.Clock = runtime.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	limits := DefaultLimits()
	if o.Limits != nil {
		limits = *o.Limits
	}
	s := &Service{opts: o, clock: o.Clock, log: o.Logger, limits: limits, byID: map[string]*Database{}, nonce: randomHex(8)}
	if o.InMemory {
		return s, nil
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("d1: %w", err)
	}
	reg, err := s.readRegistry()
	if err != nil {
		return nil, err
	}
	for _, r := range reg {
		if _, err := s.open(Info{UUID: r.UUID, Name: r.Name, CreatedAt: r.CreatedAt}); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close closes every database. Statements still running are interrupted
// (their calls fail with "Database <id> is closed"), so Close returns
// promptly whatever runs.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for id, db := range s.byID {
		errs = append(errs, db.close())
		delete(s.byID, id)
	}
	return errors.Join(errs...)
}

func (s *Service) path(id string) string {
	if s.opts.InMemory {
		return "d1-" + s.nonce + "-" + id
	}
	return filepath.Join(s.opts.Dir, id+".sqlite")
}

func (s *Service) open(info Info) (*Database, error) {
	sq, err := store.OpenSQLite(s.path(info.UUID), store.SQLiteOptions{
		InMemory: s.opts.InMemory, Sync: s.opts.Sync, Readers: s.opts.Readers,
		Defensive: true, Setup: setupConn(s.limits),
	})
	if err != nil {
		return nil, fmt.Errorf("d1 database %s (%s): %w", info.Name, info.UUID, err)
	}
	db := &Database{svc: s, info: info, sq: sq}
	_ = sq.Write(context.Background(), func(c *store.Conn) error { db.refreshSize(c); return nil })
	s.byID[info.UUID] = db
	return db, nil
}

// EnsureDatabase opens the database with this id, creating it if needed,
// and records its name, binding and migrations (a wrangler.toml entry).
func (s *Service) EnsureDatabase(info Info) (*Database, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if db, ok := s.byID[info.UUID]; ok {
		db.info.Name, db.info.Binding, db.info.Migrations = info.Name, info.Binding, info.Migrations
		return db, s.writeRegistry()
	}
	if info.CreatedAt.IsZero() {
		info.CreatedAt = s.clock.Now()
	}
	db, err := s.open(info)
	if err != nil {
		return nil, err
	}
	return db, s.writeRegistry()
}

// Create makes a new database with a fresh UUID (the REST create).
func (s *Service) Create(name string) (*Database, error) {
	if strings.TrimSpace(name) == "" {
		return nil, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "name: Required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, db := range s.byID {
		if db.info.Name == name {
			return nil, ErrDatabaseExists
		}
	}
	db, err := s.open(Info{UUID: newUUID(), Name: name, CreatedAt: s.clock.Now()})
	if err != nil {
		return nil, err
	}
	return db, s.writeRegistry()
}

// Delete closes a database and removes its files. Databases bound in
// wrangler.toml are refused.
func (s *Service) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, ok := s.byID[id]
	if !ok {
		return ErrDatabaseNotFound
	}
	if db.info.Binding != "" {
		// Differs from Cloudflare: a bound database stays while edge runs.
		return runtime.NewError(http.StatusBadRequest, runtime.CodeD1Error,
			fmt.Sprintf("database %s is bound as %s in wrangler.toml and cannot be deleted while edge runs", id, db.info.Binding))
	}
	delete(s.byID, id)
	err := db.close()
	if !s.opts.InMemory {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if e := os.Remove(s.path(id) + suffix); e != nil && !errors.Is(e, os.ErrNotExist) {
				err = errors.Join(err, e)
			}
		}
	}
	return errors.Join(err, s.writeRegistry())
}

// Get returns the database with this UUID.
func (s *Service) Get(id string) (*Database, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if db, ok := s.byID[id]; ok {
		return db, nil
	}
	return nil, ErrDatabaseNotFound
}

// Resolve finds a database by binding name, database name or UUID (the
// argument of `edge d1 ...` commands).
func (s *Service) Resolve(ref string) (*Database, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if db, ok := s.byID[ref]; ok {
		return db, nil
	}
	for _, db := range s.sorted() {
		if db.info.Binding == ref {
			return db, nil
		}
	}
	for _, db := range s.sorted() {
		if db.info.Name == ref {
			return db, nil
		}
	}
	var have []string
	for _, db := range s.sorted() {
		have = append(have, db.describe())
	}
	return nil, fmt.Errorf("no D1 database with binding, name or id %q (have: %s)", ref, strings.Join(have, ", "))
}

func (db *Database) describe() string {
	if db.info.Binding != "" {
		return fmt.Sprintf("%s (%s, %s)", db.info.Binding, db.info.Name, db.info.UUID)
	}
	return fmt.Sprintf("%s (%s)", db.info.Name, db.info.UUID)
}

// List returns the databases sorted by creation time, then name.
func (s *Service) List() []*Database {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sorted()
}

func (s *Service) sorted() []*Database {
	out := make([]*Database, 0, len(s.byID))
	for _, db := range s.byID {
		out = append(out, db)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].info, out[j].info
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.Name < b.Name
	})
	return out
}

// registryEntry is one line of <dir>/databases.json.
type registryEntry struct {
	UUID      string    `json:"uuid"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Service) registryPath() string { return filepath.Join(s.opts.Dir, "databases.json") }

func (s *Service) readRegistry() ([]registryEntry, error) {
	data, err := os.ReadFile(s.registryPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("d1: %w", err)
	}
	var reg []registryEntry
	if err := json.Unmarshal(data, &reg); err != nil {
		return nil, fmt.Errorf("d1: %s: %w", s.registryPath(), err)
	}
	return reg, nil
}

// writeRegistry saves the list of databases (callers hold s.mu).
func (s *Service) writeRegistry() error {
	if s.opts.InMemory {
		return nil
	}
	reg := []registryEntry{}
	for _, db := range s.sorted() {
		reg = append(reg, registryEntry{UUID: db.info.UUID, Name: db.info.Name, CreatedAt: db.info.CreatedAt})
	}
	data, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.registryPath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("d1: %w", err)
	}
	return os.Rename(tmp, s.registryPath())
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string { return uuid.NewString() }
