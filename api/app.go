package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	// After routing, before any route's own middleware (auth).
	e.Use(a.routeParams)
	a.e = e
	a.routes()
	return a, nil
}

// ServeHTTP serves the API. The router sees a copy of the request: a HEAD
// is routed as the GET it mirrors, and the path is the one routingPath
// gives.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		// Hono answers HEAD by running the GET route and dropping the body:
		// same status, same headers. net/http drops the body of a HEAD
		// response (w still belongs to the HEAD request) and computes
		// Content-Length from what a short handler wrote.
		r = r.WithContext(context.WithValue(r.Context(), headKey{}, true))
		r.Method = http.MethodGet
	}
	if p, ok := routingPath(r.URL.EscapedPath()); ok {
		u := *r.URL
		u.RawPath = p
		r = r.WithContext(r.Context())
		r.URL = &u
	}
	a.e.ServeHTTP(w, r)
}

type headKey struct{}

// isHead reports whether the request is a HEAD served as its GET.
func isHead(c echo.Context) bool { return isHeadRequest(c.Request()) }

func isHeadRequest(r *http.Request) bool { return r.Context().Value(headKey{}) != nil }

// routingPath is the path the router matches when the escaped path holds
// percent-escapes: every escape decoded except %2F and %25, as Hono routes
// on decodeURI(path). An encoded slash so stays inside its segment, and a
// parameter is left for routeParams to decode exactly once.
func routingPath(escaped string) (string, bool) {
	if !strings.Contains(escaped, "%") {
		return "", false
	}
	b := make([]byte, 0, len(escaped))
	for i := 0; i < len(escaped); i++ {
		if escaped[i] == '%' && i+2 < len(escaped) {
			if v, err := strconv.ParseUint(escaped[i+1:i+3], 16, 8); err == nil && v != '/' && v != '%' {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, escaped[i])
	}
	return string(b), true
}

// routeParams runs after routing: a parameter matches exactly one
// non-empty path segment, as in Hono, so a value that is empty or spans a
// "/" makes the request unmatched (the 404 route body, before any auth);
// every other value is decoded once. The "*" of a catch-all is left alone.
func (a *App) routeParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		names := c.ParamNames()
		if len(names) == 0 {
			return next(c)
		}
		vals := append([]string(nil), c.ParamValues()...)
		for i, n := range names {
			if n == "*" || i >= len(vals) {
				continue
			}
			v := vals[i]
			if v == "" || strings.Contains(v, "/") {
				return echo.ErrNotFound
			}
			if strings.Contains(v, "%") {
				if d, err := url.PathUnescape(v); err == nil {
					vals[i] = d
				}
			}
		}
		c.SetParamValues(vals...)
		return next(c)
	}
}

func (a *App) routes() {
	a.e.GET("/health", a.handleHealth)
	a.e.GET("/api", a.handleDocs)
	a.jobsRoutes()         // /api/jobs (jobs.go)
	a.profileRoutes()      // /api/profile (profile.go)
	a.skillsRoutes()       // /api/skills (skills.go)
	a.linkedinRoutes()     // /api/auth/linkedin (linkedin.go)
	a.applicationsRoutes() // /api/applications (applications.go)
	a.filesRoutes()        // /api/files (files.go)
	// The original's analytics router authenticates every path under it
	// (router.use('/*', authenticateUser)), so an unknown one is a 401
	// before it is a 404. Its routes, when served, go on such a group.
	a.e.Group("/api/analytics", a.authenticate)
	// What the frontend calls that the original never served (§7.2).
	a.trackedApplicationsRoutes() // /api/tracked-applications (tracked_applications.go)
	a.billingRoutes()             // /api/billing (billing.go)
	a.usageRoutes()               // /api/usage (usage.go)
	// useLinkedInAuth calls /api/auth/linkedin: the initiate route, in the
	// same per-user bucket (GET:/api/auth/linkedin/initiate, 5 per 15 min).
	a.e.GET("/api/auth/linkedin", a.handleLinkedInInitiate, a.authenticate, asPath("/api/auth/linkedin/initiate"), a.rateLimit)
}

// asPath makes the rest of the chain see the request under path (the
// per-user limiter keys on it).
func asPath(path string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			u := *r.URL
			u.Path, u.RawPath = path, ""
			r = r.WithContext(r.Context())
			r.URL = &u
			c.SetRequest(r)
			return next(c)
		}
	}
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
			method := req.Method
			if isHeadRequest(req) {
				method = http.MethodHead
			}
			a.env.Tail(runtime.TailEvent{
				Outcome: outcome, ScriptName: a.name, EventTimestamp: start.UnixMilli(),
				Event: runtime.TailRequest{
					Request:  runtime.TailHTTPRequest{URL: scheme + "://" + req.Host + req.URL.RequestURI(), Method: method},
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
