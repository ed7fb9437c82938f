package api

import (
	"container/heap"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// ---- security headers (§3.4) ----

var securityHeaders = [][2]string{
	{"Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src 'self' data: https:; connect-src 'self' https://api.openai.com https://api.sendgrid.com"},
	{"Cross-Origin-Resource-Policy", "cross-origin"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Origin-Agent-Cluster", "?1"},
	{"Referrer-Policy", "no-referrer"},
	{"Strict-Transport-Security", "max-age=15552000; includeSubDomains"},
	{"X-Content-Type-Options", "nosniff"},
	{"X-DNS-Prefetch-Control", "off"},
	{"X-Download-Options", "noopen"},
	{"X-Frame-Options", "SAMEORIGIN"},
	{"X-Permitted-Cross-Domain-Policies", "none"},
	{"X-XSS-Protection", "0"},
}

func (a *App) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		for _, kv := range securityHeaders {
			h.Set(kv[0], kv[1])
		}
		return next(c)
	}
}

// ---- CORS (§3.4) ----

var (
	devOrigins     = []string{"http://localhost:5173", "http://localhost:3000", "http://localhost:4173", "http://127.0.0.1:5173", "http://127.0.0.1:3000"}
	pagesPreview   = regexp.MustCompile(`(?i)^https://[a-z0-9-]+\.jobmatch-ai-dev\.pages\.dev$`)
	pagesProdHosts = []string{"https://jobmatch-ai-dev.pages.dev", "https://jobmatch-ai.pages.dev"}
)

// allowedOrigin returns the Access-Control-Allow-Origin value, or "" when
// the origin is not allowed.
func (a *App) allowedOrigin(origin string) string {
	if origin == "" {
		return "*"
	}
	appURL := a.env.Var("APP_URL")
	if appURL == "" {
		appURL = "http://localhost:5173"
	}
	if origin == appURL {
		return origin
	}
	if a.dev {
		for _, o := range devOrigins {
			if origin == o {
				return origin
			}
		}
	}
	if pagesPreview.MatchString(origin) {
		return origin
	}
	for _, o := range pagesProdHosts {
		if origin == o {
			return origin
		}
	}
	return ""
}

func (a *App) cors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if o := a.allowedOrigin(c.Request().Header.Get("Origin")); o != "" {
			h.Set("Access-Control-Allow-Origin", o)
		}
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", "X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset,Retry-After")
		if c.Request().Method == http.MethodOptions {
			h.Set("Vary", "Origin, Access-Control-Request-Headers")
			h.Set("Access-Control-Max-Age", "86400")
			h.Set("Access-Control-Allow-Methods", "GET,POST,PATCH,PUT,DELETE,OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type,Authorization,X-Requested-With")
			return c.NoContent(http.StatusNoContent)
		}
		h.Add("Vary", "Origin")
		return next(c)
	}
}

// ---- the in-memory IP limiter (§3.2 A) ----

// Memory bounds of the IP limiter. The key is a client-supplied header, so
// without them a flood of distinct values would grow the map forever.
const (
	// maxIPRecords caps the records kept; when full, the record that
	// would expire first is dropped (that IP simply starts a new window).
	maxIPRecords = 10000
	// maxIPKey is the longest header value kept as it is; a longer one is
	// kept as its SHA-256 (the header may be up to 1 MiB long).
	maxIPKey = 64
)

type ipRecord struct {
	key         string
	count       int
	windowStart time.Time
	// window is the longest window a check has counted this record in:
	// past windowStart+window every check would restart it, so it is
	// dropped.
	window time.Duration
	index  int // in ipLimiter.byExpiry
}

func (r *ipRecord) expired(now time.Time) bool { return now.Sub(r.windowStart) > r.window }

// ipHeap orders records by windowStart+window, the soonest first
// (container/heap).
type ipHeap []*ipRecord

func (h ipHeap) Len() int { return len(h) }
func (h ipHeap) Less(i, j int) bool {
	return h[i].windowStart.Add(h[i].window).Before(h[j].windowStart.Add(h[j].window))
}
func (h ipHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index, h[j].index = i, j }
func (h *ipHeap) Push(x any)   { r := x.(*ipRecord); r.index = len(*h); *h = append(*h, r) }
func (h *ipHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}
func (h ipHeap) first() *ipRecord {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

// ipLimiter is the original's module-level Map, shared by the global limiter
// and the LinkedIn callback's limiter. Differs from the original: its
// memory is bounded. Records whose window has passed are dropped on access
// (the original's cleanupIpRateLimits ran from a cron that was never
// configured), and at most maxIPRecords are kept.
type ipLimiter struct {
	mu       sync.Mutex
	recs     map[string]*ipRecord
	byExpiry ipHeap
}

func newIPLimiter() *ipLimiter { return &ipLimiter{recs: map[string]*ipRecord{}} }

// clientIP is CF-Connecting-IP, else the first X-Forwarded-For item
// (untrimmed), else "unknown".
func clientIP(r *http.Request) string {
	if ip := r.Header.Get("CF-Connecting-IP"); ip != "" {
		return ip
	}
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		return first
	}
	return "unknown"
}

// ipKey is the map key of ip: ip itself, or for a long value a NUL (which
// no header value holds) and its SHA-256.
func ipKey(ip string) string {
	if len(ip) <= maxIPKey {
		return ip
	}
	sum := sha256.Sum256([]byte(ip))
	return "\x00" + string(sum[:])
}

// record returns the record of key with expired records dropped, making
// room for a new one when the limiter is full; nil when there is none.
func (l *ipLimiter) record(key string, now time.Time) *ipRecord {
	for r := l.byExpiry.first(); r != nil && r.expired(now); r = l.byExpiry.first() {
		l.drop(r)
	}
	rec := l.recs[key]
	if rec == nil && len(l.recs) >= maxIPRecords {
		l.drop(l.byExpiry.first())
	}
	return rec
}

func (l *ipLimiter) drop(r *ipRecord) {
	heap.Remove(&l.byExpiry, r.index)
	delete(l.recs, r.key)
}

// check counts one request from ip against max per window; it sets the
// headers and reports whether the request may go on.
func (l *ipLimiter) check(c echo.Context, now time.Time, max int, window time.Duration) error {
	key := ipKey(clientIP(c.Request()))
	h := c.Response().Header()
	l.mu.Lock()
	rec := l.record(key, now)
	if rec == nil || now.Sub(rec.windowStart) > window {
		if rec == nil {
			rec = &ipRecord{key: key}
			l.recs[key] = rec
			heap.Push(&l.byExpiry, rec)
		}
		rec.count, rec.windowStart, rec.window = 1, now, window
		heap.Fix(&l.byExpiry, rec.index)
		l.mu.Unlock()
		h.Set("X-RateLimit-Limit", strconv.Itoa(max))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max-1))
		return nil
	}
	if window > rec.window {
		rec.window = window
		heap.Fix(&l.byExpiry, rec.index)
	}
	if rec.count >= max {
		reset := rec.windowStart.Add(window)
		l.mu.Unlock()
		secs := retryAfter(reset, now)
		h.Set("X-RateLimit-Limit", strconv.Itoa(max))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", isoTime(reset))
		h.Set("Retry-After", strconv.Itoa(secs))
		return writeJSON(c, http.StatusTooManyRequests, struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			StatusCode int    `json:"statusCode"`
		}{"RATE_LIMIT_EXCEEDED", fmt.Sprintf("Rate limit exceeded. Try again in %d seconds.", secs), http.StatusTooManyRequests})
	}
	rec.count++
	remaining := max - rec.count
	l.mu.Unlock()
	h.Set("X-RateLimit-Limit", strconv.Itoa(max))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	return nil
}

// size is the number of records kept.
func (l *ipLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

func retryAfter(reset, now time.Time) int {
	return int(math.Ceil(float64(reset.Sub(now).Milliseconds()) / 1000))
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// ipLimit applies ipRateLimiter(100, 60000) to every /api path.
func (a *App) ipLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !isAPIPath(c.Request().URL.Path) {
			return next(c)
		}
		if err := a.ips.check(c, a.clock.Now(), 100, time.Minute); err != nil || c.Response().Committed {
			return err
		}
		return next(c)
	}
}

// ---- authentication (§3.1) ----

type ctxKey string

const (
	keyUserID    ctxKey = "userId"
	keyUserEmail ctxKey = "userEmail"
)

// authBody is the middleware's own error body: exactly {code, message, statusCode}.
type authBody struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
}

func authFail(c echo.Context, status int, code, msg string) error {
	return writeJSON(c, status, authBody{code, msg, status})
}

// authenticate is authenticateUser: it asks Supabase Auth who the bearer
// token belongs to, through runtime.Env.Fetch, on every request.
func (a *App) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodOptions {
			return next(c)
		}
		header, ok := c.Request().Header["Authorization"]
		if !ok || len(header) == 0 || header[0] == "" {
			return authFail(c, 401, "MISSING_AUTH_HEADER", "No authorization header provided")
		}
		parts := strings.Split(header[0], " ")
		if len(parts) != 2 || parts[0] != "Bearer" {
			return authFail(c, 401, "INVALID_AUTH_FORMAT", "Invalid authorization header format. Expected: Bearer <token>")
		}
		if parts[1] == "" {
			return authFail(c, 401, "MISSING_TOKEN", "No token provided")
		}
		user, authMsg, err := a.getUser(c, parts[1])
		if err != nil {
			a.consoleError(c, "[Auth] Unexpected error during authentication: %v", err)
			return authFail(c, 500, "INTERNAL_ERROR", "An unexpected error occurred during authentication")
		}
		if authMsg != "" {
			msg := strings.ToLower(authMsg)
			switch {
			case strings.Contains(msg, "expired"):
				return authFail(c, 401, "TOKEN_EXPIRED", "Token has expired")
			case strings.Contains(msg, "invalid"):
				return authFail(c, 401, "INVALID_TOKEN", "Invalid token")
			default:
				return authFail(c, 401, "AUTH_FAILED", "Authentication failed")
			}
		}
		if user.ID == "" {
			return authFail(c, 401, "USER_NOT_FOUND", "User not found")
		}
		c.Set(string(keyUserID), user.ID)
		c.Set(string(keyUserEmail), user.Email)
		return next(c)
	}
}

type authUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// getUser calls GET {SUPABASE_URL}/auth/v1/user. It returns the user, or
// the auth error's message as supabase-js would report it, or an error for
// what the original treats as an unexpected exception.
func (a *App) getUser(c echo.Context, token string) (authUser, string, error) {
	base := strings.TrimRight(a.env.Var("SUPABASE_URL"), "/")
	if base == "" {
		return authUser{}, "", errors.New("SUPABASE_URL is not configured")
	}
	req, err := http.NewRequestWithContext(c.Request().Context(), http.MethodGet, base+"/auth/v1/user", nil)
	if err != nil {
		return authUser{}, "", err
	}
	req.Header.Set("apikey", a.env.Var("SUPABASE_ANON_KEY"))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.env.Fetch.Do(req)
	if err != nil {
		// supabase-js reports a failed fetch as an AuthRetryableFetchError.
		return authUser{}, err.Error(), nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return authUser{}, err.Error(), nil
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Msg              string `json:"msg"`
			Message          string `json:"message"`
			ErrorDescription string `json:"error_description"`
			Error            string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		for _, m := range []string{e.Msg, e.Message, e.ErrorDescription, e.Error} {
			if m != "" {
				return authUser{}, m, nil
			}
		}
		return authUser{}, http.StatusText(resp.StatusCode), nil
	}
	var u authUser
	if err := json.Unmarshal(data, &u); err != nil {
		return authUser{}, "", fmt.Errorf("decoding /auth/v1/user: %w", err)
	}
	return u, "", nil
}

func userID(c echo.Context) string {
	v, _ := c.Get(string(keyUserID)).(string)
	return v
}

// ---- the per-user KV rate limiter (§3.2 B) ----

type limit struct {
	max    int
	window time.Duration
}

// endpointLimits is ENDPOINT_LIMITS plus the routes' explicit configs.
var endpointLimits = map[string]limit{
	"POST:/api/emails/send":           {10, time.Hour},
	"POST:/api/applications/generate": {20, time.Hour},
	"POST:/api/jobs/scrape":           {10, time.Hour},
	"POST:/api/resume/parse":          {20, time.Hour},
	"POST:/api/exports/pdf":           {30, time.Hour},
	"POST:/api/exports/docx":          {30, time.Hour},
	"POST:/api/exports/text":          {30, time.Hour},
	"GET:/api/auth/linkedin/initiate": {5, 15 * time.Minute},
}

var defaultLimit = limit{100, 15 * time.Minute}

type rateRecord struct {
	Count       int   `json:"count"`
	WindowStart int64 `json:"windowStart"`
}

// rateLimit is rateLimiter(): KV RATE_LIMITS, key
// rate:user:{userId}:{METHOD}:{path}. Differs from the original: the
// read-modify-write is serialised per key inside the process, so concurrent
// requests are counted exactly.
func (a *App) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid := userID(c)
		if uid == "" {
			return next(c)
		}
		req := c.Request()
		endpoint := req.Method + ":" + req.URL.Path
		lim, ok := endpointLimits[endpoint]
		if !ok {
			lim = defaultLimit
		}
		key := "rate:user:" + uid + ":" + endpoint
		h := c.Response().Header()
		ctx := req.Context()

		unlock := a.keyLocks.lock(key)
		t0 := a.clock.Now()
		now := t0
		rec := rateRecord{WindowStart: now.UnixMilli()}
		ent, err := a.rateLimits.Get(ctx, key)
		kvFailed := false
		switch {
		case err == nil:
			var stored rateRecord
			if json.Unmarshal(ent.Value, &stored) == nil && now.UnixMilli()-stored.WindowStart < lim.window.Milliseconds() {
				rec = stored
			}
		case errors.Is(err, runtime.ErrKVKeyNotFound):
		default:
			kvFailed = true
		}
		reset := time.UnixMilli(rec.WindowStart).Add(lim.window)
		if !kvFailed && rec.Count >= lim.max {
			unlock()
			secs := retryAfter(reset, now)
			h.Set("X-RateLimit-Limit", strconv.Itoa(lim.max))
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset", isoTime(reset))
			h.Set("Retry-After", strconv.Itoa(secs))
			a.consoleLog(c, "[RateLimit] User %s exceeded limit for %s (%d/%d)", uid, endpoint, rec.Count, lim.max)
			return writeJSON(c, http.StatusTooManyRequests, struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Details struct {
					Limit     int    `json:"limit"`
					Remaining int    `json:"remaining"`
					ResetAt   string `json:"resetAt"`
				} `json:"details"`
				StatusCode int `json:"statusCode"`
			}{
				Code: "RATE_LIMIT_EXCEEDED", Message: fmt.Sprintf("Rate limit exceeded. Try again in %d seconds.", secs),
				Details: struct {
					Limit     int    `json:"limit"`
					Remaining int    `json:"remaining"`
					ResetAt   string `json:"resetAt"`
				}{lim.max, 0, isoTime(reset)},
				StatusCode: http.StatusTooManyRequests,
			})
		}
		if !kvFailed {
			rec.Count++
			val, _ := json.Marshal(rec)
			if err := a.rateLimits.Put(ctx, key, val, runtime.KVPutOptions{ExpirationTTL: 3600}); err != nil {
				kvFailed = true
			}
		}
		unlock()
		if kvFailed {
			// Fail open, as the original does on a KV error.
			a.consoleError(c, "[RateLimit] KV error for %s, allowing request: %v", key, err)
			h.Set("X-RateLimit-Limit", strconv.Itoa(lim.max))
			h.Set("X-RateLimit-Remaining", strconv.Itoa(lim.max-1))
			h.Set("X-RateLimit-Reset", isoTime(now.Add(lim.window)))
			return next(c)
		}
		latency := a.clock.Now().Sub(t0)
		h.Set("X-RateLimit-Limit", strconv.Itoa(lim.max))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(lim.max-rec.Count))
		h.Set("X-RateLimit-Reset", isoTime(reset))
		a.consoleLog(c, "[RateLimit] User %s request %d/%d for %s (%sms latency)", uid, rec.Count, lim.max, endpoint, msString(latency))
		return next(c)
	}
}

// msString prints a latency in milliseconds with one decimal, e.g. "0.3".
func msString(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// keyedMutex serialises work per key.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
