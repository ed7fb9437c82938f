package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"
)

func TestHealthHeadersAndCORS(t *testing.T) {
	ta := newTestApp(t)
	r := ta.do(t, "GET", "/health", nil)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	want := map[string]any{"status": "healthy", "timestamp": "2030-01-01T00:00:00.000Z", "version": "1.0.0", "environment": "development", "runtime": "Cloudflare Workers"}
	if d := cmp.Diff(want, r.json(t)); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
	if got := string(r.body); !strings.HasPrefix(got, `{"status":"healthy","timestamp":`) {
		t.Errorf("key order: %s", got)
	}
	for _, kv := range securityHeaders {
		if got := r.header.Get(kv[0]); got != kv[1] {
			t.Errorf("%s = %q, want %q", kv[0], got, kv[1])
		}
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true", "Vary": "Origin",
		"Access-Control-Expose-Headers": "X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset,Retry-After",
		"Content-Type":                  "application/json", "X-RateLimit-Limit": "", "X-RateLimit-Remaining": "",
	} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, tc := range []struct{ origin, want string }{
		{"http://localhost:5173", "http://localhost:5173"},
		{"http://127.0.0.1:3000", "http://127.0.0.1:3000"},
		{"https://feature-x.jobmatch-ai-dev.pages.dev", "https://feature-x.jobmatch-ai-dev.pages.dev"},
		{"https://FEATURE.jobmatch-ai-dev.pages.dev", "https://FEATURE.jobmatch-ai-dev.pages.dev"},
		{"https://jobmatch-ai.pages.dev", "https://jobmatch-ai.pages.dev"},
		{"https://evil.com", ""},
		{"http://localhost:8080", ""},
	} {
		r := ta.do(t, "GET", "/health", nil, "Origin", tc.origin)
		if got := r.header.Get("Access-Control-Allow-Origin"); got != tc.want || r.status != 200 {
			t.Errorf("origin %s: ACAO %q status %d, want %q", tc.origin, got, r.status, tc.want)
		}
	}
}

func TestDevOriginsOnlyInDevelopment(t *testing.T) {
	ta := newTestApp(t, emulatortestEnv("staging"))
	r := ta.do(t, "GET", "/health", nil, "Origin", "http://localhost:3000")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("staging reflected a dev origin: %q", got)
	}
	if r.json(t)["environment"] != "staging" {
		t.Errorf("environment = %v", r.json(t)["environment"])
	}
	// APP_URL stays allowed everywhere.
	if got := ta.do(t, "GET", "/health", nil, "Origin", "http://localhost:5173").header.Get("Access-Control-Allow-Origin"); got != "http://localhost:5173" {
		t.Errorf("APP_URL not reflected: %q", got)
	}
	r = ta.do(t, "GET", "/api", nil)
	if r.status != 403 || string(r.body) != `{"message":"API documentation available in development mode"}` {
		t.Errorf("GET /api outside development: %d %s", r.status, r.body)
	}
}

func TestPreflight(t *testing.T) {
	ta := newTestApp(t)
	r := ta.do(t, "OPTIONS", "/api/applications/generate", nil, "Origin", "http://localhost:5173")
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("preflight: %d %q", r.status, r.body)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":  "http://localhost:5173",
		"Access-Control-Allow-Methods": "GET,POST,PATCH,PUT,DELETE,OPTIONS",
		"Access-Control-Allow-Headers": "Content-Type,Authorization,X-Requested-With",
		"Access-Control-Max-Age":       "86400",
		"Vary":                         "Origin, Access-Control-Request-Headers",
		"Content-Type":                 "", "X-RateLimit-Limit": "",
		"X-Frame-Options": "SAMEORIGIN",
	} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestNotFoundAndStrictRouting(t *testing.T) {
	ta := newTestApp(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/nope"}, {"GET", "/health/"}, {"POST", "/health"}, {"GET", "/nothing"}, {"DELETE", "/api"},
	} {
		r := ta.do(t, tc.method, tc.path, nil)
		want := fmt.Sprintf(`{"code":"NOT_FOUND","message":"Route %s %s not found","statusCode":404}`, tc.method, tc.path)
		if r.status != 404 || string(r.body) != want {
			t.Errorf("%s %s: %d %s\nwant %s", tc.method, tc.path, r.status, r.body, want)
		}
	}
	r := ta.do(t, "GET", "/api/nope", nil, "X-Forwarded-For", "9.9.9.9")
	if r.header.Get("X-RateLimit-Limit") != "100" || r.header.Get("X-RateLimit-Remaining") != "99" {
		t.Errorf("404 under /api lacks the IP limiter's headers: %v", r.header)
	}
}

func TestDocsInDevelopment(t *testing.T) {
	ta := newTestApp(t)
	r := ta.do(t, "GET", "/api", nil)
	body := r.json(t)
	if r.status != 200 || body["name"] != "JobMatch AI API" || body["authentication"] != "Bearer token in Authorization header" {
		t.Errorf("GET /api: %d %v", r.status, body)
	}
}

func TestAuthErrors(t *testing.T) {
	ta := newTestApp(t)
	ta.app.e.GET("/api/test/protected", func(c echo.Context) error {
		return writeJSON(c, 200, map[string]string{"userId": userID(c)})
	}, ta.app.authenticate)
	tok, uid := ta.token(t, "ada@example.com")
	body := func(code, msg string) string {
		return fmt.Sprintf(`{"code":%q,"message":%q,"statusCode":401}`, code, msg)
	}
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
		want    string
	}{
		{"ok", auth(tok), 200, fmt.Sprintf(`{"userId":%q}`, uid)},
		{"no header", nil, 401, body("MISSING_AUTH_HEADER", "No authorization header provided")},
		{"wrong scheme", []string{"Authorization", "Token x"}, 401, body("INVALID_AUTH_FORMAT", "Invalid authorization header format. Expected: Bearer <token>")},
		{"lower-case scheme", []string{"Authorization", "bearer " + tok}, 401, body("INVALID_AUTH_FORMAT", "Invalid authorization header format. Expected: Bearer <token>")},
		{"three parts", []string{"Authorization", "Bearer a b"}, 401, body("INVALID_AUTH_FORMAT", "Invalid authorization header format. Expected: Bearer <token>")},
		{"malformed token", auth("garbage"), 401, body("INVALID_TOKEN", "Invalid token")},
		{"bad signature", auth(tok[:len(tok)-4] + "AAAA"), 401, body("INVALID_TOKEN", "Invalid token")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.do(t, "GET", "/api/test/protected", nil, tc.headers...)
			if r.status != tc.status || string(r.body) != tc.want {
				t.Errorf("%d %s\nwant %d %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}

	// "Bearer " with an empty token: HTTP trims the trailing space on the
	// wire, so this only happens in-process.
	req := httptest.NewRequest("GET", "/api/test/protected", nil)
	req.Header["Authorization"] = []string{"Bearer "}
	rec := httptest.NewRecorder()
	ta.app.ServeHTTP(rec, req)
	if rec.Code != 401 || rec.Body.String() != body("MISSING_TOKEN", "No token provided") {
		t.Errorf("empty token: %d %s", rec.Code, rec.Body)
	}

	// Expired: advance the clock past the token's hour.
	ta.Clock.Advance(time.Hour)
	r := ta.do(t, "GET", "/api/test/protected", nil, auth(tok)...)
	if r.status != 401 || string(r.body) != body("TOKEN_EXPIRED", "Token has expired") {
		t.Errorf("expired: %d %s", r.status, r.body)
	}

	// Revoked session (logout): GoTrue says "Session from session_id claim in JWT does not exist".
	tok2, _ := ta.token(t, "bob@example.com")
	req, _ = http.NewRequest("POST", ta.URL+"/auth/v1/logout", nil)
	req.Header.Set("apikey", ta.Env.Var("SUPABASE_ANON_KEY"))
	req.Header.Set("Authorization", "Bearer "+tok2)
	resp, err := ta.Client.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("logout: %v %v", err, resp)
	}
	resp.Body.Close()
	r = ta.do(t, "GET", "/api/test/protected", nil, auth(tok2)...)
	if r.status != 401 || string(r.body) != body("AUTH_FAILED", "Authentication failed") {
		t.Errorf("after logout: %d %s", r.status, r.body)
	}
}

func TestAuthWithoutSupabaseURL(t *testing.T) {
	ta := newTestApp(t)
	ta.app.e.GET("/api/test/protected", func(c echo.Context) error { return c.NoContent(204) }, ta.app.authenticate)
	delete(ta.Env.Vars, "SUPABASE_URL")
	r := ta.do(t, "GET", "/api/test/protected", nil, auth("x")...)
	if r.status != 500 || string(r.body) != `{"code":"INTERNAL_ERROR","message":"An unexpected error occurred during authentication","statusCode":500}` {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestIPLimiter(t *testing.T) {
	ta := newTestApp(t)
	for i := 1; i <= 100; i++ {
		r := ta.do(t, "GET", "/api/nope", nil, "X-Forwarded-For", "1.2.3.4, 5.6.7.8")
		if r.status != 404 || r.header.Get("X-RateLimit-Remaining") != fmt.Sprint(100-i) {
			t.Fatalf("request %d: %d remaining %q", i, r.status, r.header.Get("X-RateLimit-Remaining"))
		}
	}
	ta.Clock.Advance(30 * time.Second)
	r := ta.do(t, "GET", "/api/nope", nil, "X-Forwarded-For", "1.2.3.4")
	if r.status != 429 || string(r.body) != `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 30 seconds.","statusCode":429}` {
		t.Errorf("101st: %d %s", r.status, r.body)
	}
	for k, v := range map[string]string{"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2030-01-01T00:01:00.000Z", "Retry-After": "30"} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// Another IP is unaffected; /health is never limited.
	if r := ta.do(t, "GET", "/api/nope", nil, "CF-Connecting-IP", "1.2.3.4", "X-Forwarded-For", "7.7.7.7"); r.status != 429 {
		t.Errorf("CF-Connecting-IP wins over X-Forwarded-For: %d", r.status)
	}
	if r := ta.do(t, "GET", "/api/nope", nil, "X-Forwarded-For", "7.7.7.7"); r.status != 404 {
		t.Errorf("other IP: %d", r.status)
	}
	if r := ta.do(t, "GET", "/health", nil, "X-Forwarded-For", "1.2.3.4"); r.status != 200 {
		t.Errorf("/health limited: %d", r.status)
	}
	// The window restarts only strictly after 60 s.
	ta.Clock.Advance(30 * time.Second)
	if r := ta.do(t, "GET", "/api/nope", nil, "X-Forwarded-For", "1.2.3.4"); r.status != 429 {
		t.Errorf("at exactly 60 s: %d", r.status)
	}
	ta.Clock.Advance(time.Millisecond)
	if r := ta.do(t, "GET", "/api/nope", nil, "X-Forwarded-For", "1.2.3.4"); r.status != 404 || r.header.Get("X-RateLimit-Remaining") != "99" {
		t.Errorf("after the window: %d %v", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
}

func TestUserRateLimiter(t *testing.T) {
	ta := newTestApp(t)
	ta.app.e.GET("/api/auth/linkedin/test", func(c echo.Context) error { return c.NoContent(204) }, ta.app.authenticate, ta.app.rateLimit)
	tok, uid := ta.token(t, "ada@example.com")
	// Default limit: 100 per 15 minutes, key rate:user:{id}:GET:{path}.
	r := ta.do(t, "GET", "/api/auth/linkedin/test", nil, auth(tok)...)
	if r.status != 204 || r.header.Get("X-RateLimit-Limit") != "100" || r.header.Get("X-RateLimit-Remaining") != "99" ||
		r.header.Get("X-RateLimit-Reset") != "2030-01-01T00:15:00.000Z" {
		t.Fatalf("first: %d %v", r.status, r.header)
	}
	ent, err := ta.Env.KV["RATE_LIMITS"].Get(t.Context(), "rate:user:"+uid+":GET:/api/auth/linkedin/test")
	if err != nil || string(ent.Value) != `{"count":1,"windowStart":1893456000000}` {
		t.Fatalf("KV record: %s %v", ent.Value, err)
	}
	if ent.Expiration != ta.Clock.Now().Unix()+3600 {
		t.Errorf("KV TTL: expiration %d", ent.Expiration)
	}
}

func TestUserRateLimiterExactUnderConcurrency(t *testing.T) {
	ta := newTestApp(t)
	ta.app.e.GET("/api/test/limited", func(c echo.Context) error { return c.NoContent(204) }, ta.app.authenticate, ta.app.rateLimit)
	tok, uid := ta.token(t, "ada@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for i := 0; i < 150; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Spread over IPs so the IP limiter (100/min) is not what stops them.
			r := ta.do(t, "GET", "/api/test/limited", nil, append(auth(tok), "X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i%3))...)
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if counts[204] != 100 || counts[429] != 50 {
		t.Errorf("150 concurrent requests against 100: %v", counts)
	}
	ent, _ := ta.Env.KV["RATE_LIMITS"].Get(t.Context(), "rate:user:"+uid+":GET:/api/test/limited")
	if string(ent.Value) != `{"count":100,"windowStart":1893456000000}` {
		t.Errorf("record: %s", ent.Value)
	}
	r := ta.do(t, "GET", "/api/test/limited", nil, auth(tok)...)
	want := `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 900 seconds.","details":{"limit":100,"remaining":0,"resetAt":"2030-01-01T00:15:00.000Z"},"statusCode":429}`
	if r.status != 429 || string(r.body) != want || r.header.Get("Retry-After") != "900" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429: %d %s %v", r.status, r.body, r.header)
	}
	// A new window starts when the old one is over.
	ta.Clock.Advance(15 * time.Minute)
	if r := ta.do(t, "GET", "/api/test/limited", nil, auth(tok)...); r.status != 204 || r.header.Get("X-RateLimit-Remaining") != "99" {
		t.Errorf("new window: %d %v", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
}

func TestErrorHandler(t *testing.T) {
	for _, tc := range []struct {
		env, want string
	}{
		{"development", `{"code":"INTERNAL_ERROR","message":"boom","statusCode":500,"stack":"*errors.errorString: boom\n    at GET /api/test/boom"}`},
		{"production", `{"code":"INTERNAL_ERROR","message":"An unexpected error occurred","statusCode":500}`},
	} {
		t.Run(tc.env, func(t *testing.T) {
			ta := newTestApp(t, emulatortestEnv(tc.env))
			ta.app.e.GET("/api/test/boom", func(c echo.Context) error { return fmt.Errorf("boom") })
			ta.app.e.GET("/api/test/missing", func(c echo.Context) error { return notFoundError("Job", "j1") })
			r := ta.do(t, "GET", "/api/test/boom", nil)
			if r.status != 500 || string(r.body) != tc.want {
				t.Errorf("%d %s\nwant %s", r.status, r.body, tc.want)
			}
			r = ta.do(t, "GET", "/api/test/missing", nil)
			got := r.json(t)
			delete(got, "stack")
			want := map[string]any{"code": "NOT_FOUND", "message": "Job with ID j1 not found", "statusCode": float64(404), "details": map[string]any{"resource": "Job", "id": "j1"}}
			if d := cmp.Diff(want, got); r.status != 404 || d != "" {
				t.Errorf("404: %d %s", r.status, d)
			}
		})
	}
}

func TestMissingBindingsNamed(t *testing.T) {
	ta := newTestApp(t)
	env := *ta.Env
	env.KV = map[string]runtimeKV{}
	for k, v := range ta.Env.KV {
		if k != "OAUTH_STATES" {
			env.KV[k] = v
		}
	}
	_, err := New(&env, Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "jobmatch api: missing bindings: OAUTH_STATES (declare them in wrangler.toml for this environment; have: ") {
		t.Errorf("err = %v", err)
	}
	_ = http.StatusOK
}
