// Package emulator wires every emulated Cloudflare service into one process:
// New builds them in one explicit list from a resolved wrangler.toml, Env
// exposes them as a Worker's env, and Handler serves every HTTP surface on
// one listener with the paths the real hosts use.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"jobmatch-edge/emulator/ai"
	"jobmatch-edge/emulator/cfapi"
	"jobmatch-edge/emulator/config"
	"jobmatch-edge/emulator/console"
	"jobmatch-edge/emulator/d1"
	"jobmatch-edge/emulator/gateway"
	"jobmatch-edge/emulator/kv"
	"jobmatch-edge/emulator/r2"
	"jobmatch-edge/emulator/supabase"
	"jobmatch-edge/emulator/vectorize"
	"jobmatch-edge/runtime"
)

// Options configure an Emulator. Zero values take the documented defaults.
type Options struct {
	Config    *config.Config // the wrangler.toml, resolved for one environment
	StateDir  string         // where state lives (default ".edge")
	InMemory  bool           // keep everything in memory
	Sync      bool           // fsync every write
	AccountID string         // the account id REST paths must carry
	APIToken  string         // when set, /client/v4 and /_edge demand it
	// PublicURL is the origin clients reach the server at (default
	// DefaultPublicURL); it replaces OriginPlaceholder in the config's vars.
	PublicURL string
	Version   string
	Clock     runtime.Clock // default runtime.SystemClock
	Logger    *slog.Logger  // default: discard

	// Workers AI and AI Gateway.
	AIBackend      string            // auto|ollama|builtin
	OllamaURL      string            // default http://127.0.0.1:11434
	AIModelMap     map[string]string // Workers AI model -> Ollama model
	OpenAIUpstream string            // builtin|ollama|<base URL>

	// R2's S3-compatible listener.
	S3Addr            string
	R2AccessKeyID     string
	R2SecretAccessKey string

	// D1.
	NoMigrate bool // do not apply pending migrations at start

	// Supabase Auth stand-in: the bcrypt cost of stored passwords (default
	// bcrypt's; tests lower it).
	BcryptCost int

	// BodyIdleTimeout is how long a request body may go without a byte
	// arriving before the listener gives up on it (default
	// DefaultBodyIdleTimeout). It bounds progress, not the total: a slow
	// upload that keeps moving is never cut off.
	BodyIdleTimeout time.Duration
}

// Emulator is every service of one edge process.
type Emulator struct {
	opts    Options
	log     *slog.Logger
	started time.Time
	lock    *StateLock
	env     *runtime.Env
	fetch   *runtime.InProcessTransport
	mux     *http.ServeMux
	closers []func() error
	extra   []extraListener

	worker        http.Handler     // the Worker mounted by HandleWorker
	workerTimeout http.HandlerFunc // its answer to a stalled request body

	// The services, one field each. Each service's wiring lives in
	// emulator/<svc>.go (open<Svc>, and its routes).
	KV        *kv.Service
	D1        *d1.Service
	R2        *r2.Service
	Vectorize *vectorize.Service
	AI        *ai.Service
	Gateway   *gateway.Service
	Auth      *supabase.Service
	linkedIn  bool // the LinkedIn stand-in is mounted
	// Tail fans the Worker's tail events out to `edge tail`.
	Tail *console.Hub
}

// New opens every service the configuration declares. On error, whatever
// was opened is closed again.
func New(ctx context.Context, opts Options) (em *Emulator, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Emulator{opts: opts, log: opts.Logger, started: opts.Clock.Now(), mux: http.NewServeMux()}
	defer func() {
		if err != nil {
			_ = e.Close()
		}
	}()
	if e.lock, err = lockState(opts); err != nil {
		return nil, err
	}
	vars, err := e.resolveVars()
	if err != nil {
		return nil, err
	}
	e.fetch = runtime.NewInProcessTransport(e.mux)
	e.env = &runtime.Env{
		KV:        map[string]runtime.KVNamespace{},
		D1:        map[string]runtime.D1Database{},
		R2:        map[string]runtime.R2Bucket{},
		Vectorize: map[string]runtime.VectorizeIndex{},
		Vars:      vars,
		Clock:     opts.Clock,
		Fetch:     &http.Client{Transport: e.fetch},
		Log:       e.log.With("svc", "worker"),
	}
	e.Tail = console.NewHub()
	e.env.Tail = e.Tail.Publish

	// The services, in one explicit list.
	for _, open := range []func() error{
		e.openKV,
		e.openD1,
		e.openR2,
		e.openVectorize,
		e.openAI,
		e.openGateway,
		e.openAuth,
		e.openLinkedIn,
	} {
		if err := open(); err != nil {
			return nil, err
		}
	}

	e.routes()
	return e, nil
}

// withDefaults checks opts and fills in the documented defaults.
func (opts Options) withDefaults() (Options, error) {
	if opts.Config == nil {
		return opts, errors.New("emulator: Options.Config is required")
	}
	if opts.StateDir == "" {
		opts.StateDir = ".edge"
	}
	if opts.Clock == nil {
		opts.Clock = runtime.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.AccountID == "" {
		opts.AccountID = opts.Config.Vars["CLOUDFLARE_ACCOUNT_ID"]
	}
	if opts.AccountID == "" {
		opts.AccountID = opts.Config.AccountID
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.PublicURL == "" {
		opts.PublicURL = DefaultPublicURL
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if opts.BodyIdleTimeout <= 0 {
		opts.BodyIdleTimeout = DefaultBodyIdleTimeout
	}
	return opts, nil
}

// resolveVars is the config's vars and secrets with the placeholders
// filled in: the public origin, and the state dir's secrets (fresh ones in
// memory). The state dir is locked by now.
func (e *Emulator) resolveVars() (map[string]string, error) {
	secrets, err := OpenSecrets(e.dir(""), true)
	if err != nil {
		return nil, err
	}
	return ResolveVars(e.opts.Config.Bindings(), e.opts.PublicURL, secrets)
}

// lockState creates and locks the state dir (nothing, in memory).
func lockState(opts Options) (*StateLock, error) {
	if opts.InMemory {
		return nil, nil
	}
	if err := os.MkdirAll(opts.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating state dir: %w", err)
	}
	return LockStateDir(opts.StateDir)
}

// DefaultAccountID is used when neither a flag nor the config names one.
const DefaultAccountID = "280c58ea17d9fe3235c33bd0a52a256b"

func (e *Emulator) dir(svc string) string {
	if e.opts.InMemory {
		return ""
	}
	return filepath.Join(e.opts.StateDir, svc)
}

func (e *Emulator) onClose(f func() error) { e.closers = append(e.closers, f) }

// routes builds the one route table of the listener.
func (e *Emulator) routes() {
	api := http.NewServeMux()
	api.HandleFunc("/client/v4/", cfapi.NotFound)
	e.KV.Routes(api)
	e.D1.Routes(api)
	// e.R2.Routes(api)
	e.Vectorize.Routes(api)
	e.AI.Routes(api)
	e.Gateway.Routes(e.mux) // /v1/{account_id}/{gateway_id}/{provider}/... on the main listener
	e.mux.Handle("/client/v4/", cfapi.Guard(api, e.opts.AccountID, e.opts.APIToken))
	if e.Auth != nil {
		e.Auth.Routes(e.mux)
		e.mux.Handle("POST /_edge/token", e.guardConsole(http.HandlerFunc(e.handleToken)))
	}
	e.mux.Handle("GET /_edge/health", e.guardConsole(http.HandlerFunc(e.handleHealth)))
	e.mux.Handle("GET /_edge/tail", e.guardConsole(http.HandlerFunc(e.Tail.HandleTail)))
}

// guardConsole demands the API token on /_edge routes when one is set.
func (e *Emulator) guardConsole(h http.Handler) http.Handler {
	if e.opts.APIToken == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+e.opts.APIToken {
			runtime.WriteError(w, cfapi.ErrAuthentication)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handle adds a route to the listener (used by the JobMatch API and tests).
func (e *Emulator) Handle(pattern string, h http.Handler) { e.mux.Handle(pattern, h) }

// HandleConsole adds a /_edge route, guarded by the API token when one is set.
func (e *Emulator) HandleConsole(pattern string, h http.Handler) {
	e.mux.Handle(pattern, e.guardConsole(h))
}

// Handler serves every surface (see serveHTTP for what it answers before
// routing).
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Env is the Worker env the JobMatch API runs against.
func (e *Emulator) Env() *runtime.Env { return e.env }

// Fetch is the transport behind Env().Fetch; AddHost on it routes an origin in-process.
func (e *Emulator) Fetch() *runtime.InProcessTransport { return e.fetch }

// Options returns the options in force (defaults applied).
func (e *Emulator) Options() Options { return e.opts }

// Close closes every service in reverse order of opening, then releases the
// state dir. It is safe to call more than once.
func (e *Emulator) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		if err := e.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	e.closers = nil
	if e.lock != nil {
		errs = append(errs, e.lock.Release())
		e.lock = nil
	}
	return errors.Join(errs...)
}

// Binding describes one served binding for the banner and /_edge/health.
type Binding struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	ID      string `json:"id,omitempty"`
	Details string `json:"details,omitempty"`
}

// Bindings lists what the configuration binds, in a stable order.
func (e *Emulator) Bindings() []Binding {
	c := e.opts.Config
	var out []Binding
	for _, b := range c.KVNamespaces {
		out = append(out, Binding{Kind: "kv", Name: b.Binding, ID: b.ID})
	}
	for _, b := range c.D1Databases {
		out = append(out, Binding{Kind: "d1", Name: b.Binding, ID: b.DatabaseID, Details: b.DatabaseName})
	}
	for _, b := range c.R2Buckets {
		out = append(out, Binding{Kind: "r2", Name: b.Binding, ID: b.BucketName})
	}
	for _, b := range c.Vectorize {
		d := fmt.Sprintf("%d dims, %s", b.Dimensions, b.Metric)
		out = append(out, Binding{Kind: "vectorize", Name: b.Binding, ID: b.IndexName, Details: d})
	}
	if c.AI != nil {
		out = append(out, Binding{Kind: "ai", Name: c.AI.Binding})
	}
	return out
}

func (e *Emulator) handleHealth(w http.ResponseWriter, r *http.Request) {
	bindings := map[string][]Binding{}
	for _, b := range e.Bindings() {
		bindings[b.Kind] = append(bindings[b.Kind], b)
	}
	runtime.WriteJSON(w, http.StatusOK, map[string]any{
		"status":    "ok",
		"version":   e.opts.Version,
		"uptime_ms": e.opts.Clock.Now().Sub(e.started).Milliseconds(),
		"env":       e.opts.Config.Env,
		"bindings":  bindings,
	})
}

// Surface is one HTTP surface of the main listener.
type Surface struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Surfaces lists what the main listener serves, given its base URL.
func (e *Emulator) Surfaces(base string) []Surface {
	out := []Surface{
		{"Cloudflare REST API", base + "/client/v4"},
	}
	return append(out, e.surfaces(base)...)
}
