package main

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestDemoPasswordHash(t *testing.T) {
	if err := bcrypt.CompareHashAndPassword([]byte(demoPasswordHash), []byte(demoPassword)); err != nil {
		t.Fatalf("demoPasswordHash is not a hash of demoPassword: %v", err)
	}
	if cost, err := bcrypt.Cost([]byte(demoPasswordHash)); err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf("demoPasswordHash cost = %d, %v; want bcrypt's default %d", cost, err, bcrypt.DefaultCost)
	}
}

func TestServeSeedsDemoUserInMemory(t *testing.T) {
	s := startServe(t, env(), "--in-memory")
	r := e2eDo(t, "POST", s.URL+"/auth/v1/token?grant_type=password", map[string]string{"email": demoEmail, "password": demoPassword}, "apikey", e2eAnonKey)
	if r.status != 200 {
		t.Fatalf("demo sign-in: %d %s", r.status, r.body)
	}
}
