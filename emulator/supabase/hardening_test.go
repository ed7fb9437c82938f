package supabase_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/supabase"
)

// refresh presents a refresh token and returns the answer.
func (h *harness) refresh(t *testing.T, token string) (int, map[string]any) {
	t.Helper()
	return h.call(t, "POST", "/auth/v1/token?grant_type=refresh_token", map[string]string{"refresh_token": token})
}

// mustRefresh presents a refresh token that must be honoured.
func (h *harness) mustRefresh(t *testing.T, token string) (access, refresh string) {
	t.Helper()
	st, body := h.refresh(t, token)
	if st != 200 {
		t.Fatalf("refresh %s: %d %v", token, st, body)
	}
	return body["access_token"].(string), body["refresh_token"].(string)
}

// TestRefreshTokenReuseRevokesTheSession follows GoTrue's refresh token
// rotation: the parent of the active token gets that token back, a rotated
// token is honoured for 10 s after its rotation, and a reuse after that
// ends the whole session (its newest refresh token and its access tokens
// included) while the user's other sessions live on.
func TestRefreshTokenReuseRevokesTheSession(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	s := h.signup(t, "ada@example.com", "secret123")
	r0 := s["refresh_token"].(string)
	st, other := h.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "ada@example.com", "password": "secret123"})
	if st != 200 {
		t.Fatalf("second sign-in: %d %v", st, other)
	}

	a1, r1 := h.mustRefresh(t, r0)
	// r0 is the parent of the active r1: GoTrue hands r1 back (a client
	// that lost the answer to its refresh), with a working access token.
	again, same := h.mustRefresh(t, r0)
	if same != r1 {
		t.Errorf("parent of the active token: refresh_token = %s, want the active %s", same, r1)
	}
	if st, _ := h.call(t, "GET", "/auth/v1/user", nil, bearer(again)...); st != 200 {
		t.Errorf("access token of the handed-back session: %d", st)
	}
	_, r2 := h.mustRefresh(t, r1)

	// r0 was rotated 10 s ago: still inside the reuse interval.
	h.clock.Advance(10 * time.Second)
	a3, r3 := h.mustRefresh(t, r0)

	// r1 was rotated 10 s + 1 ms ago and is not the active token's parent:
	// reuse. The session ends.
	h.clock.Advance(time.Millisecond)
	st, body := h.refresh(t, r1)
	if d := cmp.Diff(goTrue(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"), body); st != 400 || d != "" {
		t.Fatalf("reused refresh token: %d %s", st, d)
	}
	for name, tok := range map[string]string{"newest": r3, "unrotated sibling": r2, "reused again": r1} {
		st, body := h.refresh(t, tok)
		if d := cmp.Diff(goTrue(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"), body); st != 400 || d != "" {
			t.Errorf("%s refresh token of the revoked session: %d %s", name, st, d)
		}
	}
	for name, tok := range map[string]string{"newest": a3, "older": a1} {
		st, body := h.call(t, "GET", "/auth/v1/user", nil, bearer(tok)...)
		if d := cmp.Diff(goTrue(403, "session_not_found", "Session from session_id claim in JWT does not exist"), body); st != 403 || d != "" {
			t.Errorf("%s access token of the revoked session: %d %s", name, st, d)
		}
	}

	// The other session is another family.
	if st, _ := h.call(t, "GET", "/auth/v1/user", nil, bearer(other["access_token"].(string))...); st != 200 {
		t.Errorf("other session's access token: %d", st)
	}
	h.mustRefresh(t, other["refresh_token"].(string))
}

// TestRotationSurvivesRestart: which token was rotated from which is kept
// in auth.sqlite, so the parent of the active token still gets it back
// after a restart, and a reuse is still detected.
func TestRotationSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir, nil)
	s := h.signup(t, "ada@example.com", "secret123")
	r0 := s["refresh_token"].(string)
	_, r1 := h.mustRefresh(t, r0)
	_, r2 := h.mustRefresh(t, r1)
	h.srv.Close()
	if err := h.svc.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, dir, h.clock)
	if _, got := h2.mustRefresh(t, r1); got != r2 {
		t.Errorf("parent of the active token after restart: %s, want %s", got, r2)
	}
	h2.clock.Advance(11 * time.Second)
	if st, body := h2.refresh(t, r0); st != 400 || body["error_code"] != "refresh_token_already_used" {
		t.Errorf("reuse after restart: %d %v", st, body)
	}
	if st, body := h2.refresh(t, r2); st != 400 || body["error_code"] != "refresh_token_not_found" {
		t.Errorf("newest token after the reuse: %d %v", st, body)
	}
}

// TestAccessTokenClaimsChecked: a correctly signed token must name a user
// (sub, a UUID) and a session (session_id, a UUID), in GoTrue's words. A
// token without session_id, which skipped the session check and so
// outlived a logout, is refused.
func TestAccessTokenClaimsChecked(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	s := h.signup(t, "ada@example.com", "secret123")
	uid := s["user"].(map[string]any)["id"].(string)
	exp := h.clock.Now().Add(time.Hour).Unix()
	sign := func(claims jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
		status int
		want   map[string]any
	}{
		{"no session_id", jwt.MapClaims{"sub": uid, "exp": exp, "role": "authenticated"},
			403, goTrue(403, "bad_jwt", "invalid claim: missing session_id claim")},
		{"nil session_id", jwt.MapClaims{"sub": uid, "exp": exp, "session_id": "00000000-0000-0000-0000-000000000000"},
			403, goTrue(403, "bad_jwt", "invalid claim: missing session_id claim")},
		{"session_id not a UUID", jwt.MapClaims{"sub": uid, "exp": exp, "session_id": "s1"},
			403, goTrue(403, "bad_jwt", "invalid claim: session_id claim must be a UUID")},
		{"unknown session", jwt.MapClaims{"sub": uid, "exp": exp, "session_id": "6f1c3a52-5d0e-4c1b-9d57-1f0f7c3b2a10"},
			403, goTrue(403, "session_not_found", "Session from session_id claim in JWT does not exist")},
		{"no sub", jwt.MapClaims{"exp": exp, "session_id": "6f1c3a52-5d0e-4c1b-9d57-1f0f7c3b2a10"},
			403, goTrue(403, "bad_jwt", "invalid claim: missing sub claim")},
		{"sub not a UUID", jwt.MapClaims{"sub": "ada", "exp": exp},
			400, goTrue(400, "bad_jwt", "invalid claim: sub claim must be a UUID")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := h.call(t, "GET", "/auth/v1/user", nil, bearer(sign(tc.claims))...)
			if st != tc.status {
				t.Errorf("status = %d, want %d", st, tc.status)
			}
			if d := cmp.Diff(tc.want, body); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}

	// After a global logout, a token without session_id is refused too.
	noSession := sign(jwt.MapClaims{"sub": uid, "exp": exp})
	req, _ := http.NewRequest("POST", h.srv.URL+"/auth/v1/logout", nil)
	req.Header.Set("apikey", anon)
	req.Header.Set("Authorization", "Bearer "+s["access_token"].(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("logout: %v %v", resp, err)
	}
	resp.Body.Close()
	if st, body := h.call(t, "GET", "/auth/v1/user", nil, bearer(noSession)...); st != 403 || body["msg"] != "invalid claim: missing session_id claim" {
		t.Errorf("token without session_id after logout: %d %v", st, body)
	}
}

// TestPasswordLongerThan72Bytes: GoTrue refuses a password of more than 72
// bytes (bcrypt's limit; UTF-8 bytes, not characters) on sign-up and on
// PUT /user, before hashing it.
func TestPasswordLongerThan72Bytes(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	want := goTrue(400, "validation_failed", "Password cannot be longer than 72 characters")
	for _, tc := range []struct {
		name, password string
	}{
		{"73 ASCII bytes", strings.Repeat("a", 73)},
		{"37 two-byte characters", strings.Repeat("é", 37)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := h.call(t, "POST", "/auth/v1/signup", map[string]string{"email": "long@example.com", "password": tc.password})
			if d := cmp.Diff(want, body); st != 400 || d != "" {
				t.Errorf("signup: %d %s", st, d)
			}
		})
	}
	s := h.signup(t, "max@example.com", strings.Repeat("b", 72))
	tok := s["access_token"].(string)
	st, body := h.call(t, "PUT", "/auth/v1/user", map[string]string{"password": strings.Repeat("c", 73)}, bearer(tok)...)
	if d := cmp.Diff(want, body); st != 400 || d != "" {
		t.Errorf("PUT /user: %d %s", st, d)
	}
	if st, _ := h.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "max@example.com", "password": strings.Repeat("b", 72)}); st != 200 {
		t.Errorf("the 72-byte password no longer signs in: %d", st)
	}
}

// TestUnexpectedFailureIsLogged: a failure that is not a GoTrue error is
// answered with GoTrue's 500 and its cause is logged.
func TestUnexpectedFailureIsLogged(t *testing.T) {
	var logs bytes.Buffer
	svc, err := supabase.Open(supabase.Options{Dir: t.TempDir(), Clock: nil, JWTSecret: secret, AnonKey: anon, BcryptCost: 4,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	if err := svc.Close(); err != nil { // every write now fails
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/auth/v1/signup", strings.NewReader(`{"email":"ada@example.com","password":"secret123"}`))
	req.Header.Set("apikey", anon)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if want := `{"code":500,"error_code":"unexpected_failure","msg":"Unexpected failure, please check server logs for more information"}`; rec.Code != 500 || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("closed store: %d %s", rec.Code, rec.Body)
	}
	if got := logs.String(); !strings.Contains(got, `msg="auth request failed"`) || !strings.Contains(got, "path=/auth/v1/signup") || !strings.Contains(got, "database is closed") {
		t.Errorf("log = %q", got)
	}
}
