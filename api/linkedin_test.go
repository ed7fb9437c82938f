package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

// linkedinApp is a test app whose LinkedIn calls reach the stand-in, with
// the Worker's console lines captured.
type linkedinApp struct {
	*testApp
	// li sends requests the way a browser follows redirects by hand: to any
	// emulated origin (127.0.0.1:8787 in the shipped config) in-process,
	// without following redirects.
	li   *http.Client
	logs *logSink
}

func newLinkedInApp(t *testing.T, opts ...emulatortest.Option) *linkedinApp {
	t.Helper()
	ta := newTestApp(t, opts...)
	ensureLinkedInStandIn(t, ta)
	sink := &logSink{}
	next := ta.Env.Tail
	ta.Env.Tail = func(ev runtime.TailEvent) {
		sink.add(ev)
		if next != nil {
			next(ev)
		}
	}
	li := &http.Client{Transport: ta.Env.Fetch.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &linkedinApp{testApp: ta, li: li, logs: sink}
}

// ensureLinkedInStandIn checks that the emulator serves the LinkedIn
// stand-in (emulator.New opens it).
func ensureLinkedInStandIn(t *testing.T, ta *testApp) {
	t.Helper()
	resp, err := ta.Client.Get(ta.URL + "/_edge/linkedin/oauth/v2/authorization")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Fatal("the emulator does not serve the LinkedIn stand-in at /_edge/linkedin/")
	}
}

// logSink collects console lines as "level: message".
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *logSink) add(ev runtime.TailEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range ev.Logs {
		for _, m := range l.Message {
			s.lines = append(s.lines, fmt.Sprintf("%s: %v", l.Level, m))
		}
	}
}

// take returns the lines collected so far and forgets them.
func (s *logSink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lines
	s.lines = nil
	return out
}

// liResponse is a response read to the end.
type liResponse struct {
	status int
	header http.Header
	body   string
}

// get requests rawURL in-process from the client IP ip.
func (la *linkedinApp) get(t *testing.T, rawURL, ip string) liResponse {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ip != "" {
		req.Header.Set("CF-Connecting-IP", ip)
	}
	resp, err := la.li.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return liResponse{resp.StatusCode, resp.Header, string(b)}
}

const (
	callbackURL  = "http://127.0.0.1:8787/api/auth/linkedin/callback"
	profileError = "http://localhost:5173/profile?linkedin=error&error_code="
	profileOK    = "http://localhost:5173/profile?linkedin=success"
)

// The tests share one emulator per group (starting one costs seconds under
// -race); each subtest uses its own users and client IPs, and the ones that
// move the clock run last.

func TestLinkedInInitiate(t *testing.T) {
	t.Parallel()
	la := newLinkedInApp(t)
	for _, st := range []struct {
		name string
		f    func(*testing.T, *linkedinApp)
	}{
		{"errors", testLinkedInInitiateErrors},
		{"authUrl", testLinkedInAuthURLDefaultsAndEncoding},
		{"sixth at once", testLinkedInInitiateSixthAtOnce},
		{"window", testLinkedInInitiateRateLimit},
	} {
		t.Run(st.name, func(t *testing.T) { st.f(t, la) })
	}
}

func TestLinkedInFlowEndToEnd(t *testing.T) {
	t.Parallel()
	testLinkedInFlowEndToEnd(t, newLinkedInApp(t))
}

func TestLinkedInCallback(t *testing.T) {
	t.Parallel()
	la := newLinkedInApp(t)
	for _, st := range []struct {
		name string
		f    func(*testing.T, *linkedinApp)
	}{
		{"errors", testLinkedInCallbackErrors},
		{"APP_URL", testLinkedInRedirectAppURL},
		{"state expiry", testLinkedInStateExpiry},
		{"IP limiter", testLinkedInCallbackSharesIPLimiter},
	} {
		t.Run(st.name, func(t *testing.T) { st.f(t, la) })
	}
}

// createUserRow inserts the users row GET /api/profile would create.
func createUserRow(t *testing.T, ta *testApp, id, email string) {
	t.Helper()
	if _, err := ta.Env.D1["DB"].Prepare("INSERT INTO users (id, email) VALUES (?, ?)").Bind(id, email).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// initiate calls GET /api/auth/linkedin/initiate and returns authUrl and state.
func (la *linkedinApp) initiate(t *testing.T, tok string) (string, string) {
	t.Helper()
	r := la.do(t, "GET", "/api/auth/linkedin/initiate", nil, auth(tok)...)
	if r.status != 200 {
		t.Fatalf("initiate: %d %s", r.status, r.body)
	}
	var body struct{ AuthURL, State string }
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	return body.AuthURL, body.State
}

// authorize follows authUrl through the stand-in and returns the callback
// URL it redirects to.
func (la *linkedinApp) authorize(t *testing.T, authURL string) string {
	t.Helper()
	r := la.get(t, authURL, "")
	loc := r.header.Get("Location")
	if r.status != http.StatusFound || !strings.HasPrefix(loc, callbackURL+"?code=") {
		t.Fatalf("authorization: %d %s %s", r.status, loc, r.body)
	}
	return loc
}

func testLinkedInFlowEndToEnd(t *testing.T, la *linkedinApp) {
	tok, uid := la.token(t, "li@example.com")
	createUserRow(t, la.testApp, uid, "li@example.com")
	start := la.Clock.Now()

	r := la.do(t, "GET", "/api/auth/linkedin/initiate", nil, auth(tok)...)
	if r.status != 200 {
		t.Fatalf("initiate: %d %s", r.status, r.body)
	}
	state := regexp.MustCompile(`"state":"([^"]+)"`).FindStringSubmatch(string(r.body))[1]
	wantState := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-` + strconv.FormatInt(start.UnixMilli(), 36) + `$`)
	if !wantState.MatchString(state) {
		t.Errorf("state %q is not randomUUID()-Date.now().toString(36)", state)
	}
	wantBody := `{"authUrl":"http://127.0.0.1:8787/_edge/linkedin/oauth/v2/authorization?response_type=code&client_id=edge-local-linkedin-client` +
		`&redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Fapi%2Fauth%2Flinkedin%2Fcallback&state=` + state + `&scope=openid+profile+email",` +
		`"state":"` + state + `","expiresAt":"2030-01-01T00:10:00.000Z"}`
	if string(r.body) != wantBody {
		t.Errorf("initiate body\n got %s\nwant %s", r.body, wantBody)
	}
	if d := cmp.Diff([]string{
		fmt.Sprintf("log: [RateLimit] User %s request 1/5 for GET:/api/auth/linkedin/initiate (0.0ms latency)", uid),
		fmt.Sprintf("log: [OAuth] LinkedIn auth initiated for user %s, state stored in KV", uid),
	}, la.logs.take()); d != "" {
		t.Errorf("initiate logs (-want +got):\n%s", d)
	}

	// OAUTH_STATES holds oauth:{state} for 600 s, seen by the binding and
	// by the KV REST API.
	ent, err := la.Env.KV["OAUTH_STATES"].Get(t.Context(), "oauth:"+state)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"userId":"` + uid + `","provider":"linkedin","createdAt":"2030-01-01T00:00:00.000Z"}`; string(ent.Value) != want {
		t.Errorf("state value %s, want %s", ent.Value, want)
	}
	if ent.Expiration != start.Unix()+600 {
		t.Errorf("state expiration %d, want now+600 = %d", ent.Expiration, start.Unix()+600)
	}
	keys := la.do(t, "GET", "/client/v4/accounts/"+emulatortest.AccountID+"/storage/kv/namespaces/198251d90aa756d4272315d72c9bf1f7/keys?prefix=oauth:", nil)
	var listed struct {
		Result []struct {
			Name       string `json:"name"`
			Expiration int64  `json:"expiration"`
		} `json:"result"`
	}
	if err := json.Unmarshal(keys.body, &listed); err != nil || len(listed.Result) != 1 ||
		listed.Result[0].Name != "oauth:"+state || listed.Result[0].Expiration != start.Unix()+600 {
		t.Errorf("KV REST keys: %d %s", keys.status, keys.body)
	}

	// Through the stand-in and back to the callback.
	var authURL string
	_ = json.Unmarshal(r.body, &struct {
		AuthURL *string `json:"authUrl"`
	}{&authURL})
	cb := la.authorize(t, authURL)
	if got, _ := url.Parse(cb); got.Query().Get("state") != state {
		t.Errorf("stand-in returned state %q", got.Query().Get("state"))
	}
	res := la.get(t, cb, "")
	if res.status != http.StatusFound || res.header.Get("Location") != profileOK || res.body != "" {
		t.Fatalf("callback: %d %q %q", res.status, res.header.Get("Location"), res.body)
	}
	if res.header.Get("X-RateLimit-Limit") != "10" || res.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("callback headers: %v", res.header)
	}
	if d := cmp.Diff([]string{
		"log: [OAuth] State token verified and deleted for user " + uid,
		"log: [OAuth] Limited access import completed for user " + uid + ". Frontend will display notification.",
		"log: Successfully imported LinkedIn data for user " + uid,
	}, la.logs.take()); d != "" {
		t.Errorf("callback logs (-want +got):\n%s", d)
	}
	if _, err := la.Env.KV["OAUTH_STATES"].Get(t.Context(), "oauth:"+state); err != runtime.ErrKVKeyNotFound {
		t.Errorf("state not deleted: %v", err)
	}

	row, err := la.Env.D1["DB"].Prepare(`SELECT first_name, last_name, email, profile_image_url, linkedin_url, locale,
		linkedin_imported, linkedin_imported_at, linkedin_limited_access, updated_at FROM users WHERE id = ?`).Bind(uid).First(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"first_name": "Alex", "last_name": "Morgan", "email": "alex.morgan@example.com",
		"profile_image_url": "http://127.0.0.1:8787/_edge/linkedin/media/d3moAlexMg.svg",
		"linkedin_url":      "https://www.linkedin.com/in/d3moAlexMg", "locale": "en_US",
		"linkedin_imported": int64(1), "linkedin_imported_at": "2030-01-01T00:00:00.000Z",
		"linkedin_limited_access": int64(1), "updated_at": "2030-01-01T00:00:00.000Z",
	}
	if d := cmp.Diff(want, row); d != "" {
		t.Errorf("users row (-want +got):\n%s", d)
	}

	// The state was used up: replaying the callback is refused.
	if res := la.get(t, cb, ""); res.header.Get("Location") != profileError+"invalid_state" {
		t.Errorf("replay: %s", res.header.Get("Location"))
	}
}

func testLinkedInInitiateRateLimit(t *testing.T, la *linkedinApp) {
	tok, uid := la.token(t, "five@example.com")
	for i := 1; i <= 5; i++ {
		r := la.do(t, "GET", "/api/auth/linkedin/initiate", nil, auth(tok)...)
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(5-i) ||
			r.header.Get("X-RateLimit-Reset") != "2030-01-01T00:15:00.000Z" {
			t.Fatalf("initiate %d: %d %v", i, r.status, r.header)
		}
		la.Clock.Advance(time.Minute)
	}
	r := la.do(t, "GET", "/api/auth/linkedin/initiate", nil, auth(tok)...)
	want := `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 600 seconds.","details":{"limit":5,"remaining":0,"resetAt":"2030-01-01T00:15:00.000Z"},"statusCode":429}`
	if r.status != 429 || string(r.body) != want {
		t.Errorf("6th initiate: %d\n got %s\nwant %s", r.status, r.body, want)
	}
	if r.header.Get("Retry-After") != "600" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("6th initiate headers: %v", r.header)
	}
	ent, err := la.Env.KV["RATE_LIMITS"].Get(t.Context(), "rate:user:"+uid+":GET:/api/auth/linkedin/initiate")
	if err != nil || string(ent.Value) != `{"count":5,"windowStart":1893456000000}` {
		t.Errorf("KV record: %s %v", ent.Value, err)
	}
	// The 15-minute window ends; the next initiate starts a new one.
	la.Clock.Advance(10 * time.Minute)
	if r := la.do(t, "GET", "/api/auth/linkedin/initiate", nil, auth(tok)...); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "4" {
		t.Errorf("after the window: %d %v", r.status, r.header)
	}
}

// Appendix A: six calls in a row, the sixth refused for the whole window.
func testLinkedInInitiateSixthAtOnce(t *testing.T, la *linkedinApp) {
	tok, _ := la.token(t, "six@example.com")
	for i := 0; i < 5; i++ {
		la.initiate(t, tok)
	}
	r := la.do(t, "GET", "/api/auth/linkedin/initiate", nil, auth(tok)...)
	if r.status != 429 || r.header.Get("Retry-After") != "900" || string(r.body) !=
		`{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 900 seconds.","details":{"limit":5,"remaining":0,"resetAt":"2030-01-01T00:15:00.000Z"},"statusCode":429}` {
		t.Errorf("6th: %d %v %s", r.status, r.header.Get("Retry-After"), r.body)
	}
}

func testLinkedInInitiateErrors(t *testing.T, la *linkedinApp) {
	tok, _ := la.token(t, "cfg@example.com")
	r := la.do(t, "GET", "/api/auth/linkedin/initiate", nil)
	if r.status != 401 || string(r.body) != `{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}` {
		t.Errorf("no token: %d %s", r.status, r.body)
	}

	// Without LINKEDIN_CLIENT_ID: 503 E-std (stack in development), after
	// auth and the per-user limit.
	id := la.Env.Vars["LINKEDIN_CLIENT_ID"]
	delete(la.Env.Vars, "LINKEDIN_CLIENT_ID")
	r = la.do(t, "GET", "/api/auth/linkedin/initiate", nil, auth(tok)...)
	la.Env.Vars["LINKEDIN_CLIENT_ID"] = id
	if r.status != 503 || !strings.HasPrefix(string(r.body), `{"code":"LINKEDIN_NOT_CONFIGURED","message":"LinkedIn integration is not configured","statusCode":503,"stack":"`) ||
		r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Remaining") != "4" {
		t.Errorf("not configured: %d %v %s", r.status, r.header, r.body)
	}
	// Nothing was stored.
	if l, _ := la.Env.KV["OAUTH_STATES"].List(t.Context(), runtime.KVListOptions{}); len(l.Keys) != 0 {
		t.Errorf("states stored: %v", l.Keys)
	}
}

func testLinkedInAuthURLDefaultsAndEncoding(t *testing.T, la *linkedinApp) {
	tok, _ := la.token(t, "url@example.com")
	v := la.Env.Vars
	saved := map[string]string{}
	for _, k := range []string{"LINKEDIN_AUTH_URL", "LINKEDIN_CLIENT_ID", "LINKEDIN_REDIRECT_URI"} {
		saved[k] = v[k]
	}
	t.Cleanup(func() {
		for k, x := range saved {
			v[k] = x
		}
	})
	// Appendix A's sample: the real LinkedIn host when LINKEDIN_AUTH_URL is unset.
	delete(v, "LINKEDIN_AUTH_URL")
	v["LINKEDIN_CLIENT_ID"] = "cid"
	v["LINKEDIN_REDIRECT_URI"] = "https://x.example/cb"
	authURL, state := la.initiate(t, tok)
	if want := "https://www.linkedin.com/oauth/v2/authorization?response_type=code&client_id=cid&redirect_uri=https%3A%2F%2Fx.example%2Fcb&state=" +
		state + "&scope=openid+profile+email"; authURL != want {
		t.Errorf("authUrl\n got %s\nwant %s", authURL, want)
	}
	// redirect_uri is the empty string when unset; URLSearchParams leaves
	// * - . _ alone and escapes the rest.
	delete(v, "LINKEDIN_REDIRECT_URI")
	v["LINKEDIN_CLIENT_ID"] = "a b~c*d/é"
	v["LINKEDIN_AUTH_URL"] = "https://li.example/o/"
	authURL, state = la.initiate(t, tok)
	if want := "https://li.example/o/authorization?response_type=code&client_id=a+b%7Ec*d%2F%C3%A9&redirect_uri=&state=" +
		state + "&scope=openid+profile+email"; authURL != want {
		t.Errorf("authUrl\n got %s\nwant %s", authURL, want)
	}
}

func testLinkedInCallbackErrors(t *testing.T, la *linkedinApp) {
	tok, uid := la.token(t, "cb@example.com")
	createUserRow(t, la.testApp, uid, "cb@example.com")
	orphanTok, orphanID := la.token(t, "orphan@example.com")
	// orphanFlow runs the flow for a user whose row is deleted between
	// initiate (which creates it) and the callback.
	dropOrphan := func(t *testing.T) {
		t.Helper()
		if _, err := la.Env.D1["DB"].Prepare("DELETE FROM users WHERE id = ?").Bind(orphanID).Run(t.Context()); err != nil {
			t.Fatal(err)
		}
	}

	validCode := strings.Repeat("c", 10)
	validState := strings.Repeat("s", 20)
	ip := 0
	callback := func(t *testing.T, query string) liResponse {
		t.Helper()
		ip++ // a fresh client IP per call, so the IP limiters stay out of the way
		return la.get(t, callbackURL+"?"+query, fmt.Sprintf("10.0.0.%d", ip))
	}
	// flow runs initiate and the stand-in's authorization for tok, and
	// returns the callback query (code and state).
	flow := func(t *testing.T, tok string, edit func(url.Values)) string {
		t.Helper()
		authURL, _ := la.initiate(t, tok)
		if edit != nil {
			u, _ := url.Parse(authURL)
			q := u.Query()
			edit(q)
			u.RawQuery = q.Encode()
			authURL = u.String()
		}
		u, _ := url.Parse(la.authorize(t, authURL))
		la.logs.take()
		return u.RawQuery
	}
	stateOf := func(query string) string { q, _ := url.ParseQuery(query); return q.Get("state") }

	for _, tc := range []struct {
		name     string
		query    func(t *testing.T) string
		code     string
		logs     []string // the callback's console lines; nil: not checked
		keepsKey bool     // the state survives (refused before the delete)
	}{
		{"user cancelled", func(*testing.T) string {
			return "error=user_cancelled_authorize&error_description=The+user+cancelled+the+authorization&state=" + validState
		}, "user_cancelled", []string{"warn: LinkedIn OAuth error: user_cancelled_authorize The user cancelled the authorization"}, false},
		{"other oauth error", func(*testing.T) string { return "error=access_denied" }, "oauth_error",
			[]string{"warn: LinkedIn OAuth error: access_denied undefined"}, false},
		{"empty error is no error", func(*testing.T) string { return "error=&state=" + validState }, "invalid_parameters", nil, false},
		{"no parameters", func(*testing.T) string { return "" }, "invalid_parameters", []string{
			`warn: Invalid callback parameters: ZodError: [{"code":"invalid_type","expected":"string","received":"undefined","path":["code"],"message":"Required"},` +
				`{"code":"invalid_type","expected":"string","received":"undefined","path":["state"],"message":"Required"}]`}, false},
		{"code too short", func(*testing.T) string { return "code=123456789&state=" + validState }, "invalid_parameters", []string{
			`warn: Invalid callback parameters: ZodError: [{"code":"too_small","minimum":10,"type":"string","inclusive":true,"exact":false,"path":["code"],"message":"String must contain at least 10 character(s)"}]`}, false},
		{"code too long", func(*testing.T) string { return "code=" + strings.Repeat("c", 501) + "&state=" + validState }, "invalid_parameters", nil, false},
		{"state too short", func(*testing.T) string { return "code=" + validCode + "&state=" + strings.Repeat("s", 19) }, "invalid_parameters", nil, false},
		{"state of 20 UTF-16 units with astral characters", func(*testing.T) string {
			return "code=" + validCode + "&state=" + url.QueryEscape(strings.Repeat("😀", 10))
		}, "invalid_state", []string{"warn: [OAuth] Invalid or expired state token: " + strings.Repeat("😀", 10)}, false},
		{"unknown state", func(*testing.T) string { return "code=" + validCode + "&state=" + strings.Repeat("s", 30) }, "invalid_state",
			[]string{"warn: [OAuth] Invalid or expired state token: " + strings.Repeat("s", 20)}, false},
		{"provider mismatch", func(t *testing.T) string {
			st := strings.Repeat("g", 25)
			if err := la.Env.KV["OAUTH_STATES"].Put(t.Context(), "oauth:"+st, []byte(`{"userId":"`+uid+`","provider":"google","createdAt":"x"}`), runtime.KVPutOptions{ExpirationTTL: 600}); err != nil {
				t.Fatal(err)
			}
			return "code=" + validCode + "&state=" + st
		}, "invalid_state", []string{"warn: [OAuth] State token provider mismatch"}, true},
		{"bad code", func(t *testing.T) string {
			_, st := la.initiate(t, tok)
			la.logs.take()
			return "code=" + validCode + "&state=" + url.QueryEscape(st)
		}, "token_exchange_failed", []string{
			"log: [OAuth] State token verified and deleted for user " + uid,
			`error: Token exchange failed: 400 {"error":"invalid_request","error_description":"Unable to retrieve access token: authorization code not found"}` + "\n",
			"error: [OAuth] Token exchange failed",
		}, false},
		{"userinfo refused", func(t *testing.T) string {
			return flow(t, tok, func(q url.Values) { q.Set("scope", "profile email") }) // no openid: userinfo answers 403
		}, "profile_fetch_failed", []string{
			"log: [OAuth] State token verified and deleted for user " + uid,
			"error: UserInfo fetch failed: 403",
			"error: [OAuth] Profile fetch failed",
		}, false},
		{"no users row", func(t *testing.T) string { q := flow(t, orphanTok, nil); dropOrphan(t); return q }, "internal_error", nil, false},
		{"email taken by another row", func(t *testing.T) string {
			createUserRow(t, la.testApp, "someone-else", "taken@example.com")
			return flow(t, tok, func(q url.Values) { q.Set("login_hint", "taken@example.com") })
		}, "internal_error", nil, false},
		{"credentials missing", func(t *testing.T) string {
			q := flow(t, tok, nil)
			secret := la.Env.Vars["LINKEDIN_CLIENT_SECRET"]
			delete(la.Env.Vars, "LINKEDIN_CLIENT_SECRET")
			t.Cleanup(func() { la.Env.Vars["LINKEDIN_CLIENT_SECRET"] = secret })
			return q
		}, "internal_error", []string{
			"log: [OAuth] State token verified and deleted for user " + uid,
			"error: LinkedIn callback error: Error: LinkedIn credentials not configured",
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query := tc.query(t)
			la.logs.take()
			r := callback(t, query)
			if r.status != http.StatusFound || r.header.Get("Location") != profileError+tc.code || r.body != "" {
				t.Errorf("got %d %q, want 302 to …%s", r.status, r.header.Get("Location"), tc.code)
			}
			logs := la.logs.take()
			if tc.logs != nil {
				if d := cmp.Diff(tc.logs, logs); d != "" {
					t.Errorf("logs (-want +got):\n%s", d)
				}
			}
			if st := stateOf(query); len(st) >= 20 {
				_, err := la.Env.KV["OAUTH_STATES"].Get(t.Context(), "oauth:"+st)
				if kept := err == nil; kept != tc.keepsKey {
					t.Errorf("state kept = %v, want %v", kept, tc.keepsKey)
				}
			}
		})
	}

	// The 0-rows and UNIQUE failures log what the original logs.
	t.Run("internal_error logs", func(t *testing.T) {
		q := flow(t, orphanTok, nil)
		dropOrphan(t)
		r := callback(t, q)
		if r.header.Get("Location") != profileError+"internal_error" {
			t.Fatalf("got %q", r.header.Get("Location"))
		}
		logs := la.logs.take()
		if len(logs) != 3 || logs[1] != "error: [OAuth] Profile update failed: user not found" ||
			logs[2] != "error: LinkedIn callback error: Error: User profile not found" {
			t.Errorf("logs: %q", logs)
		}
	})
}

func testLinkedInStateExpiry(t *testing.T, la *linkedinApp) {
	tok, uid := la.token(t, "exp@example.com")
	createUserRow(t, la.testApp, uid, "exp@example.com")

	authURL, _ := la.initiate(t, tok)
	cb := la.authorize(t, authURL)
	la.Clock.Advance(600 * time.Second)
	if r := la.get(t, cb, "10.1.0.1"); r.header.Get("Location") != profileError+"invalid_state" {
		t.Errorf("after 600 s: %q", r.header.Get("Location"))
	}

	authURL, _ = la.initiate(t, tok)
	cb = la.authorize(t, authURL)
	la.Clock.Advance(599 * time.Second)
	if r := la.get(t, cb, "10.1.0.2"); r.header.Get("Location") != profileOK {
		t.Errorf("after 599 s: %q", r.header.Get("Location"))
	}
}

func testLinkedInCallbackSharesIPLimiter(t *testing.T, la *linkedinApp) {
	const ip = "203.0.113.9"
	reset := isoTime(la.Clock.Now().Add(15 * time.Minute))
	// Each callback is counted twice in the shared record: by the global
	// limiter (100/60 s) and by the callback's own (10/15 min).
	for i := 1; i <= 5; i++ {
		r := la.get(t, callbackURL, ip)
		if r.status != 302 || r.header.Get("X-RateLimit-Limit") != "10" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(10-2*i) {
			t.Fatalf("callback %d: %d %v", i, r.status, r.header)
		}
	}
	r := la.get(t, callbackURL, ip)
	if r.status != 429 || r.body != `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 900 seconds.","statusCode":429}` {
		t.Errorf("6th callback: %d %s", r.status, r.body)
	}
	for k, v := range map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset, "Retry-After": "900"} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// Other /api requests from the IP fill the same record.
	other := "198.51.100.7"
	for i := 0; i < 9; i++ {
		la.get(t, "http://127.0.0.1:8787/api/nope", other)
	}
	if r := la.get(t, callbackURL, other); r.status != 429 {
		t.Errorf("callback after 9 other requests: %d", r.status)
	}
	// The global limiter restarts the record after 60 s.
	la.Clock.Advance(61 * time.Second)
	if r := la.get(t, callbackURL, ip); r.status != 302 || r.header.Get("X-RateLimit-Remaining") != "8" {
		t.Errorf("after 61 s: %d %v", r.status, r.header)
	}
}

func TestSearchParams(t *testing.T) {
	p := parseSearchParams("a=1&linkedin=old&b=x+y%2B&linkedin=dup")
	p = p.set("linkedin", "error").set("error_code", "invalid_state")
	if got, want := p.String(), "a=1&linkedin=error&b=x+y%2B&error_code=invalid_state"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func testLinkedInRedirectAppURL(t *testing.T, la *linkedinApp) {
	v := la.Env.Vars
	saved := v["APP_URL"]
	t.Cleanup(func() { v["APP_URL"] = saved })
	v["APP_URL"] = "https://app.example"
	if r := la.get(t, callbackURL+"?error=x", "10.2.0.1"); r.header.Get("Location") != "https://app.example/profile?linkedin=error&error_code=oauth_error" {
		t.Errorf("APP_URL: %q", r.header.Get("Location"))
	}
	delete(v, "APP_URL") // unset: the default CORS uses, not "undefined/profile"
	if r := la.get(t, callbackURL+"?error=x", "10.2.0.2"); r.status != 302 || r.header.Get("Location") != profileError+"oauth_error" {
		t.Errorf("APP_URL unset: %d %q", r.status, r.header.Get("Location"))
	}
}
