package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// linkedinRoundTrip runs initiate, the stand-in's authorization page and
// the callback for a new user of s, and checks that the URLs the server
// hands out are on origin. through maps such a URL to what the test
// client requests (the identity, or a proxy's rewrite); the Location a
// redirect names is checked before it is mapped.
func linkedinRoundTrip(t *testing.T, s *server, origin, email string, through func(string) string) {
	t.Helper()
	tok, _ := signUp(t, s.URL, email, "secret123")
	if iss := claimsOf(t, tok)["iss"]; iss != origin+"/auth/v1" {
		t.Errorf("token iss = %v, want %s/auth/v1", iss, origin)
	}
	r := e2eDo(t, "GET", s.URL+"/api/auth/linkedin/initiate", nil, "Authorization", "Bearer "+tok)
	var init struct {
		AuthURL string `json:"authUrl"`
	}
	r.json(t, &init)
	if r.status != 200 || !strings.HasPrefix(init.AuthURL, origin+"/_edge/linkedin/oauth/v2/authorization?") {
		t.Fatalf("initiate = %d %s, want an authUrl on %s", r.status, r.body, origin)
	}
	if u, _ := url.Parse(init.AuthURL); u.Query().Get("redirect_uri") != origin+"/api/auth/linkedin/callback" {
		t.Errorf("authUrl redirect_uri = %q", u.Query().Get("redirect_uri"))
	}
	auth := e2eDo(t, "GET", through(init.AuthURL), nil)
	loc := auth.header.Get("Location")
	if auth.status != http.StatusFound || !strings.HasPrefix(loc, origin+"/api/auth/linkedin/callback?code=") {
		t.Fatalf("authorization page = %d Location %q %s", auth.status, loc, auth.body)
	}
	cb := e2eDo(t, "GET", through(loc), nil)
	if got := cb.header.Get("Location"); cb.status != http.StatusFound || got != "http://localhost:5173/profile?linkedin=success" {
		t.Errorf("callback = %d Location %q %s", cb.status, got, cb.body)
	}
}

// TestOriginsFollowTheListener: with the built-in configuration,
// SUPABASE_URL (and so the tokens' iss), AI_GATEWAY_URL and the LinkedIn
// URLs name the address the server is actually bound to (--addr
// 127.0.0.1:0 here), so the LinkedIn flow works end to end through the
// real listener.
func TestOriginsFollowTheListener(t *testing.T) {
	s := startServe(t, env(), "--in-memory")
	if strings.Contains(s.URL, ":8787") || strings.Contains(s.Banner, "public url") {
		t.Fatalf("test server on %s:\n%s", s.URL, s.Banner)
	}
	linkedinRoundTrip(t, s, s.URL, "origin@example.com", func(u string) string { return u })
}

// TestPublicURL: behind a proxy, --public-url (or EDGE_PUBLIC_URL) is the
// origin the built-in configuration's URLs name; the API still reaches the
// stand-ins in-process, and a client that goes through the proxy completes
// the LinkedIn flow.
func TestPublicURL(t *testing.T) {
	const public = "https://edge.example.test:8443"
	for _, tc := range []struct {
		name   string
		getenv func(string) string
		args   []string
	}{
		{"flag", env(), []string{"--public-url", public + "/"}},
		{"environment", env("EDGE_PUBLIC_URL", public), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServe(t, tc.getenv, append([]string{"--in-memory"}, tc.args...)...)
			if !regexp.MustCompile(`(?m)^  public url +` + regexp.QuoteMeta(public) + `$`).MatchString(s.Banner) {
				t.Errorf("banner lacks the public url:\n%s", s.Banner)
			}
			proxy := func(u string) string {
				if !strings.HasPrefix(u, public+"/") {
					t.Fatalf("%s is not on %s", u, public)
				}
				return s.URL + strings.TrimPrefix(u, public)
			}
			linkedinRoundTrip(t, s, public, "proxied-"+tc.name+"@example.com", proxy)
			sess, err := tokenFromServer(context.Background(), s.URL, "", demoEmail, demoPassword)
			if err != nil {
				t.Fatal(err)
			}
			if r := e2eDo(t, "GET", s.URL+"/api/jobs", nil, "Authorization", "Bearer "+sess.AccessToken); r.status != 200 {
				t.Errorf("GET /api/jobs = %d %s", r.status, r.body)
			}
		})
	}
}
