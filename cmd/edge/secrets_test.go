package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"jobmatch-edge/emulator/config"
)

// The secrets fixtures/.dev.vars published before edge made its own: they
// must open nothing.
const (
	publishedJWTSecret   = "edge-local-jwt-secret-not-for-production-0000000000"
	publishedServiceRole = "edge-local-service-role-key"
)

// runSecretsCmd runs `edge secrets args...` and returns its KEY=value lines.
func runSecretsCmd(t *testing.T, args ...string) map[string]string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"secrets"}, args...), env(), &stdout, &stderr); err != nil {
		t.Fatalf("edge secrets %v: %v\n%s", args, err, stderr.String())
	}
	vals, err := config.ParseDotenv("stdout", stdout.Bytes())
	if err != nil {
		t.Fatalf("edge secrets printed %q: %v", stdout.String(), err)
	}
	return vals
}

// claimsOf reads a token's claims without checking it.
func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, c); err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	return c
}

func mustSign(t *testing.T, c jwt.MapClaims, secret string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// verifies reports whether token's signature checks with secret.
func verifies(token, secret string) bool {
	_, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return []byte(secret), nil }, jwt.WithoutClaimsValidation())
	return err == nil
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestSecretsPerStateDir: with the built-in configuration the JWT secret
// and the service-role key are made once per state dir (secrets.json,
// 0600), the same across `edge secrets` calls and server restarts,
// different in another state dir; the anon key stays the well-known one.
// What the published secrets sign or open is refused.
func TestSecretsPerStateDir(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	a := runSecretsCmd(t, "--state-dir", dirA)
	if a["SUPABASE_ANON_KEY"] != e2eAnonKey || !hex64.MatchString(a["SUPABASE_JWT_SECRET"]) || !hex64.MatchString(a["SUPABASE_SERVICE_ROLE_KEY"]) ||
		a["SUPABASE_JWT_SECRET"] == a["SUPABASE_SERVICE_ROLE_KEY"] {
		t.Fatalf("edge secrets = %v", a)
	}
	if again := runSecretsCmd(t, "--state-dir", dirA); again["SUPABASE_JWT_SECRET"] != a["SUPABASE_JWT_SECRET"] || again["SUPABASE_SERVICE_ROLE_KEY"] != a["SUPABASE_SERVICE_ROLE_KEY"] {
		t.Errorf("second edge secrets = %v, want %v", again, a)
	}
	b := runSecretsCmd(t, "--state-dir", dirB)
	if b["SUPABASE_JWT_SECRET"] == a["SUPABASE_JWT_SECRET"] || b["SUPABASE_SERVICE_ROLE_KEY"] == a["SUPABASE_SERVICE_ROLE_KEY"] {
		t.Errorf("two state dirs share secrets: %v", b)
	}
	fi, err := os.Stat(filepath.Join(dirA, "secrets.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets.json: %v %v", fi, err)
	}

	// The server uses them, and prints them.
	s := startServe(t, env(), "--state-dir", dirA)
	for _, want := range []string{"service role " + a["SUPABASE_SERVICE_ROLE_KEY"], a["SUPABASE_JWT_SECRET"] + "  (edge secrets", "edge secrets --state-dir " + dirA} {
		if !strings.Contains(s.Banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, s.Banner)
		}
	}
	if got := runSecretsCmd(t, "--state-dir", dirA); got["SUPABASE_JWT_SECRET"] != a["SUPABASE_JWT_SECRET"] {
		t.Errorf("edge secrets while the server holds the dir = %v", got)
	}
	sess, err := tokenFromServer(context.Background(), s.URL, "", demoEmail, demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !verifies(sess.AccessToken, a["SUPABASE_JWT_SECRET"]) {
		t.Errorf("the server's token is not signed with the state dir's secret")
	}
	bearer := []string{"Authorization", "Bearer " + sess.AccessToken}
	if r := e2eDo(t, "GET", s.URL+"/api/jobs", nil, bearer...); r.status != 200 {
		t.Fatalf("GET /api/jobs = %d %s", r.status, r.body)
	}

	// A token for the same user and session, signed with the secret that
	// fixtures/.dev.vars used to publish: the contract's INVALID_TOKEN.
	forged := mustSign(t, claimsOf(t, sess.AccessToken), publishedJWTSecret)
	r := e2eDo(t, "GET", s.URL+"/api/jobs", nil, "Authorization", "Bearer "+forged)
	if want := `{"code":"INVALID_TOKEN","message":"Invalid token","statusCode":401}`; r.status != 401 || string(r.body) != want {
		t.Errorf("token signed with the published secret = %d %s, want 401 %s", r.status, r.body, want)
	}
	// Signed with the right secret but without session_id: INVALID_TOKEN too.
	noSession := claimsOf(t, sess.AccessToken)
	delete(noSession, "session_id")
	r = e2eDo(t, "GET", s.URL+"/api/jobs", nil, "Authorization", "Bearer "+mustSign(t, noSession, a["SUPABASE_JWT_SECRET"]))
	if want := `{"code":"INVALID_TOKEN","message":"Invalid token","statusCode":401}`; r.status != 401 || string(r.body) != want {
		t.Errorf("token without session_id = %d %s, want 401 %s", r.status, r.body, want)
	}
	// The published service-role key opens no admin route.
	del := s.URL + "/auth/v1/admin/users/" + sess.User.ID
	r = e2eDo(t, "DELETE", del, nil, "apikey", publishedServiceRole, "Authorization", "Bearer "+publishedServiceRole)
	if want := `{"message":"Invalid API key","hint":"Double check your Supabase ` + "`anon` or `service_role`" + ` API key."}`; r.status != 401 || strings.TrimSpace(string(r.body)) != want {
		t.Errorf("admin route with the published key as apikey = %d %s", r.status, r.body)
	}
	r = e2eDo(t, "DELETE", del, nil, "apikey", e2eAnonKey, "Authorization", "Bearer "+publishedServiceRole)
	if want := `{"code":403,"error_code":"not_admin","msg":"User not allowed"}`; r.status != 403 || strings.TrimSpace(string(r.body)) != want {
		t.Errorf("admin route with the published key = %d %s, want 403 %s", r.status, r.body, want)
	}

	// Restart on the same state dir: the secret persists, so the token
	// issued before still works.
	s.stop(t)
	s = startServe(t, env(), "--state-dir", dirA)
	if r := e2eDo(t, "GET", s.URL+"/api/jobs", nil, bearer...); r.status != 200 {
		t.Errorf("token from before the restart: %d %s", r.status, r.body)
	}
	// In another state dir it is foreign.
	s.stop(t)
	s = startServe(t, env(), "--state-dir", dirB)
	if r := e2eDo(t, "GET", s.URL+"/api/jobs", nil, bearer...); r.status != 401 || !strings.Contains(string(r.body), "INVALID_TOKEN") {
		t.Errorf("token of state dir A on state dir B: %d %s", r.status, r.body)
	}
}

// bannerSecret reads the JWT secret a server printed.
func bannerSecret(t *testing.T, s *server) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  jwt secret +(\S+)`).FindStringSubmatch(s.Banner)
	if m == nil {
		t.Fatalf("no jwt secret in the banner:\n%s", s.Banner)
	}
	return m[1]
}

// TestInMemorySecretsPerRun: --in-memory makes fresh secrets every run and
// writes nothing.
func TestInMemorySecretsPerRun(t *testing.T) {
	dir := t.TempDir()
	s1 := startServe(t, env(), "--in-memory", "--state-dir", dir)
	first := bannerSecret(t, s1)
	if strings.Contains(s1.Banner, "edge secrets --state-dir") {
		t.Errorf("an in-memory banner points at edge secrets:\n%s", s1.Banner)
	}
	s1.stop(t)
	s2 := startServe(t, env(), "--in-memory", "--state-dir", dir)
	if second := bannerSecret(t, s2); !hex64.MatchString(first) || second == first {
		t.Errorf("in-memory secrets: %q then %q", first, second)
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets.json")); !os.IsNotExist(err) {
		t.Errorf("--in-memory wrote secrets.json: %v", err)
	}
}

// TestDevVarsSecretsUsedAsGiven: a user's .dev.vars that sets the secrets
// (and SUPABASE_URL) is used as given; nothing is made for it.
func TestDevVarsSecretsUsedAsGiven(t *testing.T) {
	cfgDir, state := t.TempDir(), t.TempDir()
	toml, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(cfgDir, "wrangler.toml")
	devVars := strings.Join([]string{
		"SUPABASE_URL=http://127.0.0.1:9",
		"SUPABASE_JWT_SECRET=my-own-jwt-secret-of-at-least-32-characters",
		"SUPABASE_ANON_KEY=my-anon-key",
		"SUPABASE_SERVICE_ROLE_KEY=my-service-role-key",
		"LINKEDIN_CLIENT_ID=my-client",
		"LINKEDIN_CLIENT_SECRET=my-client-secret",
		"LINKEDIN_AUTH_URL=https://linkedin.example/oauth/v2",
		"LINKEDIN_REDIRECT_URI=https://app.example/callback",
		"",
	}, "\n")
	for name, data := range map[string]string{cfg: string(toml), filepath.Join(cfgDir, ".dev.vars"): devVars} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := runSecretsCmd(t, "--config", cfg, "--state-dir", state)
	want := map[string]string{"SUPABASE_ANON_KEY": "my-anon-key", "SUPABASE_SERVICE_ROLE_KEY": "my-service-role-key", "SUPABASE_JWT_SECRET": "my-own-jwt-secret-of-at-least-32-characters"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("edge secrets %s = %q, want %q", k, got[k], v)
		}
	}

	s := startServe(t, env(), "--config", cfg, "--state-dir", state)
	r := e2eDo(t, "POST", s.URL+"/auth/v1/signup", map[string]string{"email": "own@example.com", "password": "secret123"}, "apikey", "my-anon-key")
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &sess)
	if r.status != 200 || !verifies(sess.AccessToken, want["SUPABASE_JWT_SECRET"]) {
		t.Fatalf("signup with the config's keys: %d %s", r.status, r.body)
	}
	if iss := claimsOf(t, sess.AccessToken)["iss"]; iss != "http://127.0.0.1:9/auth/v1" {
		t.Errorf("iss = %v, want the config's SUPABASE_URL", iss)
	}
	// The API reaches that SUPABASE_URL in-process.
	bearer := []string{"Authorization", "Bearer " + sess.AccessToken}
	if r := e2eDo(t, "GET", s.URL+"/api/jobs", nil, bearer...); r.status != 200 {
		t.Errorf("GET /api/jobs = %d %s", r.status, r.body)
	}
	r = e2eDo(t, "GET", s.URL+"/api/auth/linkedin/initiate", nil, bearer...)
	if r.status != 200 || !strings.Contains(string(r.body), `"authUrl":"https://linkedin.example/oauth/v2/authorization?response_type=code&client_id=my-client&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&`) {
		t.Errorf("initiate = %d %s", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(state, "secrets.json")); !os.IsNotExist(err) {
		t.Errorf("secrets.json made for a config with its own secrets: %v", err)
	}
}

// TestSecretsCommandErrors: no stand-in, stray arguments.
func TestSecretsCommandErrors(t *testing.T) {
	cfgDir := t.TempDir()
	cfg := filepath.Join(cfgDir, "wrangler.toml")
	if err := os.WriteFile(cfg, []byte("name = \"plain\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", cfg, "--env", ""}, cfg + " sets no SUPABASE_JWT_SECRET (in .dev.vars): the Supabase Auth stand-in is off"},
		{[]string{"extra"}, `secrets takes no arguments, got ["extra"]` + "\nusage: " + secretsUsage},
	} {
		err := run(context.Background(), append([]string{"secrets", "--state-dir", t.TempDir()}, tc.args...), env(), io.Discard, io.Discard)
		if err == nil || err.Error() != tc.want {
			t.Errorf("edge secrets %v: %v\nwant %s", tc.args, err, tc.want)
		}
	}
}
