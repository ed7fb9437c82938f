package supabase_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestVerifiedTokenRecheckedEveryCall: a token seen before (its claims are
// remembered) is still refused once expired, once its session is revoked
// and once its user is deleted, with GoTrue's errors; a token that differs
// only in its signature is refused.
func TestVerifiedTokenRecheckedEveryCall(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	s := h.signup(t, "grace@example.com", "secret123")
	access := s["access_token"].(string)
	for range 3 {
		if st, body := h.call(t, "GET", "/auth/v1/user", nil, bearer(access)...); st != 200 || body["email"] != "grace@example.com" {
			t.Fatalf("GET /user: %d %v", st, body)
		}
	}

	// The same header and payload with another signature.
	i := strings.LastIndexByte(access, '.')
	forged := access[:i+1] + strings.Repeat("A", len(access)-i-1)
	st, body := h.call(t, "GET", "/auth/v1/user", nil, bearer(forged)...)
	if st != 403 || body["error_code"] != "bad_jwt" || !strings.Contains(body["msg"].(string), "signature is invalid") {
		t.Errorf("forged signature: %d %v", st, body)
	}

	// Revoked session.
	req, _ := http.NewRequest("POST", h.srv.URL+"/auth/v1/logout", nil)
	req.Header.Set("apikey", anon)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("logout: %v %v", resp, err)
	}
	resp.Body.Close()
	st, body = h.call(t, "GET", "/auth/v1/user", nil, bearer(access)...)
	if d := cmp.Diff(goTrue(403, "session_not_found", "Session from session_id claim in JWT does not exist"), body); st != 403 || d != "" {
		t.Errorf("after logout: %d %s", st, d)
	}

	// Deleted user.
	st, s2 := h.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "grace@example.com", "password": "secret123"})
	if st != 200 {
		t.Fatalf("login: %d %v", st, s2)
	}
	access2 := s2["access_token"].(string)
	if st, _ := h.call(t, "GET", "/auth/v1/user", nil, bearer(access2)...); st != 200 {
		t.Fatalf("GET /user: %d", st)
	}
	// Expired, after having been accepted a second earlier.
	h.clock.Advance(3599 * time.Second)
	if st, _ := h.call(t, "GET", "/auth/v1/user", nil, bearer(access2)...); st != 200 {
		t.Fatalf("GET /user before expiry: %d", st)
	}
	h.clock.Advance(time.Second)
	st, body = h.call(t, "GET", "/auth/v1/user", nil, bearer(access2)...)
	if d := cmp.Diff(goTrue(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired"), body); st != 403 || d != "" {
		t.Errorf("expired: %d %s", st, d)
	}
	st, s3 := h.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "grace@example.com", "password": "secret123"})
	if st != 200 {
		t.Fatalf("login: %d %v", st, s3)
	}
	access3 := s3["access_token"].(string)
	if st, _ := h.call(t, "GET", "/auth/v1/user", nil, bearer(access3)...); st != 200 {
		t.Fatalf("GET /user: %d", st)
	}
	id := s3["user"].(map[string]any)["id"].(string)
	if st, _ := h.call(t, "DELETE", "/auth/v1/admin/users/"+id, nil, bearer(admin)...); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	st, body = h.call(t, "GET", "/auth/v1/user", nil, bearer(access3)...)
	if d := cmp.Diff(goTrue(403, "user_not_found", "User from sub claim in JWT does not exist"), body); st != 403 || d != "" {
		t.Errorf("deleted user: %d %s", st, d)
	}
}
