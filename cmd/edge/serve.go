package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	"jobmatch-edge/api"
	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/ai"
	"jobmatch-edge/runtime"
)

// serveFlags are `edge serve`'s flags.
type serveFlags struct {
	common
	addr      string
	publicURL string
	inMemory  bool
	sync      bool
	apiToken  string
	accountID string
	logFormat string
	logLevel  string

	aiBackend      string
	ollamaURL      string
	aiModelMap     string
	openaiUpstream string

	s3Addr            string
	r2AccessKeyID     string
	r2SecretAccessKey string

	noMigrate bool
	noAPI     bool

	bodyIdleTimeout time.Duration
}

// drainTimeout bounds how long a shutdown waits for in-flight requests.
const drainTimeout = 10 * time.Second

// cancelGrace is how long requests still running after the drain get to
// answer once their contexts are cancelled (D1 interrupts their
// statements), before the stores close under them.
const cancelGrace = 2 * time.Second

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var f serveFlags
	fs := newFlagSet("serve", "edge [serve] [flags]", stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8787", "address to listen on (a non-loopback address requires --api-token)")
	fs.StringVar(&f.publicURL, "public-url", "", "origin clients reach the server at, behind a proxy (default: http://<the bound --addr>); the built-in config's URLs follow it")
	f.common.register(fs)
	fs.BoolVar(&f.inMemory, "in-memory", false, "keep all state in memory (nothing is written to --state-dir)")
	fs.BoolVar(&f.sync, "sync", false, "fsync every write (power-loss durability; slower)")
	fs.StringVar(&f.apiToken, "api-token", "", "bearer token the Cloudflare REST API and the console demand (required off loopback)")
	fs.StringVar(&f.accountID, "account-id", "", "account id of the REST API paths (default: the config's CLOUDFLARE_ACCOUNT_ID var)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.aiBackend, "ai-backend", "auto", "Workers AI backend: auto (Ollama if it answers, else builtin), ollama or builtin")
	fs.StringVar(&f.ollamaURL, "ollama-url", "", "Ollama server URL (default: $OLLAMA_HOST, else http://127.0.0.1:11434)")
	fs.StringVar(&f.aiModelMap, "ai-model-map", "", "Workers AI model to Ollama model overrides, e.g. @cf/baai/bge-base-en-v1.5=nomic-embed-text,...")
	fs.StringVar(&f.openaiUpstream, "openai-upstream", "builtin", "AI Gateway openai provider upstream: builtin, ollama or a base URL (https://api.openai.com/v1)")
	fs.StringVar(&f.s3Addr, "s3-addr", "127.0.0.1:8789", "address of R2's S3-compatible listener")
	fs.StringVar(&f.r2AccessKeyID, "r2-access-key-id", "", "access key id the S3 listener accepts (default: a local stand-in, printed at start)")
	fs.StringVar(&f.r2SecretAccessKey, "r2-secret-access-key", "", "secret access key the S3 listener accepts (default: a local stand-in, printed at start)")
	fs.BoolVar(&f.noMigrate, "no-migrate", false, "do not apply pending D1 migrations at start")
	fs.BoolVar(&f.noAPI, "no-api", false, "serve only the emulated Cloudflare services, not the JobMatch API (for other wrangler.toml files)")
	fs.DurationVar(&f.bodyIdleTimeout, "body-idle-timeout", emulator.DefaultBodyIdleTimeout, "how long a request body may stall (no byte arriving) before the request is refused; slow uploads that keep moving are never cut off")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q (flags start with --)", fs.Args())
	}
	logger, err := newLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	for _, a := range []struct{ flag, addr string }{{"--addr", f.addr}, {"--s3-addr", f.s3Addr}} {
		if err := checkExposure(a.flag, a.addr, f.apiToken); err != nil {
			return err
		}
	}
	if f.publicURL != "" {
		if _, err := emulator.CheckPublicURL(f.publicURL); err != nil {
			return err
		}
	}
	cfg, err := f.loadConfig()
	if err != nil {
		return err
	}
	opts := emulator.Options{
		Config: cfg, StateDir: f.stateDir, InMemory: f.inMemory, Sync: f.sync,
		AccountID: f.accountID, APIToken: f.apiToken, Version: version,
		Clock: runtime.SystemClock{}, Logger: logger,
		AIBackend: f.aiBackend, OllamaURL: f.ollamaURL, OpenAIUpstream: f.openaiUpstream,
		S3Addr: f.s3Addr, R2AccessKeyID: f.r2AccessKeyID, R2SecretAccessKey: f.r2SecretAccessKey,
		NoMigrate: f.noMigrate, BodyIdleTimeout: f.bodyIdleTimeout,
	}
	if f.aiModelMap != "" {
		if opts.AIModelMap, err = ai.ParseModelMap(f.aiModelMap); err != nil {
			return fmt.Errorf("--ai-model-map: %w", err)
		}
	}
	if opts.BcryptCost, err = benchBcryptCost(getenv); err != nil {
		return err
	}
	if opts.BcryptCost != 0 {
		logger.Warn("bcrypt cost of new passwords lowered for load runs (EDGE_BENCH_BCRYPT_COST); never set it for real use",
			"cost", opts.BcryptCost)
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another edge or wrangler dev running? pick another --addr)", f.addr, err)
	}
	defer ln.Close()
	// The listener is bound first, so the origin is the real one (--addr
	// 127.0.0.1:0 included).
	if opts.PublicURL, err = emulator.PublicURL(f.publicURL, ln.Addr()); err != nil {
		return err
	}
	em, err := emulator.New(ctx, opts)
	if err != nil {
		return err
	}
	defer em.Close()
	if em.Auth != nil {
		if err := em.Auth.EnsureUserWithHash(demoEmail, demoPasswordHash); err != nil {
			return fmt.Errorf("seeding the demo user: %w", err)
		}
	}
	if !f.noAPI {
		app, err := api.New(em.Env(), api.Options{Logger: logger.With("svc", "api"), ScriptName: cfg.Name})
		if err != nil {
			return fmt.Errorf("%w (pass --no-api to serve only the Cloudflare services)", err)
		}
		// The Worker owns every path the emulated surfaces do not.
		em.HandleWorker(app, workerTimeout)
		em.HandleConsole("GET /_edge/stats", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			runtime.WriteJSON(w, http.StatusOK, app.Stats())
		}))
	}
	if on, _ := strconv.ParseBool(getenv("EDGE_PPROF")); on {
		handlePprof(em)
		logger.Info("pprof enabled at /_edge/debug/pprof/ (EDGE_PPROF); guarded by --api-token like the rest of /_edge")
	}
	base := "http://" + ln.Addr().String()
	em.Fetch().AddHost(ln.Addr().String())
	primary := em.MainListener(ln)
	servers := []*http.Server{primary.Server}
	listeners := []net.Listener{primary.Listener}
	extra, err := em.ExtraListeners()
	if err != nil {
		return err
	}
	for _, x := range extra {
		servers = append(servers, x.Server)
		listeners = append(listeners, x.Listener)
	}
	printBanner(stdout, em, base, extra, !f.noAPI)
	logger.Info("edge started", "addr", ln.Addr().String(), "env", cfg.Env, "state_dir", stateLabel(f.stateDir, f.inMemory), "version", version)

	// Every request's context derives from requests, cancelled when the drain ends.
	requests, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	errc := make(chan error, len(servers))
	for i := range servers {
		servers[i].BaseContext = func(net.Listener) context.Context { return requests }
		go func(s *http.Server, l net.Listener) {
			if err := s.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(servers[i], listeners[i])
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	}
	logger.Info("shutting down: draining in-flight requests")
	drain := func(d time.Duration) {
		sctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		for _, s := range servers {
			if err := s.Shutdown(sctx); err != nil {
				logger.Warn("shutdown", "err", err, "waited", d)
			}
		}
	}
	drain(drainTimeout)
	cancelRequests()
	drain(cancelGrace)
	// Closing interrupts any D1 statement still running: it never waits on one.
	if err := em.Close(); err != nil {
		return fmt.Errorf("closing stores: %w", err)
	}
	logger.Info("stores closed cleanly")
	return nil
}

// benchBcryptCost reads EDGE_BENCH_BCRYPT_COST: the Supabase Auth
// stand-in's bcrypt cost for passwords set while this process runs
// (4..31; unset or empty means bcrypt's default, 10). It exists for load
// runs, which sign up thousands of users (scripts/bench.d/api.sh): at cost
// 10 each sign-up costs two hashes of ~60 ms of CPU. Like EDGE_PPROF it is
// an environment variable only, not a flag, and nothing sets it by
// default. Stored hashes carry their cost, so they stay valid whatever it
// is set to later.
func benchBcryptCost(getenv func(string) string) (int, error) {
	v := getenv("EDGE_BENCH_BCRYPT_COST")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < bcrypt.MinCost || n > bcrypt.MaxCost {
		return 0, fmt.Errorf("EDGE_BENCH_BCRYPT_COST=%q: want a bcrypt cost from %d to %d", v, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return n, nil
}

// handlePprof serves net/http/pprof under /_edge/debug/pprof/, behind the
// console guard. Only EDGE_PPROF=1 turns it on: never exposed by default.
func handlePprof(em *emulator.Emulator) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	em.HandleConsole("/_edge/debug/pprof/", http.StripPrefix("/_edge", mux))
}

func stateLabel(dir string, inMemory bool) string {
	if inMemory {
		return "in memory (nothing persisted)"
	}
	return dir
}

// checkExposure refuses a listen address (of flag) off loopback unless a
// token guards the server.
func checkExposure(flag, addr, token string) error {
	if token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: %w (use host:port, e.g. 127.0.0.1:8787)", flag, addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	shown := host
	if shown == "" {
		shown = "all interfaces"
	}
	return fmt.Errorf("refusing to listen on %s (%s) without --api-token: edge serves your local data and the Cloudflare REST API unauthenticated, so off loopback it must be guarded; pass --api-token TOKEN (or EDGE_API_TOKEN), or listen on 127.0.0.1", addr, shown)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: use text or json", format)
	}
}
