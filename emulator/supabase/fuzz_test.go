package supabase

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"jobmatch-edge/runtime"
)

// FuzzJWTParse hands arbitrary strings to the token check, as a bearer
// token, directly and through GET /auth/v1/user: it never panics, never
// answers 5xx, and every refusal is a GoTrue error, {"code", "error_code",
// "msg"} with code equal to the HTTP status. Run it with
// `go test ./emulator/supabase -run '^$' -fuzz FuzzJWTParse -fuzztime 20s`.
func FuzzJWTParse(f *testing.F) {
	const secret = "fuzz-secret"
	clock := runtime.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := Open(Options{Dir: f.TempDir(), Clock: clock, JWTSecret: secret, AnonKey: "anon", BcryptCost: 4})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	mux := http.NewServeMux()
	s.Routes(mux)

	sess, err := s.Token("fuzz@example.com", "secret123")
	if err != nil {
		f.Fatal(err)
	}
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"sub": sess.User.ID, "session_id": sessionID(f, sess.AccessToken), "exp": exp.Unix(), "role": "authenticated"}
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			f.Fatal(err)
		}
		return tok
	}
	later := clock.Now().Add(time.Hour)
	for _, seed := range []string{
		sess.AccessToken, // valid
		sign(jwt.SigningMethodHS256, []byte(secret), claims(clock.Now().Add(-time.Second))),                        // expired
		sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(later)),                               // alg none
		sign(jwt.SigningMethodHS256, []byte("edge-local-jwt-secret-not-for-production-0000000000"), claims(later)), // wrong secret
		sign(jwt.SigningMethodHS512, []byte(secret), claims(later)),                                                // other alg
		sign(jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": sess.User.ID, "exp": later.Unix()}),      // no session_id
		sign(jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": 7, "session_id": []int{1}, "exp": "soon"}),
		"", " ", "a.b.c", "e30.e30.", "eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer x", "\x00\xff",
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, token string) {
		u, _, err := s.verify(token)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("verify(%q): not a GoTrue error: %v", token, err)
			}
			if e.Status < 400 || e.Status >= 500 || e.Code == "" || e.Msg == "" {
				t.Fatalf("verify(%q) = %+v", token, e)
			}
		} else if u == nil {
			t.Fatalf("verify(%q): no error and no user", token)
		}

		req := httptest.NewRequest("GET", "/auth/v1/user", nil)
		req.Header.Set("apikey", "anon")
		req.Header["Authorization"] = []string{"Bearer " + token} // as sent, unvalidated
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			var got UserJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ID != sess.User.ID {
				t.Fatalf("GET /user with %q: 200 %s", token, rec.Body)
			}
			return
		}
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("GET /user with %q: status %d %s", token, rec.Code, rec.Body)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("GET /user with %q: %d, not JSON: %s", token, rec.Code, rec.Body)
		}
		code, _ := body["code"].(float64)
		ec, _ := body["error_code"].(string)
		msg, _ := body["msg"].(string)
		if len(body) != 3 || int(code) != rec.Code || ec == "" || msg == "" {
			t.Fatalf("GET /user with %q: %d, not GoTrue's error shape: %s", token, rec.Code, rec.Body)
		}
	})
}

// sessionID reads the session_id claim of a token the stand-in issued.
func sessionID(tb testing.TB, token string) string {
	tb.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, c); err != nil {
		tb.Fatal(err)
	}
	sid, _ := c["session_id"].(string)
	return sid
}
