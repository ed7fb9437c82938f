package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"

	"jobmatch-edge/emulator"
)

// env makes a getenv from pairs.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// server is an `edge serve` running in the test process.
type server struct {
	URL    string
	Banner string
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startServe runs `edge serve args...` on 127.0.0.1:0 and returns once the
// banner names the listening address.
func startServe(t *testing.T, getenv func(string) string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0"}, args...)
	go func() {
		err := run(ctx, full, getenv, pw, s.stderr)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	sc := bufio.NewScanner(pr)
	var banner strings.Builder
	for sc.Scan() {
		line := sc.Text()
		banner.WriteString(line + "\n")
		if f := strings.Fields(line); len(f) == 2 && f[0] == "listening" {
			s.URL = f[1]
		}
		if strings.Contains(line, "Ctrl-C") {
			break
		}
	}
	if s.URL == "" {
		cancel()
		t.Fatalf("server did not start: %v\nstdout:\n%s\nstderr:\n%s", <-s.done, banner.String(), s.stderr)
	}
	// Read the rest of the banner, then keep draining stdout.
	go func() {
		for sc.Scan() {
		}
	}()
	s.Banner = banner.String()
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	if err := <-s.done; err != nil {
		t.Errorf("serve returned %v\nstderr:\n%s", err, s.stderr)
	}
}

func TestServeAnswersHealthAndShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, env(), "--state-dir", dir)
	for _, want := range []string{"state", dir, "account", "280c58ea17d9fe3235c33bd0a52a256b", "RATE_LIMITS", "Cloudflare REST API", s.URL + "/client/v4"} {
		if !strings.Contains(s.Banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, s.Banner)
		}
	}
	resp, err := http.Get(s.URL + "/_edge/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status   string                        `json:"status"`
		Version  string                        `json:"version"`
		UptimeMS *int64                        `json:"uptime_ms"`
		Bindings map[string][]emulator.Binding `json:"bindings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || h.Status != "ok" || h.Version != version || h.UptimeMS == nil || len(h.Bindings["kv"]) != 6 {
		t.Errorf("health = %d %+v", resp.StatusCode, h)
	}
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "stores closed cleanly") {
		t.Errorf("shutdown log:\n%s", s.stderr)
	}
	// The state dir is free again: a second server can take it.
	startServe(t, env(), "--state-dir", dir)
}

func TestServeRefusesNonLoopbackWithoutToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		getenv func(string) string
		want   string
	}{
		{"all interfaces", []string{"--addr", "0.0.0.0:0"}, env(),
			"refusing to listen on 0.0.0.0:0 (0.0.0.0) without --api-token: edge serves your local data and the Cloudflare REST API unauthenticated, so off loopback it must be guarded; pass --api-token TOKEN (or EDGE_API_TOKEN), or listen on 127.0.0.1"},
		{"empty host", []string{"--addr", ":0"}, env(),
			"refusing to listen on :0 (all interfaces) without --api-token: edge serves your local data and the Cloudflare REST API unauthenticated, so off loopback it must be guarded; pass --api-token TOKEN (or EDGE_API_TOKEN), or listen on 127.0.0.1"},
		{"from EDGE_ADDR", nil, env("EDGE_ADDR", "0.0.0.0:0"),
			"refusing to listen on 0.0.0.0:0 (0.0.0.0) without --api-token: edge serves your local data and the Cloudflare REST API unauthenticated, so off loopback it must be guarded; pass --api-token TOKEN (or EDGE_API_TOKEN), or listen on 127.0.0.1"},
		{"S3 on all interfaces", []string{"--s3-addr", "0.0.0.0:0"}, env(),
			"refusing to listen on 0.0.0.0:0 (0.0.0.0) without --api-token: edge serves your local data and the Cloudflare REST API unauthenticated, so off loopback it must be guarded; pass --api-token TOKEN (or EDGE_API_TOKEN), or listen on 127.0.0.1"},
		{"S3 from EDGE_S3_ADDR", nil, env("EDGE_S3_ADDR", ":0"),
			"refusing to listen on :0 (all interfaces) without --api-token: edge serves your local data and the Cloudflare REST API unauthenticated, so off loopback it must be guarded; pass --api-token TOKEN (or EDGE_API_TOKEN), or listen on 127.0.0.1"},
		{"bad S3 address", []string{"--s3-addr", "8789"}, env(), `--s3-addr "8789": address 8789: missing port in address (use host:port, e.g. 127.0.0.1:8787)`},
		{"public url with a path", []string{"--public-url", "https://edge.example.com/api"}, env(),
			`--public-url "https://edge.example.com/api": give the origin clients reach the server at, scheme://host[:port] with no path (e.g. https://edge.example.com)`},
		{"public url without scheme", nil, env("EDGE_PUBLIC_URL", "edge.example.com"),
			`--public-url "edge.example.com": give the origin clients reach the server at, scheme://host[:port] with no path (e.g. https://edge.example.com)`},
		{"bad log format", []string{"--log-format", "xml"}, env(), `--log-format "xml": use text or json`},
		{"bad env var value", nil, env("EDGE_SYNC", "maybe"), `EDGE_SYNC="maybe": invalid argument "maybe" for "--sync" flag: must be true or false`},
		{"unknown env", []string{"--env", "qa"}, env(),
			`fixtures/wrangler.toml (built in): env: no environment named "qa" (the file defines: development, production, staging)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"serve", "--in-memory"}, tc.args...), tc.getenv, &stdout, &stderr)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestFlagBeatsEnvironment(t *testing.T) {
	// EDGE_ADDR would be refused; the flag wins.
	s := startServe(t, env("EDGE_ADDR", "0.0.0.0:0", "EDGE_IN_MEMORY", "true"), "--addr", "127.0.0.1:0")
	if !strings.Contains(s.Banner, "in memory") {
		t.Errorf("EDGE_IN_MEMORY not applied:\n%s", s.Banner)
	}
}

func TestHelpListsEveryFlagWithDefault(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--help"}, env(), &stdout, &stderr)
	if !errors.Is(err, pflag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		"--addr string", `(default "127.0.0.1:8787"; env EDGE_ADDR)`, "--public-url string", `(default ""; env EDGE_PUBLIC_URL)`,
		"--config string", "--env string", `(default "development"; env EDGE_ENV)`,
		"--state-dir string", `(default ".edge"; env EDGE_STATE_DIR)`,
		"--in-memory", "(default false; env EDGE_IN_MEMORY)", "--sync", "--api-token string", "--account-id string",
		"--log-format string", `(default "text"; env EDGE_LOG_FORMAT)`, "--log-level string", `(default "info"; env EDGE_LOG_LEVEL)`,
		"--ai-backend string", `(default "auto"; env EDGE_AI_BACKEND)`, "--ollama-url string", "--ai-model-map string",
		"--openai-upstream string", "--s3-addr string", `(default "127.0.0.1:8789"; env EDGE_S3_ADDR)`,
		"--r2-access-key-id string", "--r2-secret-access-key string", "--no-migrate",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	var help bytes.Buffer
	if err := run(context.Background(), []string{"help"}, env(), &help, io.Discard); err != nil || !strings.Contains(help.String(), "\n  edge secrets [--state-dir DIR]  ") {
		t.Errorf("help lacks edge secrets: %v\n%s", err, help.String())
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(), &stdout, io.Discard); err != nil || stdout.String() != "edge "+version+"\n" {
		t.Errorf("version: %q %v", stdout.String(), err)
	}
	err := run(context.Background(), []string{"frobnicate"}, env(), io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %v", err)
	}
}

func TestKVCommand(t *testing.T) {
	dir := t.TempDir()
	kv := func(args ...string) (string, error) {
		var stdout bytes.Buffer
		err := run(context.Background(), append(append([]string{"kv", "key"}, args...), "--state-dir", dir), env(), &stdout, io.Discard)
		return stdout.String(), err
	}
	mustKV := func(args ...string) string {
		t.Helper()
		out, err := kv(args...)
		if err != nil {
			t.Fatalf("edge kv key %v: %v", args, err)
		}
		return out
	}
	mustKV("put", "greeting", "hello", "--binding", "RATE_LIMITS", "--metadata", `{"a":1}`)
	valueFile := filepath.Join(t.TempDir(), "v.bin")
	if err := os.WriteFile(valueFile, []byte("from file"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKV("put", "gr/file", "--path", valueFile, "--binding", "RATE_LIMITS")
	if got := mustKV("get", "greeting", "--binding", "RATE_LIMITS"); got != "hello" {
		t.Errorf("get = %q", got)
	}
	if got := mustKV("get", "gr/file", "--binding", "RATE_LIMITS"); got != "from file" {
		t.Errorf("get file value = %q", got)
	}
	var keys []struct {
		Name     string          `json:"name"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(mustKV("list", "--binding", "RATE_LIMITS", "--prefix", "gr")), &keys); err != nil {
		t.Fatal(err)
	}
	var meta bytes.Buffer
	if len(keys) == 2 {
		_ = json.Compact(&meta, keys[1].Metadata)
	}
	if len(keys) != 2 || keys[0].Name != "gr/file" || keys[1].Name != "greeting" || meta.String() != `{"a":1}` {
		t.Errorf("list = %+v", keys)
	}
	mustKV("delete", "greeting", "--binding", "RATE_LIMITS")
	if _, err := kv("get", "greeting", "--binding", "RATE_LIMITS"); err == nil || !strings.Contains(err.Error(), "key not found") {
		t.Errorf("get after delete: %v", err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown binding", []string{"get", "k", "--binding", "NOPE"}, `no KV binding "NOPE" in env "development" of fixtures/wrangler.toml (built in) (have: JOB_ANALYSIS_CACHE, SESSIONS, RATE_LIMITS, OAUTH_STATES, EMBEDDINGS_CACHE, AI_GATEWAY_CACHE)`},
		{"no binding", []string{"get", "k"}, "pass --binding NAME (one of: JOB_ANALYSIS_CACHE, SESSIONS, RATE_LIMITS, OAUTH_STATES, EMBEDDINGS_CACHE, AI_GATEWAY_CACHE) or --namespace-id ID"},
		{"put without value", []string{"put", "k", "--binding", "RATE_LIMITS"}, "kv key put: give VALUE or --path FILE"},
		{"bad metadata", []string{"put", "k", "v", "--binding", "RATE_LIMITS", "--metadata", "{"}, "--metadata is not valid JSON: {"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := kv(tc.args...); err == nil || err.Error() != tc.want {
				t.Errorf("err = %v\nwant %s", err, tc.want)
			}
		})
	}

	// While a server holds the state dir, the CLI refuses with a clear message.
	startServe(t, env(), "--state-dir", dir)
	_, err := kv("get", "gr/file", "--binding", "RATE_LIMITS")
	if err == nil || !errors.Is(err, emulator.ErrStateDirBusy) || !strings.Contains(err.Error(), "stop that server first, or use its REST API") {
		t.Errorf("kv while serving: %v", err)
	}
}

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	token := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"token", "--state-dir", dir}, args...), env(), &stdout, &stderr)
		return strings.TrimSpace(stdout.String()), err
	}
	// No server on that URL: the state dir is used directly.
	offline, err := token("--email", "dev@example.com", "--password", "secret123", "--url", "http://127.0.0.1:1")
	if err != nil || strings.Count(offline, ".") != 2 {
		t.Fatalf("offline token: %q %v", offline, err)
	}
	// Its issuer is the server it would have asked.
	if iss := claimsOf(t, offline)["iss"]; iss != "http://127.0.0.1:1/auth/v1" {
		t.Errorf("offline token iss = %v", iss)
	}
	s := startServe(t, env(), "--state-dir", dir)
	if !strings.Contains(s.Banner, "demo user") || !strings.Contains(s.Banner, demoEmail+" / "+demoPassword) {
		t.Errorf("banner lacks the demo user:\n%s", s.Banner)
	}
	user := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL+"/auth/v1/user", nil)
		req.Header.Set("apikey", "edge-local-anon-key")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var u struct {
			Email string `json:"email"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&u)
		return resp.StatusCode, u.Email
	}
	if st, email := user(offline); st != 200 || email != "dev@example.com" {
		t.Errorf("offline token against the server: %d %q", st, email)
	}
	// With the server running, the CLI asks it.
	online, err := token("--email", demoEmail, "--password", demoPassword, "--url", s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if st, email := user(online); st != 200 || email != demoEmail {
		t.Errorf("online token: %d %q", st, email)
	}
	if _, err := token("--email", demoEmail, "--password", "wrong-password", "--url", s.URL); err == nil || err.Error() != s.URL+": invalid_credentials: Invalid login credentials" {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := token("--url", s.URL); err == nil || !strings.HasPrefix(err.Error(), "--email is required") {
		t.Errorf("no email: %v", err)
	}
}

func TestTailStreamsWorkerEvents(t *testing.T) {
	s := startServe(t, env(), "--in-memory")
	tok, err := tokenFromServer(context.Background(), s.URL, "", demoEmail, demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"tail", "--url", s.URL, "--format", "pretty", "--method", "GET", "--search", "/api/"}, env(), outW, errW)
		outW.Close()
		errW.Close()
	}()
	// Wait until tail is connected.
	errLines := bufio.NewScanner(errR)
	if !errLines.Scan() || !strings.HasPrefix(errLines.Text(), "Connected to "+s.URL) {
		t.Fatalf("tail did not connect: %q", errLines.Text())
	}
	go func() {
		for errLines.Scan() {
		}
	}()
	// Filtered out: POST, and a path without "/api/".
	for _, r := range []struct{ method, path string }{{"POST", "/api/nope"}, {"GET", "/health"}, {"GET", "/api/nope"}} {
		req, _ := http.NewRequest(r.method, s.URL+r.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatal("no tail output")
	}
	if got := lines.Text(); !strings.HasPrefix(got, "GET "+s.URL+"/api/nope - Ok (404) @ ") {
		t.Errorf("tail line = %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("tail returned %v", err)
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"tail", "--url", s.URL, "--status", "maybe"}, env(), io.Discard, &stderr); err == nil || err.Error() != s.URL+": status \"maybe\": use ok or error" {
		t.Errorf("bad status: %v", err)
	}
}

func TestD1Command(t *testing.T) {
	dir := t.TempDir()
	d1 := func(args ...string) (string, error) {
		var stdout bytes.Buffer
		err := run(context.Background(), append(append([]string{"d1"}, args...), "--state-dir", dir), env(), &stdout, io.Discard)
		return stdout.String(), err
	}
	out, err := d1("migrations", "list", "DB")
	if err != nil || !regexp.MustCompile(`0001_initial_schema.sql +pending`).MatchString(out) || strings.Contains(out, "applied") || strings.Contains(out, "\n0 pending") {
		t.Fatalf("list before apply: %v\n%s", err, out)
	}
	out, err = d1("migrations", "apply", "jobmatch-dev")
	if err != nil || !strings.HasPrefix(out, "applied 0001_initial_schema.sql\napplied 0002_fix_users_fts_content_table.sql\n") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if out, err = d1("migrations", "apply", "DB"); err != nil || out != "no pending migrations for jobmatch-dev\n" {
		t.Errorf("re-apply: %v %q", err, out)
	}
	if out, err = d1("migrations", "list", "DB"); err != nil || !strings.Contains(out, "0 pending") {
		t.Errorf("list after apply: %v\n%s", err, out)
	}
	out, err = d1("execute", "DB", "--command", "INSERT INTO users (id, email) VALUES ('u1', 'a@example.com'); SELECT id, email FROM users", "--json")
	if err != nil || !strings.Contains(strings.ReplaceAll(out, " ", ""), `"email":"a@example.com"`) {
		t.Errorf("execute: %v\n%s", err, out)
	}
	sqlFile := filepath.Join(t.TempDir(), "q.sql")
	if err := os.WriteFile(sqlFile, []byte("SELECT count(*) AS n FROM users;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err = d1("execute", "DB", "--file", sqlFile); err != nil || !strings.Contains(out, "n") || !strings.Contains(out, "1") {
		t.Errorf("execute --file: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"execute", "DB", "--command", "SELEC 1"}, `D1_ERROR: near "SELEC": syntax error at offset 0: SQLITE_ERROR`},
		{[]string{"execute", "DB"}, "edge d1 execute: give --command SQL or --file F"},
		{[]string{"execute", "DB", "--command", "x", "--file", "y"}, "edge d1 execute: give --command or --file, not both"},
	} {
		if _, err := d1(tc.args...); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v\nwant %s", tc.args, err, tc.want)
		}
	}
	if _, err := d1("execute", "NOPE", "--command", "SELECT 1"); err == nil {
		t.Error("unknown database accepted")
	}
}

func TestStatsEndpoint(t *testing.T) {
	s := startServe(t, env(), "--in-memory")
	resp, err := http.Get(s.URL + "/_edge/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		EmbeddingsCache struct {
			Model    string `json:"model"`
			Requests int64  `json:"requests"`
		} `json:"embeddingsCache"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 ||
		body.EmbeddingsCache.Model != "@cf/baai/bge-base-en-v1.5" || body.EmbeddingsCache.Requests != 0 {
		t.Errorf("/_edge/stats: %d %+v %v", resp.StatusCode, body, err)
	}
}
