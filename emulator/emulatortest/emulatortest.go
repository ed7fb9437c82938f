// Package emulatortest starts a whole emulator for a test, the way
// net/http/httptest starts a server: every service on t.TempDir(), a fake
// clock, the built-in AI backend, and an HTTP server on loopback, all closed
// in t.Cleanup.
package emulatortest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/config"
	"jobmatch-edge/fixtures"
	"jobmatch-edge/runtime"
)

// Start is the fake clock's starting time.
var Start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// AccountID is the account the REST API answers for in tests.
const AccountID = emulator.DefaultAccountID

// Emu is a running emulator.
type Emu struct {
	*emulator.Emulator
	Env    *runtime.Env
	Clock  *runtime.FakeClock
	URL    string       // base URL of the loopback server
	Client *http.Client // a client for URL
	Dir    string       // the state dir
}

// Option changes how New builds the emulator.
type Option func(*settings)

type settings struct {
	opts   emulator.Options
	env    string
	config []byte
	dir    string
}

// WithEnv picks the wrangler environment (default "development").
func WithEnv(env string) Option { return func(s *settings) { s.env = env } }

// WithConfig uses the given wrangler.toml text instead of JobMatch's.
func WithConfig(toml string) Option { return func(s *settings) { s.config = []byte(toml) } }

// WithDir uses dir as the state dir (to reopen a previous emulator's state).
func WithDir(dir string) Option { return func(s *settings) { s.dir = dir } }

// WithClock uses the given fake clock.
func WithClock(c *runtime.FakeClock) Option { return func(s *settings) { s.opts.Clock = c } }

// WithOptions edits the emulator options before New.
func WithOptions(f func(*emulator.Options)) Option { return func(s *settings) { f(&s.opts) } }

// WithInMemory keeps all state in memory.
func WithInMemory() Option { return func(s *settings) { s.opts.InMemory = true } }

// New starts an emulator for t. It fails t on any error.
func New(t testing.TB, options ...Option) *Emu {
	t.Helper()
	s := &settings{env: "development", config: fixtures.WranglerTOML}
	s.opts.AIBackend = "builtin"
	s.opts.OpenAIUpstream = "builtin"
	s.opts.Version = "test"
	s.opts.BcryptCost = 4 // bcrypt.MinCost: sign-ups in tests need no real hashing cost
	for _, o := range options {
		o(s)
	}
	if s.dir == "" {
		s.dir = t.TempDir()
	}
	clock, ok := s.opts.Clock.(*runtime.FakeClock)
	if !ok || clock == nil {
		clock = runtime.NewFakeClock(Start)
		s.opts.Clock = clock
	}
	cfg, err := config.ParseBuiltin("wrangler.toml", s.config, s.env, fixtures.DevVars)
	if err != nil {
		t.Fatalf("emulatortest: config: %v", err)
	}
	s.opts.Config = cfg
	s.opts.StateDir = s.dir
	if s.opts.Logger == nil {
		level := slog.LevelError
		if os.Getenv("EDGE_TEST_LOG") != "" {
			level = slog.LevelDebug
		}
		s.opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	em, err := emulator.New(context.Background(), s.opts)
	if err != nil {
		t.Fatalf("emulatortest: New: %v", err)
	}
	srv := httptest.NewServer(em.Handler())
	em.Fetch().AddHost(srv.Listener.Addr().String()) // the app reaches this server in-process
	t.Cleanup(func() {
		srv.Close()
		if err := em.Close(); err != nil {
			t.Errorf("emulatortest: Close: %v", err)
		}
	})
	return &Emu{Emulator: em, Env: em.Env(), Clock: clock, URL: srv.URL, Client: srv.Client(), Dir: s.dir}
}

// Close closes the emulator early (to reopen its state dir with WithDir).
// The cleanup registered by New then does nothing more.
func (e *Emu) Close(t testing.TB) {
	t.Helper()
	if err := e.Emulator.Close(); err != nil {
		t.Fatalf("emulatortest: Close: %v", err)
	}
}

// AccountURL is the REST base for the test account: URL + /client/v4/accounts/<id>.
func (e *Emu) AccountURL() string {
	return e.URL + "/client/v4/accounts/" + e.Options().AccountID
}
