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
	// The original's members in its order, its words for rateLimit and notes.
	if !strings.HasPrefix(string(r.body), `{"name":"JobMatch AI API","version":"1.0.0","runtime":"Cloudflare Workers","endpoints":{"applications":{"POST /api/applications/generate":"Generate application variants for a job",`) ||
		!strings.HasSuffix(string(r.body), `},"authentication":"Bearer token in Authorization header","rateLimit":{"global":"100 requests/minute per IP","emails":"10 emails/hour per user","applications":"20 generations/hour per user","scraping":"10 scrapes/hour per user"},"notes":["PDF/DOCX export returns data for client-side generation","Resume parsing works best with image files (PNG, JPEG)","Job scraping feature is coming soon"]}`) {
		t.Errorf("GET /api shape: %s", r.body)
	}
	// Every route served is listed, under its group, and nothing else.
	endpoints, _ := body["endpoints"].(map[string]any)
	listed := map[string]bool{}
	for group, routes := range endpoints {
		for route, desc := range routes.(map[string]any) {
			if routeGroup(route) != group || desc == "" {
				t.Errorf("%s listed under %s as %q", route, group, desc)
			}
			listed[route] = true
		}
	}
	for route := range servedRoutes(ta.app.e) {
		if !listed[route] {
			t.Errorf("%s is served but GET /api does not list it: describe it in routeDocs (docs.go)", route)
		}
		delete(listed, route)
	}
	for route := range listed {
		t.Errorf("%s is listed but not served", route)
	}
	for _, g := range []string{"applications", "jobs", "auth", "profile", "skills", "files", "tracked-applications", "billing", "usage"} {
		if endpoints[g] == nil {
			t.Errorf("group %s missing: %v", g, endpoints)
		}
	}
}

// HEAD runs the GET route: its status and headers, no body.
func TestHeadMirrorsGet(t *testing.T) {
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	for _, tc := range []struct {
		path   string
		status int
		hdrs   []string
	}{
		{"/health", 200, nil},
		{"/api", 200, nil},
		{"/api/nope", 404, nil},
		{"/api/profile", 401, nil},
		{"/api/profile", 200, auth(tok)},
		{"/api/skills", 200, auth(tok)},
		{"/api/tracked-applications", 200, auth(tok)},
		{"/api/skills/x/extra", 404, auth(tok)},
	} {
		get := ta.do(t, "GET", tc.path, nil, tc.hdrs...)
		head := ta.do(t, "HEAD", tc.path, nil, tc.hdrs...)
		if get.status != tc.status || head.status != tc.status || len(head.body) != 0 {
			t.Errorf("HEAD %s: %d %q (GET %d), want %d and no body", tc.path, head.status, head.body, get.status, tc.status)
		}
		for _, k := range []string{"Content-Type", "Access-Control-Allow-Origin", "Vary", "X-Frame-Options", "X-RateLimit-Limit"} {
			if head.header.Get(k) != get.header.Get(k) {
				t.Errorf("HEAD %s: %s = %q, GET has %q", tc.path, k, head.header.Get(k), get.header.Get(k))
			}
		}
		if cl := head.header.Get("Content-Length"); cl != fmt.Sprint(len(get.body)) {
			t.Errorf("HEAD %s: Content-Length %q, the GET body has %d bytes", tc.path, cl, len(get.body))
		}
	}
	// A path with no GET route is the GET's 404.
	if r := ta.do(t, "HEAD", "/api/files/upload", nil, auth(tok)...); r.status != 404 || len(r.body) != 0 {
		t.Errorf("HEAD of a POST-only path: %d %q", r.status, r.body)
	}
}

// Auth sits where the original puts it: per route, except the analytics
// router, which authenticates every path under it.
func TestAuthPlacement(t *testing.T) {
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	missing := `{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`
	notFound := func(method, path string) string {
		return fmt.Sprintf(`{"code":"NOT_FOUND","message":"Route %s %s not found","statusCode":404}`, method, path)
	}
	for _, tc := range []struct {
		method, path string
		headers      []string
		status       int
		body         string
	}{
		{"GET", "/api/analytics/anything", nil, 401, missing},
		{"GET", "/api/analytics", nil, 401, missing},
		{"POST", "/api/analytics/a/b", nil, 401, missing},
		{"GET", "/api/analytics/anything", []string{"Authorization", "Token x"}, 401,
			`{"code":"INVALID_AUTH_FORMAT","message":"Invalid authorization header format. Expected: Bearer <token>","statusCode":401}`},
		{"GET", "/api/analytics/anything", auth(tok), 404, notFound("GET", "/api/analytics/anything")},
		{"GET", "/api/analytics", auth(tok), 404, notFound("GET", "/api/analytics")},
		{"DELETE", "/api/analytics/a/b", auth(tok), 404, notFound("DELETE", "/api/analytics/a/b")},
		// Elsewhere auth is per route: an unknown path is a 404 first.
		{"GET", "/api/skills/x/extra", nil, 404, notFound("GET", "/api/skills/x/extra")},
		{"GET", "/api/tracked-applications/x/y", nil, 404, notFound("GET", "/api/tracked-applications/x/y")},
		{"GET", "/api/billing/nope", nil, 404, notFound("GET", "/api/billing/nope")},
		{"GET", "/api/analyticsx", nil, 404, notFound("GET", "/api/analyticsx")},
		// And a known one answers 401 without a token.
		{"GET", "/api/billing/subscription", nil, 401, missing},
		{"GET", "/api/usage/metrics", nil, 401, missing},
		{"GET", "/api/tracked-applications", nil, 401, missing},
		{"GET", "/api/auth/linkedin", nil, 401, missing},
	} {
		r := ta.do(t, tc.method, tc.path, nil, tc.headers...)
		if r.status != tc.status || string(r.body) != tc.body {
			t.Errorf("%s %s: %d %s\nwant %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.body)
		}
		if r.header.Get("X-RateLimit-Limit") != "100" {
			t.Errorf("%s %s: no IP limiter headers", tc.method, tc.path)
		}
	}
}

// A route parameter is exactly one non-empty path segment.
func TestParamsAreOneSegment(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	r := ta.do(t, "POST", "/api/skills", map[string]any{"name": "Go"}, auth(tok)...)
	id, _ := r.json(t)["skill"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("POST /api/skills: %d %s", r.status, r.body)
	}
	for _, tc := range []struct{ method, path string }{
		{"PATCH", "/api/skills/" + id + "/extra"},
		{"PATCH", "/api/skills/" + id + "/"},
		{"DELETE", "/api/skills/" + id + "/x/y"},
		{"PATCH", "/api/profile/skills/" + id + "/extra"},
		{"GET", "/api/tracked-applications/" + id + "/extra"},
		{"GET", "/api/files/download/users/" + uid + "/resumes/cv.pdf"},
		{"GET", "/api/files/avatar/" + uid + "/x"},
		{"PATCH", "/api/skills/"},
	} {
		for _, hdrs := range [][]string{auth(tok), nil} {
			r := ta.do(t, tc.method, tc.path, map[string]any{"name": "Rust"}, hdrs...)
			want := fmt.Sprintf(`{"code":"NOT_FOUND","message":"Route %s %s not found","statusCode":404}`, tc.method, tc.path)
			if r.status != 404 || string(r.body) != want {
				t.Errorf("%s %s (token %v): %d %s\nwant %s", tc.method, tc.path, hdrs != nil, r.status, r.body, want)
			}
		}
	}
	// The skill is unchanged; the one-segment routes still work, with an
	// encoded slash kept inside its segment.
	r = ta.do(t, "GET", "/api/skills", nil, auth(tok)...)
	if !strings.Contains(string(r.body), `"name":"Go"`) {
		t.Errorf("skill changed: %s", r.body)
	}
	if r := ta.do(t, "PATCH", "/api/skills/"+id, map[string]any{"name": "Rust"}, auth(tok)...); r.status != 200 {
		t.Errorf("PATCH /api/skills/%s: %d %s", id, r.status, r.body)
	}
	if r := ta.do(t, "PATCH", "/api/skills/a%2Fb", map[string]any{"name": "Rust"}, auth(tok)...); r.status != 404 ||
		string(r.body) != `{"error":"Skill not found or access denied"}` {
		t.Errorf("PATCH /api/skills/a%%2Fb: %d %s", r.status, r.body)
	}
	// Escapes in static segments are decoded before routing, as Hono's
	// decodeURI does.
	if r := ta.do(t, "GET", "/api/%73kills", nil, auth(tok)...); r.status != 200 {
		t.Errorf("GET /api/%%73kills: %d %s", r.status, r.body)
	}
}

func TestRoutingPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"/api/skills/x", "", false},
		{"/api/files/users%2Fu%2Fa.pdf", "/api/files/users%2Fu%2Fa.pdf", true},
		{"/api/files/100%25.txt", "/api/files/100%25.txt", true},
		{"/api/%73kills/r%C3%A9sum%C3%A9", "/api/skills/r\u00e9sum\u00e9", true},
		{"/api/files/a%2fb%20c", "/api/files/a%2fb c", true},
		{"/bad%zz/%4", "/bad%zz/%4", true},
	} {
		got, ok := routingPath(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("routingPath(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// useLinkedInAuth calls /api/auth/linkedin: the initiate route, counted in
// initiate's per-user bucket (5 per 15 minutes).
func TestLinkedInAlias(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	for i := 1; i <= 5; i++ {
		path := "/api/auth/linkedin"
		if i%2 == 0 {
			path += "/initiate"
		}
		r := ta.do(t, "GET", path, nil, auth(tok)...)
		body := r.json(t)
		if r.status != 200 || !strings.Contains(body["authUrl"].(string), "state="+body["state"].(string)) ||
			r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Remaining") != fmt.Sprint(5-i) {
			t.Fatalf("%s #%d: %d %s %v", path, i, r.status, r.body, r.header)
		}
	}
	r := ta.do(t, "GET", "/api/auth/linkedin", nil, auth(tok)...)
	want := `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 900 seconds.","details":{"limit":5,"remaining":0,"resetAt":"2030-01-01T00:15:00.000Z"},"statusCode":429}`
	if r.status != 429 || string(r.body) != want {
		t.Errorf("6th: %d %s", r.status, r.body)
	}
	ent, err := ta.Env.KV["RATE_LIMITS"].Get(t.Context(), "rate:user:"+uid+":GET:/api/auth/linkedin/initiate")
	if err != nil || string(ent.Value) != `{"count":5,"windowStart":1893456000000}` {
		t.Errorf("KV record: %s %v", ent.Value, err)
	}
	if _, err := ta.Env.KV["RATE_LIMITS"].Get(t.Context(), "rate:user:"+uid+":GET:/api/auth/linkedin"); err == nil {
		t.Errorf("the alias has a bucket of its own")
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
