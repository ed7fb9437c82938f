package r2

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

// smallParts shrinks the minimum part size so tests stay small.
func smallParts() *Limits {
	l := DefaultLimits
	l.MinPartBytes = 5
	return &l
}

func multipartETag(parts ...string) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum([]byte(p))
		h.Write(s[:])
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}

func mustUpload(t *testing.T, u runtime.R2MultipartUpload, n int, data string) runtime.R2UploadedPart {
	t.Helper()
	p, err := u.UploadPart(context.Background(), n, strings.NewReader(data))
	if err != nil {
		t.Fatalf("UploadPart(%d): %v", n, err)
	}
	return p
}

func TestMultipart(t *testing.T) {
	backends(t, smallParts(), func(t *testing.T, f *fixture) {
		ctx := context.Background()
		up, err := f.b.CreateMultipartUpload(ctx, "big", runtime.R2MultipartOptions{
			HTTPMetadata: runtime.R2HTTPMetadata{ContentType: "application/pdf"}, CustomMetadata: map[string]string{"a": "b"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Key() != "big" || len(up.UploadID()) != 32 {
			t.Fatalf("upload = %q %q", up.Key(), up.UploadID())
		}
		p2 := mustUpload(t, up, 2, "BBBBB")
		p1 := mustUpload(t, up, 1, "xxxxx")
		p1 = mustUpload(t, up, 1, "AAAAA") // replaces the first upload of part 1
		p3 := mustUpload(t, up, 3, "CC")
		if p1.ETag != md5hex("AAAAA") || p1.PartNumber != 1 {
			t.Fatalf("part 1 = %+v", p1)
		}
		// Resume by id, complete with parts given out of order.
		obj, err := f.b.ResumeMultipartUpload("big", up.UploadID()).Complete(ctx, []runtime.R2UploadedPart{p3, p1, p2})
		if err != nil {
			t.Fatal(err)
		}
		wantETag := multipartETag("AAAAA", "BBBBB", "CC")
		if obj.ETag != wantETag || obj.HTTPETag != `"`+wantETag+`"` || obj.Size != 12 || obj.HTTPMetadata.ContentType != "application/pdf" || obj.CustomMetadata["a"] != "b" {
			t.Fatalf("completed = %+v, want etag %s", obj, wantETag)
		}
		if obj.Checksums != (runtime.R2Checksums{}) {
			t.Fatalf("multipart checksums = %+v, want none", obj.Checksums)
		}
		if _, body := mustGetText(t, f.b, "big", runtime.R2GetOptions{}); body != "AAAAABBBBBCC" {
			t.Fatalf("body = %q", body)
		}
		// The upload is gone once completed.
		_, err = up.UploadPart(ctx, 4, strings.NewReader("x"))
		wantErr(t, err, "uploadPart: The specified multipart upload does not exist. (10024)", runtime.ErrR2NoSuchUpload)
		_, err = up.Complete(ctx, []runtime.R2UploadedPart{p1})
		wantErr(t, err, "completeMultipartUpload: The specified multipart upload does not exist. (10024)", runtime.ErrR2NoSuchUpload)
	})
}

func TestMultipartErrors(t *testing.T) {
	backends(t, smallParts(), func(t *testing.T, f *fixture) {
		ctx := context.Background()
		newUpload := func(t *testing.T) runtime.R2MultipartUpload {
			up, err := f.b.CreateMultipartUpload(ctx, t.Name(), runtime.R2MultipartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return up
		}
		for _, tc := range []struct {
			name  string
			parts []string // uploaded as parts 1..n
			use   func(ps []runtime.R2UploadedPart) []runtime.R2UploadedPart
			want  string
			is    error
		}{
			{"part too small", []string{"AAAA", "BB"}, nil,
				"completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)", runtime.ErrR2EntityTooSmall},
			{"unequal parts", []string{"AAAAA", "BBBBBB", "C"}, nil,
				"completeMultipartUpload: There was a problem with the multipart upload. (10048)", runtime.ErrR2BadUpload},
			{"last part larger", []string{"AAAAA", "BBBBBB"}, nil,
				"completeMultipartUpload: There was a problem with the multipart upload. (10048)", runtime.ErrR2BadUpload},
			{"wrong etag", []string{"AAAAA", "B"}, func(ps []runtime.R2UploadedPart) []runtime.R2UploadedPart {
				ps[1].ETag = md5hex("other")
				return ps
			}, "completeMultipartUpload: One or more of the specified parts could not be found. (10025)", runtime.ErrR2InvalidPart},
			{"unknown part", []string{"AAAAA"}, func(ps []runtime.R2UploadedPart) []runtime.R2UploadedPart {
				return append(ps, runtime.R2UploadedPart{PartNumber: 9, ETag: md5hex("x")})
			}, "completeMultipartUpload: One or more of the specified parts could not be found. (10025)", runtime.ErrR2InvalidPart},
			{"duplicate part", []string{"AAAAA"}, func(ps []runtime.R2UploadedPart) []runtime.R2UploadedPart { return append(ps, ps[0]) },
				"completeMultipartUpload: There was a problem with the multipart upload. (10048)", runtime.ErrR2BadUpload},
			{"no parts", []string{"AAAAA"}, func([]runtime.R2UploadedPart) []runtime.R2UploadedPart { return nil },
				"completeMultipartUpload: There was a problem with the multipart upload. (10048)", runtime.ErrR2BadUpload},
		} {
			t.Run(tc.name, func(t *testing.T) {
				up := newUpload(t)
				var ps []runtime.R2UploadedPart
				for i, p := range tc.parts {
					ps = append(ps, mustUpload(t, up, i+1, p))
				}
				if tc.use != nil {
					ps = tc.use(ps)
				}
				_, err := up.Complete(ctx, ps)
				wantErr(t, err, tc.want, tc.is)
				// A failed complete leaves the upload usable.
				if err := up.Abort(ctx); err != nil {
					t.Fatalf("Abort after failed complete: %v", err)
				}
			})
		}

		t.Run("part numbers", func(t *testing.T) {
			up := newUpload(t)
			for _, n := range []int{0, 10001} {
				_, err := up.UploadPart(ctx, n, strings.NewReader("x"))
				wantErr(t, err, fmt.Sprintf("TypeError: Part number must be between 1 and 10000 (inclusive). Actual value was: %d", n), nil)
			}
			mustUpload(t, up, 10000, "x")
		})
		t.Run("abort", func(t *testing.T) {
			up := newUpload(t)
			mustUpload(t, up, 1, "AAAAA")
			if err := up.Abort(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := up.UploadPart(ctx, 2, strings.NewReader("x"))
			wantErr(t, err, "uploadPart: The specified multipart upload does not exist. (10024)", runtime.ErrR2NoSuchUpload)
			wantErr(t, up.Abort(ctx), "abortMultipartUpload: The specified multipart upload does not exist. (10024)", runtime.ErrR2NoSuchUpload)
			if h, _ := f.b.Head(ctx, t.Name()); h != nil {
				t.Fatalf("aborted upload created %+v", h)
			}
		})
		t.Run("resume with unknown id or other key", func(t *testing.T) {
			_, err := f.b.ResumeMultipartUpload("k", "nope").UploadPart(ctx, 1, strings.NewReader("x"))
			wantErr(t, err, "uploadPart: The specified multipart upload does not exist. (10024)", runtime.ErrR2NoSuchUpload)
			up := newUpload(t)
			_, err = f.b.ResumeMultipartUpload("other-key", up.UploadID()).UploadPart(ctx, 1, strings.NewReader("x"))
			wantErr(t, err, "uploadPart: The specified multipart upload does not exist. (10024)", runtime.ErrR2NoSuchUpload)
		})
		t.Run("create errors", func(t *testing.T) {
			_, err := f.b.CreateMultipartUpload(ctx, strings.Repeat("k", 1025), runtime.R2MultipartOptions{})
			wantErr(t, err, "createMultipartUpload: The specified object name is not valid. (10020)", runtime.ErrR2InvalidObjectName)
			_, err = f.b.CreateMultipartUpload(ctx, "k", runtime.R2MultipartOptions{CustomMetadata: map[string]string{"k": strings.Repeat("v", 9000)}})
			wantErr(t, err, "createMultipartUpload: Your metadata headers exceed the maximum allowed metadata size. (10012)", runtime.ErrR2MetadataTooLarge)
		})
	})
}

func TestMultipartExpiresAfterSevenDays(t *testing.T) {
	f := mustOpen(t, false, smallParts())
	ctx := context.Background()
	up, _ := f.b.CreateMultipartUpload(ctx, "k", runtime.R2MultipartOptions{})
	p := mustUpload(t, up, 1, "AAAAA")
	f.clock.Advance(7*24*time.Hour - time.Second)
	mustUpload(t, up, 2, "B")
	f.clock.Advance(time.Second)
	_, err := up.Complete(ctx, []runtime.R2UploadedPart{p})
	wantErr(t, err, "completeMultipartUpload: The specified multipart upload does not exist. (10024)", runtime.ErrR2NoSuchUpload)
	// Its part files are gone too.
	ents, _ := os.ReadDir(filepath.Join(f.dir, testBucket, "blobs"))
	if len(ents) != 0 {
		t.Fatalf("blobs left after expiry: %d", len(ents))
	}
}
