package r2

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

// TestCrashLeftovers simulates a crash in the middle of a put (a temp file)
// and between the rename and the metadata commit (a blob no row names):
// neither is an object after a restart, and both are removed.
func TestCrashLeftovers(t *testing.T) {
	f := mustOpen(t, false, nil)
	ctx := context.Background()
	kept := mustPut(t, f.b, "kept", "kept value", runtime.R2PutOptions{CustomMetadata: map[string]string{"a": "b"}})
	up, _ := f.b.CreateMultipartUpload(ctx, "multi", runtime.R2MultipartOptions{})
	part := mustUpload(t, up, 1, "part one")

	tmp := filepath.Join(f.dir, testBucket, "tmp", "put-123")
	orphan := filepath.Join(f.dir, testBucket, "blobs", newID())
	for _, p := range []string{tmp, orphan} {
		if err := os.WriteFile(p, []byte("half an obj"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Close(); err != nil {
		t.Fatal(err)
	}

	f.reopen(t, false, nil)
	res, err := f.b.List(ctx, runtime.R2ListOptions{Include: []string{"customMetadata"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"kept"}, listKeys(res)); d != "" {
		t.Fatalf("objects after restart (-want +got):\n%s", d)
	}
	got, body := mustGetText(t, f.b, "kept", runtime.R2GetOptions{})
	if body != "kept value" || got.Version != kept.Version || got.CustomMetadata["a"] != "b" || !got.Uploaded.Equal(kept.Uploaded) {
		t.Fatalf("kept after restart = %+v %q", got, body)
	}
	for _, p := range []string{tmp, orphan} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s survived the restart sweep (err %v)", p, err)
		}
	}
	// The unfinished upload survived, with its part.
	obj, err := f.b.ResumeMultipartUpload("multi", up.UploadID()).Complete(ctx, []runtime.R2UploadedPart{part})
	if err != nil || obj.Size != int64(len("part one")) {
		t.Fatalf("complete after restart = %+v, %v", obj, err)
	}
	// Every blob left is named by metadata: "kept" and "multi".
	ents, _ := os.ReadDir(filepath.Join(f.dir, testBucket, "blobs"))
	if len(ents) != 2 {
		t.Fatalf("blobs after restart and complete: %d, want 2", len(ents))
	}
}

// TestOverwriteRemovesOldBlob checks that replaced and deleted objects do
// not leave files behind.
func TestOverwriteRemovesOldBlob(t *testing.T) {
	f := mustOpen(t, false, nil)
	ctx := context.Background()
	for _, v := range []string{"a", "b", "c"} {
		mustPut(t, f.b, "k", v, runtime.R2PutOptions{})
	}
	// A failed conditional put leaves nothing either.
	if _, err := f.b.Put(ctx, "k", nil, runtime.R2PutOptions{OnlyIf: &runtime.R2Conditional{EtagMatches: "x"}}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		ents, _ := os.ReadDir(filepath.Join(f.dir, testBucket, "blobs"))
		tmps, _ := os.ReadDir(filepath.Join(f.dir, testBucket, "tmp"))
		return len(ents) + len(tmps)
	}
	if n := count(); n != 1 {
		t.Fatalf("files after 3 puts of one key: %d, want 1", n)
	}
	if err := f.b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("files after delete: %d, want 0", n)
	}
}
