package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
