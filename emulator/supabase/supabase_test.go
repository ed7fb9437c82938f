package supabase_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/supabase"
	"jobmatch-edge/runtime"
)

const (
	secret = "test-secret"
	anon   = "anon-key"
	admin  = "service-key"
)

type harness struct {
	svc   *supabase.Service
	srv   *httptest.Server
	clock *runtime.FakeClock
	dir   string
}

func newHarness(t *testing.T, dir string, clock *runtime.FakeClock) *harness {
	t.Helper()
	if clock == nil {
		clock = runtime.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	svc, err := supabase.Open(supabase.Options{Dir: dir, Clock: clock, JWTSecret: secret, AnonKey: anon, ServiceRoleKey: admin,
		Issuer: "http://127.0.0.1:8787/auth/v1", BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	srv := httptest.NewServer(mux)
	h := &harness{svc: svc, srv: srv, clock: clock, dir: dir}
	t.Cleanup(func() { srv.Close(); svc.Close() })
	return h
}

// call sends a request with the anon apikey (unless headers override it).
func (h *harness) call(t *testing.T, method, path string, body any, headers ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("apikey", anon)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: non-JSON body %q", method, path, data)
		}
	}
	return resp.StatusCode, out
}

func (h *harness) signup(t *testing.T, email, password string) map[string]any {
	t.Helper()
	st, body := h.call(t, "POST", "/auth/v1/signup", map[string]any{"email": email, "password": password, "data": map[string]any{"full_name": "Ada"}})
	if st != 200 {
		t.Fatalf("signup: %d %v", st, body)
	}
	return body
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func goTrue(status int, code, msg string) map[string]any {
	return map[string]any{"code": float64(status), "error_code": code, "msg": msg}
}

func TestSignupReturnsConfirmedSessionWithGoTrueClaims(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	s := h.signup(t, "Ada@Example.com", "secret123")
	if s["token_type"] != "bearer" || s["expires_in"] != float64(3600) || s["refresh_token"] == "" {
		t.Fatalf("session = %v", s)
	}
	user := s["user"].(map[string]any)
	if user["email"] != "ada@example.com" || user["aud"] != "authenticated" || user["email_confirmed_at"] == "" {
		t.Errorf("user = %v", user)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(s["access_token"].(string), claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithTimeFunc(h.clock.Now)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sub", "email", "role", "aud", "exp", "iat", "session_id", "aal", "amr", "app_metadata", "user_metadata"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("claim %q missing: %v", k, claims)
		}
	}
	if claims["sub"] != user["id"] || claims["role"] != "authenticated" || claims["aal"] != "aal1" ||
		claims["exp"].(float64)-claims["iat"].(float64) != 3600 || claims["iss"] != "http://127.0.0.1:8787/auth/v1" {
		t.Errorf("claims = %v", claims)
	}
	if d := cmp.Diff(map[string]any{"full_name": "Ada"}, claims["user_metadata"]); d != "" {
		t.Errorf("user_metadata: %s", d)
	}
	// The access token works for GET /user.
	st, got := h.call(t, "GET", "/auth/v1/user", nil, bearer(s["access_token"].(string))...)
	if st != 200 || got["id"] != user["id"] {
		t.Errorf("GET /user = %d %v", st, got)
	}
}

func TestErrors(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	s := h.signup(t, "ada@example.com", "secret123")
	valid := s["access_token"].(string)
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "exp": time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC).Unix()}).SignedString([]byte("other-secret"))
	for _, tc := range []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		want               map[string]any
	}{
		{"wrong password", "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "ada@example.com", "password": "nope-nope"}, nil,
			400, goTrue(400, "invalid_credentials", "Invalid login credentials")},
		{"unknown user", "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "bob@example.com", "password": "secret123"}, nil,
			400, goTrue(400, "invalid_credentials", "Invalid login credentials")},
		{"weak password", "POST", "/auth/v1/signup", map[string]string{"email": "bob@example.com", "password": "123"}, nil,
			422, map[string]any{"code": float64(422), "error_code": "weak_password", "msg": "Password should be at least 6 characters.", "weak_password": map[string]any{"reasons": []any{"length"}}}},
		{"duplicate signup", "POST", "/auth/v1/signup", map[string]string{"email": "ADA@example.com", "password": "secret123"}, nil,
			422, goTrue(422, "user_already_exists", "User already registered")},
		{"invalid email", "POST", "/auth/v1/signup", map[string]string{"email": "not-an-email", "password": "secret123"}, nil,
			400, goTrue(400, "validation_failed", "Unable to validate email address: invalid format")},
		{"malformed token", "GET", "/auth/v1/user", nil, bearer("not-a-jwt-at-all"),
			403, goTrue(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token is malformed: token contains an invalid number of segments")},
		{"token without alg", "GET", "/auth/v1/user", nil, bearer("e30.e30.sig"),
			403, goTrue(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token is unverifiable: signing method (alg) is unspecified")},
		{"bad signature", "GET", "/auth/v1/user", nil, bearer(forged),
			403, goTrue(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token signature is invalid: signature is invalid")},
		{"no bearer", "GET", "/auth/v1/user", nil, nil,
			401, goTrue(401, "no_authorization", "This endpoint requires a valid Bearer token")},
		{"unknown refresh token", "POST", "/auth/v1/token?grant_type=refresh_token", map[string]string{"refresh_token": "nope"}, nil,
			400, goTrue(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")},
		{"bad grant", "POST", "/auth/v1/token?grant_type=magic", map[string]string{}, nil,
			400, goTrue(400, "unsupported_grant_type", "unsupported_grant_type")},
		{"missing apikey", "GET", "/auth/v1/user", nil, []string{"apikey", "", "Authorization", "Bearer " + valid},
			401, map[string]any{"message": "No API key found in request", "hint": "No `apikey` request header or url param was found."}},
		{"wrong apikey", "GET", "/auth/v1/settings", nil, []string{"apikey", "wrong"},
			401, map[string]any{"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."}},
		{"bad json", "POST", "/auth/v1/signup", nil, []string{"Content-Type", "application/json"},
			400, goTrue(400, "bad_json", "Could not parse request body as JSON")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := h.call(t, tc.method, tc.path, tc.body, tc.headers...)
			if st != tc.status {
				t.Errorf("status = %d, want %d (%v)", st, tc.status, body)
			}
			if d := cmp.Diff(tc.want, body); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}

func TestExpiryRefreshRotationLogoutAndDeletion(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	s := h.signup(t, "ada@example.com", "secret123")
	access, refresh := s["access_token"].(string), s["refresh_token"].(string)

	// Expired exactly at exp.
	h.clock.Advance(3599 * time.Second)
	if st, _ := h.call(t, "GET", "/auth/v1/user", nil, bearer(access)...); st != 200 {
		t.Fatalf("token rejected before expiry: %d", st)
	}
	h.clock.Advance(time.Second)
	st, body := h.call(t, "GET", "/auth/v1/user", nil, bearer(access)...)
	if d := cmp.Diff(goTrue(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired"), body); st != 403 || d != "" {
		t.Errorf("expired: %d %s", st, d)
	}

	// Refresh rotates (reuse is TestRefreshTokenReuseRevokesTheSession's).
	st, s2 := h.call(t, "POST", "/auth/v1/token?grant_type=refresh_token", map[string]string{"refresh_token": refresh})
	if st != 200 || s2["refresh_token"] == refresh || s2["access_token"] == "" {
		t.Fatalf("refresh: %d %v", st, s2)
	}
	access2 := s2["access_token"].(string)

	// PUT /user merges metadata.
	st, u := h.call(t, "PUT", "/auth/v1/user", map[string]any{"data": map[string]any{"title": "Engineer"}}, bearer(access2)...)
	if st != 200 || u["user_metadata"].(map[string]any)["title"] != "Engineer" || u["user_metadata"].(map[string]any)["full_name"] != "Ada" {
		t.Errorf("PUT /user: %d %v", st, u)
	}

	// Logout revokes the session: its access token then fails as GoTrue fails.
	req, _ := http.NewRequest("POST", h.srv.URL+"/auth/v1/logout", nil)
	req.Header.Set("apikey", anon)
	req.Header.Set("Authorization", "Bearer "+access2)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("logout: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	st, body = h.call(t, "GET", "/auth/v1/user", nil, bearer(access2)...)
	if d := cmp.Diff(goTrue(403, "session_not_found", "Session from session_id claim in JWT does not exist"), body); st != 403 || d != "" {
		t.Errorf("after logout: %d %s", st, d)
	}
	st, body = h.call(t, "POST", "/auth/v1/token?grant_type=refresh_token", map[string]string{"refresh_token": s2["refresh_token"].(string)})
	if st != 400 || body["error_code"] != "refresh_token_not_found" {
		t.Errorf("refresh after logout: %d %v", st, body)
	}

	// A deleted user's token fails.
	st, s3 := h.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "ada@example.com", "password": "secret123"})
	if st != 200 {
		t.Fatalf("login: %d %v", st, s3)
	}
	id := s3["user"].(map[string]any)["id"].(string)
	if st, body := h.call(t, "DELETE", "/auth/v1/admin/users/"+id, nil, bearer(anon)...); st != 403 || body["error_code"] != "not_admin" {
		t.Errorf("delete without service role: %d %v", st, body)
	}
	if st, _ := h.call(t, "DELETE", "/auth/v1/admin/users/"+id, nil, bearer(admin)...); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	st, body = h.call(t, "GET", "/auth/v1/user", nil, bearer(s3["access_token"].(string))...)
	if d := cmp.Diff(goTrue(403, "user_not_found", "User from sub claim in JWT does not exist"), body); st != 403 || d != "" {
		t.Errorf("deleted user: %d %s", st, d)
	}
}

func TestStatePersists(t *testing.T) {
	dir := t.TempDir()
	clock := runtime.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	h := newHarness(t, dir, clock)
	s := h.signup(t, "ada@example.com", "secret123")
	h.srv.Close()
	if err := h.svc.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, dir, clock)
	if st, body := h2.call(t, "GET", "/auth/v1/user", nil, bearer(s["access_token"].(string))...); st != 200 || body["email"] != "ada@example.com" {
		t.Errorf("token after restart: %d %v", st, body)
	}
	if st, _ := h2.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "ada@example.com", "password": "secret123"}); st != 200 {
		t.Errorf("login after restart: %d", st)
	}
	if st, _ := h2.call(t, "POST", "/auth/v1/token?grant_type=refresh_token", map[string]string{"refresh_token": s["refresh_token"].(string)}); st != 200 {
		t.Errorf("refresh after restart: %d", st)
	}
}

func TestTokenCreatesOrSignsIn(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	s, err := h.svc.Token("cli@example.com", "")
	if err != nil || s.AccessToken == "" || s.User.Email != "cli@example.com" {
		t.Fatalf("Token new user: %v %+v", err, s)
	}
	s2, err := h.svc.Token("cli@example.com", "")
	if err != nil || s2.User.ID != s.User.ID {
		t.Fatalf("Token existing user: %v", err)
	}
	if _, err := h.svc.Token("cli@example.com", "wrong-password"); err == nil || !strings.Contains(err.Error(), "Invalid login credentials") {
		t.Errorf("Token with wrong password: %v", err)
	}
}
