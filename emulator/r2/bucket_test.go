package r2

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func TestPutGetHead(t *testing.T) {
	backends(t, nil, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.clock.Advance(1500 * time.Microsecond) // uploaded is kept to the millisecond
		put := mustPut(t, f.b, "users/u1/profile/a.png", "hello", runtime.R2PutOptions{
			HTTPMetadata:   runtime.R2HTTPMetadata{ContentType: "image/png", CacheControl: "max-age=3600"},
			CustomMetadata: map[string]string{"userId": "u1"},
		})
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(put.Version) {
			t.Fatalf("version = %q, want 32 hex characters", put.Version)
		}
		want := &runtime.R2Object{
			Key: "users/u1/profile/a.png", Version: put.Version, Size: 5, ETag: md5hex("hello"), HTTPETag: `"` + md5hex("hello") + `"`,
			Uploaded:       start.Add(time.Millisecond),
			HTTPMetadata:   runtime.R2HTTPMetadata{ContentType: "image/png", CacheControl: "max-age=3600"},
			CustomMetadata: map[string]string{"userId": "u1"},
			Checksums:      runtime.R2Checksums{MD5: md5hex("hello")},
			StorageClass:   "Standard",
		}
		if d := cmp.Diff(want, put); d != "" {
			t.Fatalf("Put result (-want +got):\n%s", d)
		}
		head, err := f.b.Head(ctx, "users/u1/profile/a.png")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, head); d != "" {
			t.Fatalf("Head (-want +got):\n%s", d)
		}
		got, body := mustGetText(t, f.b, "users/u1/profile/a.png", runtime.R2GetOptions{})
		if body != "hello" {
			t.Fatalf("body = %q", body)
		}
		want.Range = &runtime.R2Range{Offset: ptr(0), Length: ptr(5)}
		if d := cmp.Diff(want, &got.R2Object); d != "" {
			t.Fatalf("Get (-want +got):\n%s", d)
		}
		h := http.Header{}
		got.WriteHTTPMetadata(h)
		if d := cmp.Diff(http.Header{"Content-Type": {"image/png"}, "Cache-Control": {"max-age=3600"}}, h); d != "" {
			t.Fatalf("WriteHTTPMetadata (-want +got):\n%s", d)
		}

		// Missing keys are nil, not errors.
		if o, err := f.b.Head(ctx, "missing"); o != nil || err != nil {
			t.Fatalf("Head(missing) = %v, %v", o, err)
		}
		if o, err := f.b.Get(ctx, "missing", runtime.R2GetOptions{}); o != nil || err != nil {
			t.Fatalf("Get(missing) = %v, %v", o, err)
		}

		// Overwrite: new version, new etag; the old content is gone.
		put2 := mustPut(t, f.b, "users/u1/profile/a.png", "bye", runtime.R2PutOptions{})
		if put2.Version == put.Version || put2.ETag != md5hex("bye") {
			t.Fatalf("overwrite = %+v", put2)
		}
		if _, body := mustGetText(t, f.b, "users/u1/profile/a.png", runtime.R2GetOptions{}); body != "bye" {
			t.Fatalf("body after overwrite = %q", body)
		}
		// A nil value stores an empty object.
		empty, err := f.b.Put(ctx, "empty", nil, runtime.R2PutOptions{})
		if err != nil || empty.Size != 0 || empty.ETag != md5hex("") {
			t.Fatalf("Put(nil) = %+v, %v", empty, err)
		}
	})
}

func TestPutChecksums(t *testing.T) {
	sha := sha256.Sum256([]byte("data"))
	shaHex := hex.EncodeToString(sha[:])
	backends(t, nil, func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			name    string
			opts    runtime.R2PutOptions
			wantErr string
			is      error
			want    runtime.R2Checksums
		}{
			{name: "md5 matches", opts: runtime.R2PutOptions{MD5: md5hex("data")}, want: runtime.R2Checksums{MD5: md5hex("data")}},
			{name: "md5 upper-case hex", opts: runtime.R2PutOptions{MD5: strings.ToUpper(md5hex("data"))}, want: runtime.R2Checksums{MD5: md5hex("data")}},
			{name: "sha256 matches", opts: runtime.R2PutOptions{SHA256: shaHex}, want: runtime.R2Checksums{MD5: md5hex("data"), SHA256: shaHex}},
			{name: "md5 mismatch", opts: runtime.R2PutOptions{MD5: md5hex("other")},
				wantErr: "put: The MD5 checksum you specified did not match what we received.\nYou provided a MD5 checksum with value: " + md5hex("other") + "\nActual MD5 was: " + md5hex("data") + " (10037)",
				is:      runtime.ErrR2BadDigest},
			{name: "sha1 mismatch", opts: runtime.R2PutOptions{SHA1: strings.Repeat("0", 40)},
				wantErr: "put: The SHA-1 checksum you specified did not match what we received.\nYou provided a SHA-1 checksum with value: " + strings.Repeat("0", 40) + "\nActual SHA-1 was: a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd (10037)",
				is:      runtime.ErrR2BadDigest},
			{name: "md5 too short", opts: runtime.R2PutOptions{MD5: "00"}, wantErr: "TypeError: MD5 is 32 hex characters, not 2"},
			{name: "sha512 too short", opts: runtime.R2PutOptions{SHA512: "00"}, wantErr: "TypeError: SHA-512 is 128 hex characters, not 2"},
			{name: "md5 not hex", opts: runtime.R2PutOptions{MD5: strings.Repeat("z", 32)}, wantErr: "TypeError: Provided MD5 wasn't a valid hex string"},
			{name: "two hashes", opts: runtime.R2PutOptions{MD5: md5hex("data"), SHA1: strings.Repeat("0", 40)}, wantErr: "TypeError: You cannot specify multiple hashing algorithms."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				obj, err := f.b.Put(context.Background(), tc.name, strings.NewReader("data"), tc.opts)
				if tc.wantErr != "" {
					wantErr(t, err, tc.wantErr, tc.is)
					if h, _ := f.b.Head(context.Background(), tc.name); h != nil {
						t.Fatalf("failed put stored %+v", h)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.want, obj.Checksums); d != "" {
					t.Fatalf("checksums (-want +got):\n%s", d)
				}
			})
		}
	})
}

func TestBindingErrors(t *testing.T) {
	small := DefaultLimits
	small.MaxPutBytes = 10
	backends(t, &small, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		long := strings.Repeat("k", 1025)
		bigMeta := map[string]string{"k": strings.Repeat("v", 8192)}
		for _, tc := range []struct {
			name string
			do   func() error
			want string
			is   error
		}{
			{"put empty key", func() error { _, err := f.b.Put(ctx, "", strings.NewReader("x"), runtime.R2PutOptions{}); return err },
				"put: The specified object name is not valid. (10020)", runtime.ErrR2InvalidObjectName},
			{"put long key", func() error { _, err := f.b.Put(ctx, long, strings.NewReader("x"), runtime.R2PutOptions{}); return err },
				"put: The specified object name is not valid. (10020)", runtime.ErrR2InvalidObjectName},
			{"get long key", func() error { _, err := f.b.Get(ctx, long, runtime.R2GetOptions{}); return err },
				"get: The specified object name is not valid. (10020)", runtime.ErrR2InvalidObjectName},
			{"head long key", func() error { _, err := f.b.Head(ctx, long); return err },
				"head: The specified object name is not valid. (10020)", runtime.ErrR2InvalidObjectName},
			{"delete long key", func() error { return f.b.Delete(ctx, "ok", long) },
				"delete: The specified object name is not valid. (10020)", runtime.ErrR2InvalidObjectName},
			{"metadata too large", func() error {
				_, err := f.b.Put(ctx, "m", strings.NewReader("x"), runtime.R2PutOptions{CustomMetadata: bigMeta})
				return err
			}, "put: Your metadata headers exceed the maximum allowed metadata size. (10012)", runtime.ErrR2MetadataTooLarge},
			{"object too large", func() error {
				_, err := f.b.Put(ctx, "big", strings.NewReader(strings.Repeat("x", 11)), runtime.R2PutOptions{})
				return err
			}, "put: Your proposed upload exceeds the maximum allowed object size. (100100)", runtime.ErrR2EntityTooLarge},
			{"bad storage class", func() error {
				_, err := f.b.Put(ctx, "sc", strings.NewReader("x"), runtime.R2PutOptions{StorageClass: "Banana"})
				return err
			}, "put: We encountered an internal error. Please try again. (10001)", runtime.ErrR2Internal},
			{"list limit too large", func() error { _, err := f.b.List(ctx, runtime.R2ListOptions{Limit: 1001}); return err },
				"list: MaxKeys params must be positive integer <= 1000. (10022)", runtime.ErrR2InvalidMaxKeys},
			{"list limit negative", func() error { _, err := f.b.List(ctx, runtime.R2ListOptions{Limit: -1}); return err },
				"list: MaxKeys params must be positive integer <= 1000. (10022)", runtime.ErrR2InvalidMaxKeys},
			{"list bad include", func() error {
				_, err := f.b.List(ctx, runtime.R2ListOptions{Include: []string{"etag"}})
				return err
			}, "RangeError: Unsupported include value etag", nil},
			{"delete too many", func() error { return f.b.Delete(ctx, make([]string, 1001)...) },
				"RangeError: delete: at most 1000 keys may be deleted at once, got 1001", nil},
		} {
			t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.do(), tc.want, tc.is) })
		}
		// Exactly at the limits is fine.
		mustPut(t, f.b, strings.Repeat("k", 1024), strings.Repeat("x", 10), runtime.R2PutOptions{
			CustomMetadata: map[string]string{"k": strings.Repeat("v", 8191)},
		})
		// The storage class is kept.
		if o := mustPut(t, f.b, "ia", "x", runtime.R2PutOptions{StorageClass: "InfrequentAccess"}); o.StorageClass != "InfrequentAccess" {
			t.Fatalf("storage class = %q", o.StorageClass)
		}
	})
}

func TestR2ErrorEnvelope(t *testing.T) {
	// A binding error maps to a v4 envelope with R2's code and text.
	status, env := runtime.ErrorEnvelope(runtime.ErrR2NoSuchUpload.In("uploadPart"))
	if status != 404 || env.Errors[0] != (runtime.ErrorItem{Code: 10024, Message: "The specified multipart upload does not exist."}) {
		t.Fatalf("ErrorEnvelope = %d %+v", status, env.Errors)
	}
}

func TestDelete(t *testing.T) {
	backends(t, nil, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for _, k := range []string{"a", "b", "c"} {
			mustPut(t, f.b, k, k, runtime.R2PutOptions{})
		}
		if err := f.b.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := f.b.Delete(ctx, "a"); err != nil { // idempotent
			t.Fatal(err)
		}
		if err := f.b.Delete(ctx, "b", "c", "missing"); err != nil {
			t.Fatal(err)
		}
		res, err := f.b.List(ctx, runtime.R2ListOptions{})
		if err != nil || len(res.Objects) != 0 {
			t.Fatalf("after deletes: %+v, %v", res, err)
		}
		if err := f.b.Delete(ctx); err != nil {
			t.Fatalf("Delete() = %v", err)
		}
	})
}

func listKeys(res *runtime.R2Objects) []string {
	out := []string{}
	for _, o := range res.Objects {
		out = append(out, o.Key)
	}
	return out
}

func TestList(t *testing.T) {
	backends(t, nil, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		keys := []string{"a", "a/b", "a/c/d", "a/c/e", "b", "b/z", "c", "é", "Z", "a/"}
		for _, k := range keys {
			mustPut(t, f.b, k, "v", runtime.R2PutOptions{
				HTTPMetadata: runtime.R2HTTPMetadata{ContentType: "text/plain"}, CustomMetadata: map[string]string{"k": k},
			})
		}
		for _, tc := range []struct {
			name      string
			opts      runtime.R2ListOptions
			keys      []string
			prefixes  []string
			truncated bool
		}{
			{"all in byte order", runtime.R2ListOptions{}, []string{"Z", "a", "a/", "a/b", "a/c/d", "a/c/e", "b", "b/z", "c", "é"}, []string{}, false},
			{"prefix", runtime.R2ListOptions{Prefix: "a/"}, []string{"a/", "a/b", "a/c/d", "a/c/e"}, []string{}, false},
			{"delimiter", runtime.R2ListOptions{Delimiter: "/"}, []string{"Z", "a", "b", "c", "é"}, []string{"a/", "b/"}, false},
			{"prefix and delimiter", runtime.R2ListOptions{Prefix: "a/", Delimiter: "/"}, []string{"a/", "a/b"}, []string{"a/c/"}, false},
			{"limit", runtime.R2ListOptions{Limit: 3}, []string{"Z", "a", "a/"}, []string{}, true},
			{"limit counts prefixes", runtime.R2ListOptions{Limit: 2, Delimiter: "/"}, []string{"Z", "a"}, []string{}, true},
			{"limit exact", runtime.R2ListOptions{Limit: 10}, []string{"Z", "a", "a/", "a/b", "a/c/d", "a/c/e", "b", "b/z", "c", "é"}, []string{}, false},
			{"startAfter", runtime.R2ListOptions{StartAfter: "b"}, []string{"b/z", "c", "é"}, []string{}, false},
			{"startAfter before prefix", runtime.R2ListOptions{StartAfter: "0", Prefix: "b"}, []string{"b", "b/z"}, []string{}, false},
			{"no match", runtime.R2ListOptions{Prefix: "zz"}, []string{}, []string{}, false},
			{"garbage cursor", runtime.R2ListOptions{Cursor: "!!!"}, []string{}, []string{}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := f.b.List(ctx, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.keys, listKeys(res)); d != "" {
					t.Errorf("keys (-want +got):\n%s", d)
				}
				if d := cmp.Diff(tc.prefixes, res.DelimitedPrefixes); d != "" {
					t.Errorf("delimitedPrefixes (-want +got):\n%s", d)
				}
				if res.Truncated != tc.truncated || (res.Cursor != "") != tc.truncated {
					t.Errorf("truncated = %v, cursor = %q; want truncated %v", res.Truncated, res.Cursor, tc.truncated)
				}
			})
		}

		t.Run("include", func(t *testing.T) {
			res, _ := f.b.List(ctx, runtime.R2ListOptions{Prefix: "c"})
			if o := res.Objects[0]; o.HTTPMetadata.ContentType != "" || o.CustomMetadata != nil {
				t.Fatalf("without include: %+v", o)
			}
			res, _ = f.b.List(ctx, runtime.R2ListOptions{Prefix: "c", Include: []string{"httpMetadata", "customMetadata"}})
			if o := res.Objects[0]; o.HTTPMetadata.ContentType != "text/plain" || o.CustomMetadata["k"] != "c" {
				t.Fatalf("with include: %+v", o)
			}
		})

		t.Run("cursor pages", func(t *testing.T) {
			for _, delim := range []string{"", "/"} {
				var got, gotPrefixes []string
				cursor := ""
				for page := 0; ; page++ {
					res, err := f.b.List(ctx, runtime.R2ListOptions{Limit: 2, Cursor: cursor, Delimiter: delim})
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, listKeys(res)...)
					gotPrefixes = append(gotPrefixes, res.DelimitedPrefixes...)
					if !res.Truncated {
						break
					}
					cursor = res.Cursor
					if page > 10 {
						t.Fatal("no end")
					}
				}
				want, wantP := []string{"Z", "a", "a/", "a/b", "a/c/d", "a/c/e", "b", "b/z", "c", "é"}, []string(nil)
				if delim != "" {
					want, wantP = []string{"Z", "a", "b", "c", "é"}, []string{"a/", "b/"}
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("delimiter %q keys (-want +got):\n%s", delim, d)
				}
				if d := cmp.Diff(wantP, gotPrefixes); d != "" {
					t.Errorf("delimiter %q prefixes (-want +got):\n%s", delim, d)
				}
			}
		})

		t.Run("later of cursor and startAfter wins", func(t *testing.T) {
			res, _ := f.b.List(ctx, runtime.R2ListOptions{Limit: 2})
			// The cursor is after "a"; startAfter "b" is later.
			got, _ := f.b.List(ctx, runtime.R2ListOptions{Cursor: res.Cursor, StartAfter: "b"})
			if d := cmp.Diff([]string{"b/z", "c", "é"}, listKeys(got)); d != "" {
				t.Errorf("startAfter later (-want +got):\n%s", d)
			}
			// startAfter "0" is earlier than the cursor.
			got, _ = f.b.List(ctx, runtime.R2ListOptions{Cursor: res.Cursor, StartAfter: "0", Limit: 2})
			if d := cmp.Diff([]string{"a/", "a/b"}, listKeys(got)); d != "" {
				t.Errorf("cursor later (-want +got):\n%s", d)
			}
		})
	})
}

func TestListManyPages(t *testing.T) {
	f := mustOpen(t, true, nil)
	ctx := context.Background()
	for i := range 1203 {
		mustPut(t, f.b, fmt.Sprintf("k%05d", i), "v", runtime.R2PutOptions{})
	}
	res, err := f.b.List(ctx, runtime.R2ListOptions{})
	if err != nil || len(res.Objects) != 1000 || !res.Truncated {
		t.Fatalf("default limit: %d objects, truncated %v, %v", len(res.Objects), res.Truncated, err)
	}
	res, err = f.b.List(ctx, runtime.R2ListOptions{Cursor: res.Cursor})
	if err != nil || len(res.Objects) != 203 || res.Truncated || res.Objects[0].Key != "k01000" {
		t.Fatalf("second page: %d objects, truncated %v, %v", len(res.Objects), res.Truncated, err)
	}
}

func TestConcurrentOverwriteAndGet(t *testing.T) {
	f := mustOpen(t, false, nil)
	ctx := context.Background()
	mustPut(t, f.b, "k", "v0", runtime.R2PutOptions{})
	done := make(chan error)
	go func() {
		for i := range 200 {
			if _, err := f.b.Put(ctx, "k", strings.NewReader(fmt.Sprintf("v%d", i)), runtime.R2PutOptions{}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 200 {
		obj, err := f.b.Get(ctx, "k", runtime.R2GetOptions{})
		if err != nil {
			t.Fatalf("Get during overwrite: %v", err)
		}
		body, err := obj.Text()
		if err != nil || !strings.HasPrefix(body, "v") || obj.ETag != md5hex(body) {
			t.Fatalf("Get during overwrite: %q (etag %s), %v", body, obj.ETag, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestErrorsIs(t *testing.T) {
	err := runtime.ErrR2InvalidRange.In("get")
	if !errors.Is(err, runtime.ErrR2InvalidRange) || errors.Is(err, runtime.ErrR2NoSuchKey) {
		t.Fatalf("errors.Is on R2Error misbehaves")
	}
	var cf *runtime.Error
	if !errors.As(err, &cf) || cf.Status != 416 || cf.Code != 10039 {
		t.Fatalf("errors.As *runtime.Error = %+v", cf)
	}
}
