package main

// The JobMatch team's Phase 2 test plan (the curl calls and expected log
// lines of their "Testing Phase 2 Changes" section), run word for word
// against a real `edge serve` on a loopback port with a fresh state dir. Only
// the origin changes (the plan's https://jobmatch-ai-dev.workers.dev becomes
// the test server's, which the built-in configuration's URLs follow too),
// and the token comes from the local Supabase Auth stand-in. The log lines are read
// as a developer reads them: from `edge tail --format json`.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

const (
	e2eAccount = "280c58ea17d9fe3235c33bd0a52a256b"
	e2eAnonKey = "edge-local-anon-key" // fixtures/.dev.vars SUPABASE_ANON_KEY
)

// ---- edge tail, as the test's log reader ----

// tailReader runs `edge tail --format json` against a server and keeps
// every event it prints.
type tailReader struct {
	mu     sync.Mutex
	events []runtime.TailEvent
	notify chan struct{}
}

func startTail(t *testing.T, base string) *tailReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"tail", "--url", base, "--format", "json"}, env(), outW, errW)
		outW.Close()
		errW.Close()
	}()
	errLines := bufio.NewScanner(errR)
	if !errLines.Scan() || !strings.HasPrefix(errLines.Text(), "Connected to "+base) {
		cancel()
		t.Fatalf("edge tail did not connect: %q", errLines.Text())
	}
	go func() {
		for errLines.Scan() {
		}
	}()
	tr := &tailReader{notify: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
		for sc.Scan() {
			var ev runtime.TailEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("edge tail --format json printed a line that is not an event: %q", sc.Text())
				continue
			}
			tr.mu.Lock()
			tr.events = append(tr.events, ev)
			tr.mu.Unlock()
			select {
			case tr.notify <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("edge tail returned %v", err)
		}
	})
	return tr
}

// mark is the number of events seen so far; wait looks only at later ones.
func (tr *tailReader) mark() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.events)
}

func logLines(ev runtime.TailEvent) []string {
	var out []string
	for _, l := range ev.Logs {
		parts := make([]string, len(l.Message))
		for i, m := range l.Message {
			parts[i] = fmt.Sprint(m)
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// waitEvent waits for the first event after mark for method and path (the
// tail event is published once the response is written, so it may trail
// the response by a moment).
func (tr *tailReader) waitEvent(t *testing.T, mark int, method, path string) runtime.TailEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		tr.mu.Lock()
		for _, ev := range tr.events[min(mark, len(tr.events)):] {
			u, err := url.Parse(ev.Event.Request.URL)
			if err == nil && ev.Event.Request.Method == method && u.Path == path {
				tr.mu.Unlock()
				return ev
			}
		}
		seen := len(tr.events)
		tr.mu.Unlock()
		select {
		case <-tr.notify:
		case <-deadline:
			t.Fatalf("no tail event for %s %s after event %d (saw %d events)", method, path, mark, seen)
		}
	}
}

// expectLines checks that the event's console lines contain lines matching
// the patterns, in this order, and returns the matches.
func expectLines(t *testing.T, ev runtime.TailEvent, patterns ...string) [][]string {
	t.Helper()
	lines := logLines(ev)
	var out [][]string
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		found := false
		for ; i < len(lines); i++ {
			if m := re.FindStringSubmatch(lines[i]); m != nil {
				out = append(out, m)
				found = true
				i++
				break
			}
		}
		if !found {
			t.Errorf("%s %s (%s): no log line matching %s (in order) among:\n  %s", ev.Event.Request.Method, ev.Event.Request.URL, eventStatus(ev), p, strings.Join(lines, "\n  "))
			return out
		}
	}
	return out
}

func eventStatus(ev runtime.TailEvent) string {
	if ev.Event.Response == nil {
		return ev.Outcome
	}
	return fmt.Sprintf("%s, %d", ev.Outcome, ev.Event.Response.Status)
}

// ms is the <n>ms of a log line: a non-negative decimal.
const ms = `(\d+(?:\.\d+)?)ms`

// ---- HTTP helpers ----

type e2eResp struct {
	status int
	header http.Header
	body   []byte
}

func (r e2eResp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func e2eDo(t *testing.T, method, u string, body any, header ...string) e2eResp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return e2eResp{resp.StatusCode, resp.Header, data}
}

// cfResult unwraps a Cloudflare v4 envelope.
func cfResult(t *testing.T, r e2eResp, v any) {
	t.Helper()
	var env struct {
		Success bool            `json:"success"`
		Errors  json.RawMessage `json:"errors"`
		Result  json.RawMessage `json:"result"`
	}
	r.json(t, &env)
	if r.status != 200 || !env.Success {
		t.Fatalf("REST API answered %d: %s", r.status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(env.Result, v); err != nil {
			t.Fatalf("result %s: %v", env.Result, err)
		}
	}
}

// kvNamespaceID finds a namespace's id by its title (the binding name).
func kvNamespaceID(t *testing.T, api, title string) string {
	t.Helper()
	var nss []struct{ ID, Title string }
	cfResult(t, e2eDo(t, "GET", api+"/storage/kv/namespaces?per_page=100", nil), &nss)
	for _, ns := range nss {
		if ns.Title == title {
			return ns.ID
		}
	}
	t.Fatalf("no KV namespace %s in %+v", title, nss)
	return ""
}

type kvKey struct {
	Name       string          `json:"name"`
	Expiration int64           `json:"expiration"`
	Metadata   json.RawMessage `json:"metadata"`
}

func kvKeys(t *testing.T, api, ns, prefix string) []kvKey {
	t.Helper()
	var keys []kvKey
	cfResult(t, e2eDo(t, "GET", api+"/storage/kv/namespaces/"+ns+"/keys?prefix="+url.QueryEscape(prefix), nil), &keys)
	return keys
}

// d1Query runs one statement through the D1 REST API and returns its rows.
func d1Query(t *testing.T, api, sql string, params ...any) []map[string]any {
	t.Helper()
	var dbs []struct{ UUID, Name string }
	cfResult(t, e2eDo(t, "GET", api+"/d1/database", nil), &dbs)
	id := ""
	for _, db := range dbs {
		if db.Name == "jobmatch-dev" {
			id = db.UUID
		}
	}
	if id == "" {
		t.Fatalf("no D1 database jobmatch-dev in %+v", dbs)
	}
	if params == nil {
		params = []any{}
	}
	var res []struct {
		Results []map[string]any `json:"results"`
		Success bool             `json:"success"`
	}
	cfResult(t, e2eDo(t, "POST", api+"/d1/database/"+id+"/query", map[string]any{"sql": sql, "params": params}), &res)
	if len(res) != 1 || !res[0].Success {
		t.Fatalf("D1 query %q: %+v", sql, res)
	}
	return res[0].Results
}

// signUp signs a user up through the Supabase Auth stand-in (/auth/v1), as
// the frontend's supabase-js does, and returns the session.
func signUp(t *testing.T, base, email, password string) (accessToken, userID string) {
	t.Helper()
	r := e2eDo(t, "POST", base+"/auth/v1/signup", map[string]string{"email": email, "password": password}, "apikey", e2eAnonKey)
	var sess struct {
		AccessToken string `json:"access_token"`
		User        struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.json(t, &sess)
	if r.status != 200 || sess.AccessToken == "" || sess.User.ID == "" {
		t.Fatalf("POST /auth/v1/signup: %d %s", r.status, r.body)
	}
	return sess.AccessToken, sess.User.ID
}

// ---- the plan ----

func TestPhase2TestPlanEndToEnd(t *testing.T) {
	s := startServe(t, env(), "--state-dir", t.TempDir())
	tail := startTail(t, s.URL)
	api := s.URL + "/client/v4/accounts/" + e2eAccount
	token, uid := signUp(t, s.URL, "phase2-plan@example.com", "phase2-password")
	bearer := []string{"Authorization", "Bearer " + token}
	idRe := regexp.QuoteMeta(uid)

	// (1) Rate limiting: GET /api/jobs.
	t.Run("1 rate limiting", func(t *testing.T) {
		m := tail.mark()
		r := e2eDo(t, "GET", s.URL+"/api/jobs", nil, bearer...)
		if r.status != 200 {
			t.Fatalf("GET /api/jobs = %d %s", r.status, r.body)
		}
		var list struct {
			Jobs  []any `json:"jobs"`
			Total *int  `json:"total"`
		}
		r.json(t, &list)
		if list.Jobs == nil || list.Total == nil || *list.Total != 0 {
			t.Errorf("GET /api/jobs body: %s", r.body)
		}
		if got := r.header.Get("X-RateLimit-Remaining"); got != "99" {
			t.Errorf("X-RateLimit-Remaining = %q", got)
		}
		ev := tail.waitEvent(t, m, "GET", "/api/jobs")
		expectLines(t, ev, `^\[RateLimit\] User `+idRe+` request 1/100 for GET:/api/jobs \(`+ms+` latency\)$`)
		// The same line reaches the process log.
		if want := "[RateLimit] User " + uid + " request 1/100 for GET:/api/jobs ("; !strings.Contains(s.stderr.String(), want) {
			t.Errorf("server log lacks %q", want)
		}
	})

	// (2) OAuth states: initiate, the state in KV, the whole flow through the
	// LinkedIn stand-in, and the per-user limit of 5 per 15 minutes.
	t.Run("2 oauth states", func(t *testing.T) {
		linkedinFlow(t, s, tail, api, bearer, uid, "")

		// Initiates 2..5 pass; the sixth within 15 minutes is refused.
		for i := 2; i <= 5; i++ {
			m := tail.mark()
			if r := e2eDo(t, "GET", s.URL+"/api/auth/linkedin/initiate", nil, bearer...); r.status != 200 {
				t.Fatalf("initiate #%d = %d %s", i, r.status, r.body)
			}
			// Its tail event is in before the next mark is taken.
			tail.waitEvent(t, m, "GET", "/api/auth/linkedin/initiate")
		}
		m := tail.mark()
		r := e2eDo(t, "GET", s.URL+"/api/auth/linkedin/initiate", nil, bearer...)
		// The window started at the first initiate: read it where the
		// limiter keeps it, in RATE_LIMITS.
		rl := kvNamespaceID(t, api, "RATE_LIMITS")
		rv := e2eDo(t, "GET", api+"/storage/kv/namespaces/"+rl+"/values/"+url.PathEscape("rate:user:"+uid+":GET:/api/auth/linkedin/initiate"), nil)
		var rec struct {
			Count       int   `json:"count"`
			WindowStart int64 `json:"windowStart"`
		}
		rv.json(t, &rec)
		if rec.Count != 5 {
			t.Errorf("rate record = %s, want count 5", rv.body)
		}
		reset := time.UnixMilli(rec.WindowStart).Add(15 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
		secs, _ := strconv.Atoi(r.header.Get("Retry-After"))
		want := fmt.Sprintf(`{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in %d seconds.","details":{"limit":5,"remaining":0,"resetAt":%q},"statusCode":429}`, secs, reset)
		if r.status != 429 || string(r.body) != want || secs < 880 || secs > 900 {
			t.Errorf("sixth initiate = %d %s\nwant 429 %s (Retry-After %q)", r.status, r.body, want, r.header.Get("Retry-After"))
		}
		for h, v := range map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset} {
			if got := r.header.Get(h); got != v {
				t.Errorf("sixth initiate %s = %q, want %q", h, got, v)
			}
		}
		ev := tail.waitEvent(t, m, "GET", "/api/auth/linkedin/initiate")
		expectLines(t, ev, `^\[RateLimit\] User `+idRe+` exceeded limit for GET:/api/auth/linkedin/initiate \(5/5\)$`)
	})

	// Not in the plan: the same LinkedIn flow for a user whose users row
	// exists before (the frontend's profile page calls GET /api/profile
	// first), from another browser, signing in as another LinkedIn member.
	t.Run("2b oauth import after GET /api/profile", func(t *testing.T) {
		tok2, uid2 := signUp(t, s.URL, "phase2-profile-first@example.com", "phase2-password")
		bearer2 := []string{"Authorization", "Bearer " + tok2}
		if r := e2eDo(t, "GET", s.URL+"/api/profile", nil, bearer2...); r.status != 200 {
			t.Fatalf("GET /api/profile = %d %s", r.status, r.body)
		}
		// Another LinkedIn member: users.email is UNIQUE, and the import
		// copies the member's email, so two JobMatch users cannot import
		// the same member (as in the original).
		linkedinFlow(t, s, tail, api, bearer2, uid2, "jordan.lee@example.com", "X-Forwarded-For", "198.51.100.7")
	})

	// (3) Embeddings cache: POST /api/jobs twice with the same text.
	var jobID string
	t.Run("3 embeddings cache", func(t *testing.T) {
		body := `{"title":"Software Engineer","description":"..."}` // the plan's -d, verbatim
		m := tail.mark()
		r := e2eDo(t, "POST", s.URL+"/api/jobs", body, bearer...)
		var job struct {
			ID     string `json:"id"`
			Title  string `json:"title"`
			Source string `json:"source"`
			UserID string `json:"user_id"`
		}
		r.json(t, &job)
		if r.status != 201 || job.ID == "" || job.Title != "Software Engineer" || job.Source != "manual" || job.UserID != uid {
			t.Fatalf("POST /api/jobs = %d %s", r.status, r.body)
		}
		jobID = job.ID
		ev := tail.waitEvent(t, m, "POST", "/api/jobs")
		expectLines(t, ev,
			`^\[EmbeddingsCache\] Layer 1 \(KV\) MISS in `+ms+`, calling Workers AI \(Layer 2\)$`,
			`^\[EmbeddingsCache\] ✓ Layer 2 \(Workers AI\) SUCCESS in `+ms+` \(total: `+ms+`\)$`,
			`^\[EmbeddingsCache\] Stored embedding in KV with 30-day TTL$`)
		for _, l := range logLines(ev) {
			if strings.Contains(l, "HIT") {
				t.Errorf("first call logged a hit: %q", l)
			}
		}
		// The embedding is in EMBEDDINGS_CACHE for 30 days.
		ens := kvNamespaceID(t, api, "EMBEDDINGS_CACHE")
		keys := kvKeys(t, api, ens, "embed:")
		if len(keys) != 1 || !regexp.MustCompile(`^embed:[0-9a-f]{16}$`).MatchString(keys[0].Name) {
			t.Errorf("EMBEDDINGS_CACHE keys = %+v", keys)
		} else if d := time.Until(time.Unix(keys[0].Expiration, 0)); d < 30*24*time.Hour-time.Minute || d > 30*24*time.Hour+time.Minute {
			t.Errorf("%s expires in %s, want 30 days", keys[0].Name, d)
		}

		m = tail.mark()
		r = e2eDo(t, "POST", s.URL+"/api/jobs", body, bearer...)
		if r.status != 201 {
			t.Fatalf("second POST /api/jobs = %d %s", r.status, r.body)
		}
		ev = tail.waitEvent(t, m, "POST", "/api/jobs")
		expectLines(t, ev, `^\[EmbeddingsCache\] ✓ Layer 1 \(KV\) HIT in `+ms+` \(total: `+ms+`\) - Cost savings!$`)
		for _, l := range logLines(ev) {
			if strings.Contains(l, "MISS") || strings.Contains(l, "Layer 2 (Workers AI)") {
				t.Errorf("second call went to Workers AI: %q", l)
			}
		}
	})

	// (4) AI Gateway cache: generate twice for that job.
	t.Run("4 ai gateway cache", func(t *testing.T) {
		if jobID == "" {
			t.Fatal("no job from step 3")
		}
		we := e2eDo(t, "POST", s.URL+"/api/profile/work-experience", map[string]any{
			"title": "Senior Software Engineer", "company": "Acme Corp", "description": "Led the platform team; cut p99 latency by 40%.",
			"start_date": "2021-03-01", "is_current": true,
		}, bearer...)
		if we.status != 200 {
			t.Fatalf("POST /api/profile/work-experience = %d %s", we.status, we.body)
		}
		gen := func() (e2eResp, runtime.TailEvent) {
			m := tail.mark()
			r := e2eDo(t, "POST", s.URL+"/api/applications/generate", fmt.Sprintf(`{"jobId":%q}`, jobID), bearer...)
			return r, tail.waitEvent(t, m, "POST", "/api/applications/generate")
		}
		checkBody := func(r e2eResp) {
			t.Helper()
			var app struct {
				ID       string `json:"id"`
				JobID    string `json:"jobId"`
				Status   string `json:"status"`
				Variants []struct {
					ID          string          `json:"id"`
					Name        string          `json:"name"`
					Resume      json.RawMessage `json:"resume"`
					CoverLetter string          `json:"coverLetter"`
					AIRationale []string        `json:"aiRationale"`
				} `json:"variants"`
				Selected string `json:"selectedVariantId"`
			}
			r.json(t, &app)
			if r.status != 201 || app.JobID != jobID || app.Status != "draft" || len(app.Variants) != 3 || app.Selected != app.Variants[0].ID {
				t.Fatalf("generate = %d %s", r.status, r.body)
			}
			for i, name := range []string{"Impact-Focused", "Keyword-Optimized", "Concise"} {
				v := app.Variants[i]
				if v.Name != name || len(v.Resume) < 2 || v.Resume[0] != '{' || v.CoverLetter == "" || len(v.AIRationale) == 0 {
					t.Errorf("variant %d = %s %.80s…, want %s with resume, coverLetter and aiRationale", i, v.Name, v.Resume, name)
				}
			}
		}
		r, ev := gen()
		checkBody(r)
		expectLines(t, ev, `^\[AI Gateway\] ✗ Cache MISS for application-generation \(Impact-Focused\) - Response will be cached$`)
		r, ev = gen()
		checkBody(r)
		expectLines(t, ev, `^\[AI Gateway\] ✓ Cache HIT for application-generation \(Impact-Focused\) - Cost savings!$`)
	})

	// (5) No token, and a token after logout.
	t.Run("5 auth failures", func(t *testing.T) {
		r := e2eDo(t, "GET", s.URL+"/api/jobs", nil)
		if want := `{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`; r.status != 401 || string(r.body) != want {
			t.Errorf("no token = %d %s, want 401 %s", r.status, r.body, want)
		}
		out := e2eDo(t, "POST", s.URL+"/auth/v1/logout", nil, append([]string{"apikey", e2eAnonKey}, bearer...)...)
		if out.status != 204 {
			t.Fatalf("POST /auth/v1/logout = %d %s", out.status, out.body)
		}
		r = e2eDo(t, "GET", s.URL+"/api/jobs", nil, bearer...)
		if want := `{"code":"AUTH_FAILED","message":"Authentication failed","statusCode":401}`; r.status != 401 || string(r.body) != want {
			t.Errorf("token after logout = %d %s, want 401 %s", r.status, r.body, want)
		}
	})
}

// linkedinFlow is the plan's OAuth states test for one user: initiate, the
// state in KV (value, expiration, metadata), then authUrl followed through
// the LinkedIn stand-in to the callback, the 302 to the app and the users
// row filled with the LinkedIn fields (read with the D1 REST API).
//
// browser holds the headers of the browser leg (authorization page and
// callback), e.g. its own X-Forwarded-For: the callback's IP limiter (10 per
// 15 min) shares its counts with the global one, so a client that has just
// made ten /api calls is refused there, as the original refuses it.
//
// member is the LinkedIn member the browser signs in as at the stand-in
// ("" for its demo member, Alex Morgan; else an email, sent as the
// OpenID login_hint, as the consent page's "Member email" field does).
func linkedinFlow(t *testing.T, s *server, tail *tailReader, api string, bearer []string, uid, member string, browser ...string) {
	t.Helper()
	idRe := regexp.QuoteMeta(uid)
	m := tail.mark()
	r := e2eDo(t, "GET", s.URL+"/api/auth/linkedin/initiate", nil, bearer...)
	if r.status != 200 {
		t.Fatalf("initiate = %d %s", r.status, r.body)
	}
	var init struct {
		AuthURL   string `json:"authUrl"`
		State     string `json:"state"`
		ExpiresAt string `json:"expiresAt"`
	}
	r.json(t, &init)
	if init.AuthURL == "" || init.State == "" {
		t.Fatalf("initiate body: %s", r.body)
	}
	ev := tail.waitEvent(t, m, "GET", "/api/auth/linkedin/initiate")
	expectLines(t, ev, `^\[OAuth\] LinkedIn auth initiated for user `+idRe+`, state stored in KV$`)

	// KV REST: oauth:<state> in OAUTH_STATES, expiring 600 s after the
	// server's clock stamped it.
	ns := kvNamespaceID(t, api, "OAUTH_STATES")
	key := "oauth:" + init.State
	keys := kvKeys(t, api, ns, key)
	if len(keys) != 1 || keys[0].Name != key {
		t.Fatalf("OAUTH_STATES keys with prefix %s = %+v, want [%s]", key, keys, key)
	}
	val := e2eDo(t, "GET", api+"/storage/kv/namespaces/"+ns+"/values/"+url.PathEscape(key), nil)
	var state struct {
		UserID    string `json:"userId"`
		Provider  string `json:"provider"`
		CreatedAt string `json:"createdAt"`
	}
	val.json(t, &state)
	if val.status != 200 || state.UserID != uid || state.Provider != "linkedin" {
		t.Fatalf("value of %s: %d %s", key, val.status, val.body)
	}
	if want := fmt.Sprintf(`{"userId":%q,"provider":"linkedin","createdAt":%q}`, uid, state.CreatedAt); string(val.body) != want {
		t.Errorf("value of %s = %s, want %s", key, val.body, want)
	}
	created, err := time.Parse(time.RFC3339Nano, state.CreatedAt)
	if err != nil {
		t.Fatalf("createdAt %q: %v", state.CreatedAt, err)
	}
	// KV stores an absolute expiration in whole seconds: createdAt+600,
	// rounded either way by at most a second.
	if exp := keys[0].Expiration; math.Abs(float64(exp)-float64(created.Add(600*time.Second).UnixMilli())/1000) > 1 {
		t.Errorf("%s expiration = %d (%s), want createdAt %s + 600 s", key, exp, time.Unix(exp, 0).UTC().Format(time.RFC3339), state.CreatedAt)
	}
	if want := created.Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z"); init.ExpiresAt != want {
		t.Errorf("expiresAt = %q, want %q", init.ExpiresAt, want)
	}
	meta := e2eDo(t, "GET", api+"/storage/kv/namespaces/"+ns+"/metadata/"+url.PathEscape(key), nil)
	var md json.RawMessage
	cfResult(t, meta, &md)
	if s := string(md); s != "null" && s != "" {
		t.Errorf("metadata of %s = %s, want null (the Worker puts none)", key, s)
	}

	// Follow authUrl through the stand-in (a browser would): the
	// authorization page approves as the demo member and redirects to
	// the callback, which imports the profile and redirects to the app.
	// Both are on the server's own origin (the built-in configuration's
	// URLs follow the address it is bound to).
	au, err := url.Parse(init.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	if q := au.Query(); q.Get("state") != init.State || q.Get("response_type") != "code" || q.Get("scope") != "openid profile email" ||
		q.Get("redirect_uri") != s.URL+"/api/auth/linkedin/callback" {
		t.Errorf("authUrl query: %s", au.RawQuery)
	}
	if !strings.HasPrefix(init.AuthURL, s.URL+"/_edge/linkedin/oauth/v2/authorization?") {
		t.Errorf("authUrl = %s, want the stand-in on %s", init.AuthURL, s.URL)
	}
	authURL := init.AuthURL
	if member != "" {
		authURL += "&login_hint=" + url.QueryEscape(member)
	}
	auth := e2eDo(t, "GET", authURL, nil, browser...)
	loc := auth.header.Get("Location")
	if auth.status != http.StatusFound || !strings.HasPrefix(loc, s.URL+"/api/auth/linkedin/callback?") {
		t.Fatalf("authorization page = %d Location %q %s", auth.status, loc, auth.body)
	}
	m = tail.mark()
	cb := e2eDo(t, "GET", loc, nil, browser...)
	if cb.status != http.StatusFound || cb.header.Get("Location") != "http://localhost:5173/profile?linkedin=success" {
		ev := tail.waitEvent(t, m, "GET", "/api/auth/linkedin/callback")
		t.Errorf("callback = %d Location %q, want 302 to http://localhost:5173/profile?linkedin=success; the Worker logged:\n  %s",
			cb.status, cb.header.Get("Location"), strings.Join(logLines(ev), "\n  "))
		return
	}
	ev = tail.waitEvent(t, m, "GET", "/api/auth/linkedin/callback")
	expectLines(t, ev,
		`^\[OAuth\] State token verified and deleted for user `+idRe+`$`,
		`^Successfully imported LinkedIn data for user `+idRe+`$`)
	if keys := kvKeys(t, api, ns, key); len(keys) != 0 {
		t.Errorf("state not deleted after the callback: %+v", keys)
	}
	rows := d1Query(t, api, `SELECT first_name, last_name, email, linkedin_url, linkedin_imported, linkedin_imported_at,
		linkedin_limited_access, profile_image_url, locale FROM users WHERE id = ?`, uid)
	if len(rows) != 1 {
		t.Fatalf("users row of %s: %+v", uid, rows)
	}
	row := rows[0]
	wantEmail, wantURL := "alex.morgan@example.com", "https://www.linkedin.com/in/d3moAlexMg"
	if member != "" {
		wantEmail, wantURL = member, ""
		if u, _ := row["linkedin_url"].(string); !regexp.MustCompile(`^https://www\.linkedin\.com/in/[A-Za-z0-9_-]{10}$`).MatchString(u) {
			t.Errorf("users.linkedin_url = %#v", row["linkedin_url"])
		}
	}
	for col, want := range map[string]any{
		"first_name": "Alex", "last_name": "Morgan", "email": wantEmail, "linkedin_url": wantURL, "linkedin_imported": 1.0,
		"linkedin_limited_access": 1.0, "locale": "en_US",
	} {
		if col == "linkedin_url" && want == "" {
			continue
		}
		if row[col] != want {
			t.Errorf("users.%s = %#v, want %#v", col, row[col], want)
		}
	}
	if s, _ := row["linkedin_imported_at"].(string); s == "" {
		t.Errorf("users.linkedin_imported_at = %#v", row["linkedin_imported_at"])
	}
	if s, _ := row["profile_image_url"].(string); s == "" {
		t.Errorf("users.profile_image_url = %#v", row["profile_image_url"])
	}
}

// TestSupabaseJSClient drives the Auth stand-in with the real
// @supabase/supabase-js: signUp, signInWithPassword, getUser,
// refreshSession (rotation), updateUser, signOut and GoTrue's errors.
func TestSupabaseJSClient(t *testing.T) {
	s := startServe(t, env(), "--in-memory")
	runClient(t, "supabase.mjs", s.URL, e2eAnonKey)
}
