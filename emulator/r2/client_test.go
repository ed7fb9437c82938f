package r2

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestS3RealClient runs scripts/clients/s3.mjs (the AWS SDK for JavaScript
// v3) against the S3 handler on a loopback listener, with the server on a
// fake clock the script signs at. Opt-in, as it needs Node and the npm
// clients: EDGE_CLIENT_TESTS=1 go test -run TestS3RealClient ./emulator/r2/
func TestS3RealClient(t *testing.T) {
	if os.Getenv("EDGE_CLIENT_TESTS") == "" {
		t.Skip("set EDGE_CLIENT_TESTS=1 to run the AWS SDK against the S3 endpoint (needs node and scripts/clients/node_modules)")
	}
	script, err := filepath.Abs("../../scripts/clients/s3.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "@aws-sdk", "client-s3")); err != nil {
		t.Fatalf("npm clients are not installed: %v (run npm ci in scripts/clients)", err)
	}
	f := mustOpen(t, false, nil)
	srv := httptest.NewServer(f.svc.S3Handler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, srv.URL, testBucket)
	cmd.Env = append(os.Environ(), "S3_NOW="+f.clock.Now().Format(time.RFC3339))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("s3.mjs: %v", err)
	}
}
