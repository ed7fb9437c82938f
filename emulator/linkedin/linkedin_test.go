package linkedin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

const (
	testClient   = "cid"
	testSecret   = "csecret"
	testRedirect = "https://app.example/api/auth/linkedin/callback"
)

type standIn struct {
	svc    *Service
	clock  *runtime.FakeClock
	url    string
	client *http.Client
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	clock := runtime.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	svc, err := New(Options{Clock: clock, ClientID: testClient, ClientSecret: testSecret, RedirectURIs: []string{testRedirect}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &standIn{svc, clock, srv.URL + Prefix, c}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (s *standIn) get(t *testing.T, path string, headers ...string) reply {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.send(t, req)
}

func (s *standIn) postForm(t *testing.T, path string, form url.Values) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(t, req)
}

func (s *standIn) send(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, strings.TrimSpace(string(b))}
}

func authorizeQuery(edit func(url.Values)) string {
	q := url.Values{"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {testRedirect},
		"state": {"state-123"}, "scope": {"openid profile email"}}
	if edit != nil {
		edit(q)
	}
	return "/oauth/v2/authorization?" + q.Encode()
}

// mustCode runs an authorization and returns the code it redirects with.
func (s *standIn) mustCode(t *testing.T, edit func(url.Values)) string {
	t.Helper()
	r := s.get(t, authorizeQuery(edit))
	if r.status != http.StatusFound {
		t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Query().Get("state") != "state-123" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize redirect: %s", loc)
	}
	return loc.Query().Get("code")
}

func tokenForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {testClient},
		"client_secret": {testSecret}, "redirect_uri": {testRedirect}}
}

func TestAuthorizeTokenUserinfo(t *testing.T) {
	s := newStandIn(t)
	code := s.mustCode(t, nil)
	if n := len(code); n < 10 || n > 500 {
		t.Errorf("code length %d outside what the JobMatch callback accepts", n)
	}
	r := s.postForm(t, "/oauth/v2/accessToken", tokenForm(code))
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tok map[string]any
	if err := json.Unmarshal([]byte(r.body), &tok); err != nil {
		t.Fatal(err)
	}
	if tok["expires_in"] != float64(5184000) || tok["scope"] != "email,openid,profile" || tok["token_type"] != "Bearer" {
		t.Errorf("token body: %s", r.body)
	}
	if !strings.HasPrefix(r.body, `{"access_token":"AQV`) {
		t.Errorf("key order / token form: %s", r.body)
	}
	at := tok["access_token"].(string)

	r = s.get(t, "/v2/userinfo", "Authorization", "Bearer "+at)
	host := strings.TrimPrefix(s.url, "http://")
	want := `{"sub":"d3moAlexMg","email_verified":true,"name":"Alex Morgan","locale":{"country":"US","language":"en"},` +
		`"given_name":"Alex","family_name":"Morgan","email":"alex.morgan@example.com","picture":"http://` + host + `/media/d3moAlexMg.svg"}`
	if r.status != 200 || r.body != want {
		t.Errorf("userinfo: %d\n got %s\nwant %s", r.status, r.body, want)
	}
	if pic := s.get(t, "/media/d3moAlexMg.svg"); pic.status != 200 || pic.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(pic.body, ">AM</text>") {
		t.Errorf("picture: %d %s", pic.status, pic.body)
	}

	// The token lives 60 days by the clock.
	s.clock.Advance(DefaultTokenTTL - time.Second)
	if r := s.get(t, "/v2/userinfo", "Authorization", "Bearer "+at); r.status != 200 {
		t.Errorf("before expiry: %d", r.status)
	}
	s.clock.Advance(time.Second)
	r = s.get(t, "/v2/userinfo", "Authorization", "Bearer "+at)
	if r.status != 401 || r.body != `{"status":401,"serviceErrorCode":65600,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired"}` {
		t.Errorf("expired token: %d %s", r.status, r.body)
	}
}

func TestUserinfoScopesAndTokens(t *testing.T) {
	s := newStandIn(t)
	bearer := func(scope string) string {
		code := s.mustCode(t, func(q url.Values) { q.Set("scope", scope) })
		r := s.postForm(t, "/oauth/v2/accessToken", tokenForm(code))
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.Unmarshal([]byte(r.body), &tok)
		return "Bearer " + tok.AccessToken
	}
	invalid := `{"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token"}`
	for _, tc := range []struct {
		name, auth string
		status     int
		body       string
	}{
		{"no header", "", 401, invalid},
		{"unknown token", "Bearer AQVnope", 401, invalid},
		{"basic scheme", "Basic abc", 401, invalid},
		{"without openid", bearer("profile email"), 403, `{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions to access: userinfo.GET.NO_VERSION"}`},
		{"openid only", bearer("openid"), 200, `{"sub":"d3moAlexMg"}`},
		{"openid email", bearer("openid,email"), 200, `{"sub":"d3moAlexMg","email_verified":true,"email":"alex.morgan@example.com"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.get(t, "/v2/userinfo", "Authorization", tc.auth)
			if r.status != tc.status || r.body != tc.body {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.body)
			}
		})
	}
}

func TestLoginHintPicksAnotherMember(t *testing.T) {
	s := newStandIn(t)
	code := s.mustCode(t, func(q url.Values) { q.Set("login_hint", "sam@example.org") })
	r := s.postForm(t, "/oauth/v2/accessToken", tokenForm(code))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal([]byte(r.body), &tok)
	var u Userinfo
	r = s.get(t, "/v2/userinfo", "Authorization", "Bearer "+tok.AccessToken)
	if err := json.Unmarshal([]byte(r.body), &u); err != nil {
		t.Fatal(err)
	}
	if u.Email != "sam@example.org" || u.Sub == DemoMember.Sub || len(u.Sub) != 10 {
		t.Errorf("hinted member: %+v", u)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	s := newStandIn(t)
	for _, tc := range []struct {
		name string
		edit func(url.Values)
		// direct answers carry status and body; redirects carry the query.
		status int
		body   string
		query  url.Values
	}{
		{"no client_id", func(q url.Values) { q.Del("client_id") }, 400, `{"error":"invalid_request","error_description":"A required parameter \"client_id\" is missing"}`, nil},
		{"wrong client_id", func(q url.Values) { q.Set("client_id", "x") }, 400, `{"error":"invalid_request","error_description":"The passed in client_id is invalid \"x\""}`, nil},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, 400, `{"error":"invalid_request","error_description":"A required parameter \"redirect_uri\" is missing"}`, nil},
		{"unregistered redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, 400, `{"error":"invalid_request","error_description":"The redirect_uri does not match the registered value"}`, nil},
		{"no response_type", func(q url.Values) { q.Del("response_type") }, 302, "",
			url.Values{"error": {"invalid_request"}, "error_description": {`A required parameter "response_type" is missing`}, "state": {"state-123"}}},
		{"token response_type", func(q url.Values) { q.Set("response_type", "token") }, 302, "",
			url.Values{"error": {"unsupported_response_type"}, "error_description": {`The response_type "token" is not supported`}, "state": {"state-123"}}},
		{"no state", func(q url.Values) { q.Del("state") }, 302, "",
			url.Values{"error": {"invalid_request"}, "error_description": {`A required parameter "state" is missing`}, "state": {""}}},
		{"no scope", func(q url.Values) { q.Del("scope") }, 302, "",
			url.Values{"error": {"invalid_request"}, "error_description": {`A required parameter "scope" is missing`}, "state": {"state-123"}}},
		{"unknown scope", func(q url.Values) { q.Set("scope", "openid r_fullprofile") }, 302, "",
			url.Values{"error": {"unauthorized_scope_error"}, "error_description": {`Scope "r_fullprofile" is not authorized for your application`}, "state": {"state-123"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.get(t, authorizeQuery(tc.edit))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tc.status, r.body)
			}
			if tc.query == nil {
				if r.body != tc.body {
					t.Errorf("body %s, want %s", r.body, tc.body)
				}
				return
			}
			loc, _ := url.Parse(r.header.Get("Location"))
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
				t.Errorf("redirected to %s", got)
			}
			if d := cmp.Diff(tc.query, loc.Query()); d != "" {
				t.Errorf("query (-want +got):\n%s", d)
			}
		})
	}
}

func TestConsentPage(t *testing.T) {
	s := newStandIn(t)
	r := s.get(t, authorizeQuery(func(q url.Values) { q.Set("prompt", "consent") }))
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, `name="decision" value="cancel"`) {
		t.Fatalf("consent page: %d %s", r.status, r.body)
	}
	form := url.Values{"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {testRedirect},
		"state": {"state-123"}, "scope": {"openid profile email"}, "decision": {"cancel"}}
	r = s.postForm(t, "/oauth/v2/authorization", form)
	if r.status != 302 || r.header.Get("Location") != testRedirect+"?error=user_cancelled_authorize&error_description=The+user+cancelled+the+authorization&state=state-123" {
		t.Errorf("cancel: %d %s", r.status, r.header.Get("Location"))
	}
	form.Set("decision", "allow")
	r = s.postForm(t, "/oauth/v2/authorization", form)
	if r.status != 302 || !strings.HasPrefix(r.header.Get("Location"), testRedirect+"?code=AQT") {
		t.Errorf("allow: %d %s", r.status, r.header.Get("Location"))
	}
}

func TestAccessTokenErrors(t *testing.T) {
	s := newStandIn(t)
	notFound := `{"error":"invalid_request","error_description":"Unable to retrieve access token: authorization code not found"}`
	for _, tc := range []struct {
		name   string
		edit   func(t *testing.T, f url.Values)
		status int
		body   string
	}{
		{"no grant_type", func(_ *testing.T, f url.Values) { f.Del("grant_type") }, 400, `{"error":"invalid_request","error_description":"A required parameter \"grant_type\" is missing"}`},
		{"refresh grant", func(_ *testing.T, f url.Values) { f.Set("grant_type", "refresh_token") }, 400, `{"error":"unsupported_grant_type","error_description":"The grant_type \"refresh_token\" is not supported"}`},
		{"no code", func(_ *testing.T, f url.Values) { f.Del("code") }, 400, `{"error":"invalid_request","error_description":"A required parameter \"code\" is missing"}`},
		{"no client_secret", func(_ *testing.T, f url.Values) { f.Del("client_secret") }, 400, `{"error":"invalid_request","error_description":"A required parameter \"client_secret\" is missing"}`},
		{"no redirect_uri", func(_ *testing.T, f url.Values) { f.Del("redirect_uri") }, 400, `{"error":"invalid_request","error_description":"A required parameter \"redirect_uri\" is missing"}`},
		{"wrong secret", func(_ *testing.T, f url.Values) { f.Set("client_secret", "nope") }, 401, `{"error":"invalid_client","error_description":"Client authentication failed"}`},
		{"unknown code", func(_ *testing.T, f url.Values) { f.Set("code", "AQTnope") }, 400, notFound},
		{"code used twice", func(t *testing.T, f url.Values) {
			if r := s.postForm(t, "/oauth/v2/accessToken", f); r.status != 200 {
				t.Fatalf("first use: %d %s", r.status, r.body)
			}
		}, 400, notFound},
		{"other redirect_uri", func(_ *testing.T, f url.Values) { f.Set("redirect_uri", "https://app.example/other") }, 400,
			`{"error":"invalid_request","error_description":"Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists"}`},
		{"expired code", func(_ *testing.T, f url.Values) { s.clock.Advance(DefaultCodeTTL) }, 400,
			`{"error":"invalid_request","error_description":"Unable to retrieve access token: authorization code expired"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tokenForm(s.mustCode(t, nil))
			tc.edit(t, f)
			r := s.postForm(t, "/oauth/v2/accessToken", f)
			if r.status != tc.status || r.body != tc.body {
				t.Errorf("got %d %s\nwant %d %s", r.status, r.body, tc.status, tc.body)
			}
		})
	}
	// A code is good until the last instant of its 30 minutes, and a failed
	// attempt consumes it.
	f := tokenForm(s.mustCode(t, nil))
	s.clock.Advance(DefaultCodeTTL - time.Millisecond)
	if r := s.postForm(t, "/oauth/v2/accessToken", f); r.status != 200 {
		t.Errorf("at 30 min - 1 ms: %d %s", r.status, r.body)
	}
	f = tokenForm(s.mustCode(t, nil))
	f.Set("redirect_uri", "https://app.example/other")
	s.postForm(t, "/oauth/v2/accessToken", f)
	f.Set("redirect_uri", testRedirect)
	if r := s.postForm(t, "/oauth/v2/accessToken", f); r.body != notFound {
		t.Errorf("code after a failed exchange: %s", r.body)
	}
}

func TestNewRequiresCredentials(t *testing.T) {
	if _, err := New(Options{ClientID: "x"}); err == nil {
		t.Error("New without a secret succeeded")
	}
}
