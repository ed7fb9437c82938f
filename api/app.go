package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// Bindings the API resolves at start; a missing one stops it with a message
// naming it.
var requiredBindings = []string{
	"RATE_LIMITS", "OAUTH_STATES", "EMBEDDINGS_CACHE", "JOB_ANALYSIS_CACHE",
	"DB", "VECTORIZE", "AVATARS", "RESUMES", "EXPORTS", "AI",
}

// Options configure the app.
type Options struct {
	// Logger receives errors of the app itself (not the Worker's console).
	Logger *slog.Logger
	// ScriptName names the Worker in tail events (default "jobmatch-ai").
	ScriptName string
}

// App is the JobMatch API.
type App struct {
	env   *runtime.Env
	e     *echo.Echo
	log   *slog.Logger
	clock runtime.Clock
	dev   bool
	name  string

	rateLimits runtime.KVNamespace
	oauth      runtime.KVNamespace
	embeddings runtime.KVNamespace
	analysis   runtime.KVNamespace

	ips        *ipLimiter
	keyLocks   keyedMutex
	embedStats embeddingStats // the embeddings cache's counters (embeddings.go)
}

// New resolves the bindings the API needs from env and builds the routes.
func New(env *runtime.Env, opts Options) (*App, error) {
	if err := env.Require(requiredBindings...); err != nil {
		return nil, fmt.Errorf("jobmatch api: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ScriptName == "" {
		opts.ScriptName = "jobmatch-ai"
	}
	clock := env.Clock
	if clock == nil {
		clock = runtime.SystemClock{}
	}
	a := &App{
		env: env, log: opts.Logger, clock: clock, name: opts.ScriptName,
		dev:        env.Var("ENVIRONMENT") == "development",
		rateLimits: env.KV["RATE_LIMITS"], oauth: env.KV["OAUTH_STATES"],
		embeddings: env.KV["EMBEDDINGS_CACHE"], analysis: env.KV["JOB_ANALYSIS_CACHE"],
		ips: newIPLimiter(),
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.handleError
	// The pipeline of §2.0, in order. Pre middleware runs before routing, so
	// it covers unknown paths and preflights too.
	e.Pre(a.tail, a.secureHeaders, a.cors, a.ipLimit)
	a.e = e
	a.routes()
	return a, nil
}

// ServeHTTP serves the API.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.e.ServeHTTP(w, r) }

func (a *App) routes() {
	a.e.GET("/health", a.handleHealth)
	a.e.GET("/api", a.handleDocs)
	a.jobsRoutes()         // /api/jobs (jobs.go)
	a.profileRoutes()      // /api/profile (profile.go)
	a.skillsRoutes()       // /api/skills (skills.go)
	a.linkedinRoutes()     // /api/auth/linkedin (linkedin.go)
	a.applicationsRoutes() // /api/applications (applications.go)
}

// ---- the Worker's console and tail events ----

type reqLogKey struct{}

// reqLog collects one request's console lines for its tail event.
type reqLog struct {
	mu   sync.Mutex
	logs []runtime.TailLog
	exc  []runtime.TailException
}

// tail wraps every request: it gives the request a console buffer, and when
// the response is done publishes the tail event.
func (a *App) tail(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rl := &reqLog{}
		req := c.Request()
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), reqLogKey{}, rl)))
		start := a.clock.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		if a.env.Tail != nil {
			outcome := "ok"
			if len(rl.exc) > 0 {
				outcome = "exception"
			}
			scheme := "http"
			if req.TLS != nil {
				scheme = "https"
			}
			a.env.Tail(runtime.TailEvent{
				Outcome: outcome, ScriptName: a.name, EventTimestamp: start.UnixMilli(),
				Event: runtime.TailRequest{
					Request:  runtime.TailHTTPRequest{URL: scheme + "://" + req.Host + req.URL.RequestURI(), Method: req.Method},
					Response: &runtime.TailHTTPResponse{Status: c.Response().Status},
				},
				Logs: append([]runtime.TailLog{}, rl.logs...), Exceptions: append([]runtime.TailException{}, rl.exc...),
			})
		}
		return nil
	}
}

func (a *App) console(ctx context.Context, level, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if rl, ok := ctx.Value(reqLogKey{}).(*reqLog); ok {
		rl.mu.Lock()
		rl.logs = append(rl.logs, runtime.TailLog{Message: []any{line}, Level: level, Timestamp: a.clock.Now().UnixMilli()})
		rl.mu.Unlock()
	}
	if a.env.Log != nil {
		lv := slog.LevelInfo
		switch level {
		case "warn":
			lv = slog.LevelWarn
		case "error":
			lv = slog.LevelError
		case "debug":
			lv = slog.LevelDebug
		}
		a.env.Log.Log(ctx, lv, line)
	}
}

// consoleLog is console.log in the original.
func (a *App) consoleLog(c echo.Context, format string, args ...any) {
	a.console(c.Request().Context(), "log", format, args...)
}

// consoleError is console.error in the original.
func (a *App) consoleError(c echo.Context, format string, args ...any) {
	a.console(c.Request().Context(), "error", format, args...)
}

// ---- root routes (§2.1) ----

func (a *App) handleHealth(c echo.Context) error {
	envName := a.env.Var("ENVIRONMENT")
	if envName == "" {
		envName = "production"
	}
	return writeJSON(c, http.StatusOK, struct {
		Status      string `json:"status"`
		Timestamp   string `json:"timestamp"`
		Version     string `json:"version"`
		Environment string `json:"environment"`
		Runtime     string `json:"runtime"`
	}{"healthy", isoTime(a.clock.Now()), "1.0.0", envName, "Cloudflare Workers"})
}

// isoTime formats t as JavaScript's Date.toISOString does.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
