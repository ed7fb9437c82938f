package r2_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/emulator/r2"
	"jobmatch-edge/runtime"
)

// TestEmulatorWiring checks that the JobMatch config's buckets are bound
// by name, survive a restart on the same state dir, and are served by the
// S3 listener with the configured credentials.
func TestEmulatorWiring(t *testing.T) {
	dir := t.TempDir()
	emu := emulatortest.New(t, emulatortest.WithDir(dir), emulatortest.WithOptions(func(o *emulator.Options) {
		o.S3Addr = "127.0.0.1:0"
		o.R2AccessKeyID, o.R2SecretAccessKey = "test-key", "test-secret"
	}))
	ctx := context.Background()
	for _, name := range []string{"AVATARS", "RESUMES", "EXPORTS"} {
		if emu.Env.R2[name] == nil {
			t.Fatalf("binding %s missing; have %v", name, emu.Env.Names())
		}
	}
	resumes := emu.Env.R2["RESUMES"]
	if _, err := resumes.Put(ctx, "users/u1/resumes/cv.pdf", strings.NewReader("%PDF"), runtime.R2PutOptions{
		HTTPMetadata: runtime.R2HTTPMetadata{ContentType: "application/pdf"},
	}); err != nil {
		t.Fatal(err)
	}
	if o, _ := emu.Env.R2["AVATARS"].Head(ctx, "users/u1/resumes/cv.pdf"); o != nil {
		t.Fatal("buckets share objects")
	}

	lns, err := emu.ExtraListeners()
	if err != nil {
		t.Fatal(err)
	}
	if len(lns) != 1 || lns[0].Name != "S3 (R2)" || !strings.Contains(lns[0].Note, "test-key") {
		t.Fatalf("listeners = %+v", lns)
	}
	go func() { _ = lns[0].Server.Serve(lns[0].Listener) }()
	t.Cleanup(func() { _ = lns[0].Server.Close() })
	url, err := r2.Presign("GET", lns[0].URL, "jobmatch-ai-dev-resumes", "users/u1/resumes/cv.pdf", time.Hour, emu.Clock.Now(),
		r2.Credentials{AccessKeyID: "test-key", SecretAccessKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "%PDF" || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("presigned GET through the listener = %d %q", res.StatusCode, body)
	}

	_ = lns[0].Server.Close()
	emu.Close(t)
	again := emulatortest.New(t, emulatortest.WithDir(dir))
	obj, err := again.Env.R2["RESUMES"].Get(ctx, "users/u1/resumes/cv.pdf", runtime.R2GetOptions{})
	if err != nil || obj == nil {
		t.Fatalf("after restart: %v, %v", obj, err)
	}
	if s, _ := obj.Text(); s != "%PDF" {
		t.Fatalf("after restart body = %q", s)
	}
}

func TestEmulatorInMemory(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithInMemory())
	ctx := context.Background()
	b := emu.Env.R2["EXPORTS"]
	if _, err := b.Put(ctx, "exports/u1/a.txt", strings.NewReader("text"), runtime.R2PutOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := b.List(ctx, runtime.R2ListOptions{Prefix: "exports/"})
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("list = %+v, %v", res, err)
	}
}
