package supabase_test

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestEnsureUserWithHash(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	hash, err := bcrypt.GenerateFromPassword([]byte("demo-secret"), 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.EnsureUserWithHash("not-a-hash@example.com", "plain-text"); err == nil {
		t.Fatal("EnsureUserWithHash accepted a value that is no bcrypt hash")
	}
	if err := h.svc.EnsureUserWithHash("Demo@Example.com", string(hash)); err != nil {
		t.Fatal(err)
	}
	// A second call (the next start) leaves the user as it is.
	if err := h.svc.EnsureUserWithHash("demo@example.com", string(hash)); err != nil {
		t.Fatal(err)
	}
	st, body := h.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "demo@example.com", "password": "demo-secret"})
	if st != 200 {
		t.Fatalf("sign-in with the hashed password: %d %v", st, body)
	}
	user := body["user"].(map[string]any)
	if user["email"] != "demo@example.com" || user["user_metadata"].(map[string]any)["full_name"] != "Demo User" {
		t.Errorf("demo user = %v", user)
	}
	if st, body := h.call(t, "POST", "/auth/v1/token?grant_type=password", map[string]string{"email": "demo@example.com", "password": "wrong-one"}); st != 400 || body["msg"] != "Invalid login credentials" {
		t.Errorf("sign-in with a wrong password: %d %v", st, body)
	}
}
