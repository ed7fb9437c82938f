package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clientsDir holds the npm clients (scripts/clients); `make clients` installs them.
var clientsDir = filepath.Join("..", "..", "scripts", "clients")

// runClient runs scripts/clients/<script> with node against a live server.
// Without node or the installed packages it skips, except under CI, where
// it fails: CI must exercise the real clients.
func runClient(t *testing.T, script string, args ...string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(clientsDir, "node_modules"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real-client test %s cannot run (%v): install node and run `make clients`", script, err)
		}
		t.Skipf("real-client test %s skipped (%v): run `make clients`", script, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = clientsDir
	out, err := cmd.CombinedOutput()
	t.Logf("node %s:\n%s", script, out)
	if err != nil {
		t.Fatalf("node %s failed: %v", script, err)
	}
}

// s3URL finds the S3 listener's URL in the banner.
func (s *server) s3URL(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(s.Banner, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "S3" && f[1] == "(R2)" {
			return f[2]
		}
	}
	t.Fatalf("no S3 listener in the banner:\n%s", s.Banner)
	return ""
}

// TestRealClients drives the running server with clients no one here wrote:
// the Cloudflare SDK (KV, D1, Vectorize), the OpenAI SDK (Workers AI's
// OpenAI-compatible routes, the AI Gateway), the AWS SDK (R2's S3 API), and
// Node's fetch/FormData as the JobMatch frontend's hooks use them (profile
// and application routes, signed in with supabase-js).
func TestRealClients(t *testing.T) {
	s := startServe(t, env(), "--in-memory")
	acct := "280c58ea17d9fe3235c33bd0a52a256b"
	for _, tc := range []struct {
		script string
		args   []string
	}{
		{"kv.mjs", []string{s.URL}},
		{"d1.mjs", []string{s.URL}},
		{"vectorize.mjs", []string{s.URL}},
		{"s3.mjs", []string{s.s3URL(t), "jobmatch-ai-dev-avatars"}},
		{"workers-ai-openai.mjs", []string{s.URL + "/client/v4/accounts/" + acct}},
		{"openai.mjs", []string{s.URL, acct, "jobmatch-ai-gateway-dev"}},
		{"frontend-profile.mjs", []string{s.URL, e2eAnonKey}},
	} {
		t.Run(tc.script, func(t *testing.T) { runClient(t, tc.script, tc.args...) })
	}
}
