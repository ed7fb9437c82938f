package r2

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

// TestConditionTable checks the RFC 7232 rules on an object with etag "test"
// uploaded at 00:09:00.500.
func TestConditionTable(t *testing.T) {
	up := time.Date(2023, 2, 24, 0, 9, 0, 500e6, time.UTC)
	past, future := up.Add(-30*time.Second), up.Add(30*time.Second)
	justPast, justFuture := up.Add(-250*time.Millisecond), up.Add(250*time.Millisecond)
	for _, tc := range []struct {
		name    string
		c       runtime.R2Conditional
		missing bool // test against a missing object
		want    failure
	}{
		{name: "etagMatches same", c: runtime.R2Conditional{EtagMatches: "test"}, want: passed},
		{name: "etagMatches other", c: runtime.R2Conditional{EtagMatches: "not-test"}, want: failedMatch},
		{name: "etagMatches wildcard", c: runtime.R2Conditional{EtagMatches: "*"}, want: passed},
		{name: "etagDoesNotMatch other", c: runtime.R2Conditional{EtagDoesNotMatch: "not-test"}, want: passed},
		{name: "etagDoesNotMatch same", c: runtime.R2Conditional{EtagDoesNotMatch: "test"}, want: notModified},
		{name: "etagDoesNotMatch wildcard", c: runtime.R2Conditional{EtagDoesNotMatch: "*"}, want: notModified},
		{name: "uploadedBefore past", c: runtime.R2Conditional{UploadedBefore: past}, want: failedMatch},
		{name: "uploadedBefore future", c: runtime.R2Conditional{UploadedBefore: future}, want: passed},
		{name: "uploadedAfter past", c: runtime.R2Conditional{UploadedAfter: past}, want: passed},
		{name: "uploadedAfter future", c: runtime.R2Conditional{UploadedAfter: future}, want: notModified},
		{name: "weak tag never matches strongly", c: runtime.R2Conditional{EtagMatches: `W/"test"`, Header: true}, want: failedMatch},
		{name: "weak tag matches weakly", c: runtime.R2Conditional{EtagDoesNotMatch: `W/"test"`, Header: true}, want: notModified},
		{name: "weak other tag", c: runtime.R2Conditional{EtagDoesNotMatch: `W/"not-test"`, Header: true}, want: passed},
		{name: "header list", c: runtime.R2Conditional{EtagMatches: `"a", "test"`, Header: true}, want: passed},
		{name: "match and none-match same", c: runtime.R2Conditional{EtagMatches: "test", EtagDoesNotMatch: "test"}, want: notModified},
		{name: "match passes, uploadedAfter future fails", c: runtime.R2Conditional{EtagMatches: "test", UploadedAfter: future}, want: notModified},
		{name: "match passes makes uploadedBefore ignored", c: runtime.R2Conditional{EtagMatches: "test", UploadedBefore: past}, want: passed},
		{name: "match passes, before ignored, after fails", c: runtime.R2Conditional{EtagMatches: "test", UploadedAfter: future, UploadedBefore: past}, want: notModified},
		{name: "none-match passes, uploadedBefore past fails", c: runtime.R2Conditional{EtagDoesNotMatch: "not-test", UploadedBefore: past}, want: failedMatch},
		{name: "none-match passes makes uploadedAfter ignored", c: runtime.R2Conditional{EtagDoesNotMatch: "not-test", UploadedAfter: future}, want: passed},
		{name: "none-match passes, after ignored, before fails", c: runtime.R2Conditional{EtagDoesNotMatch: "not-test", UploadedAfter: future, UploadedBefore: past}, want: failedMatch},
		{name: "all four, match fails", c: runtime.R2Conditional{EtagMatches: "not-test", EtagDoesNotMatch: "not-test", UploadedAfter: past, UploadedBefore: future}, want: failedMatch},
		{name: "all four pass", c: runtime.R2Conditional{EtagMatches: "test", UploadedBefore: past, EtagDoesNotMatch: "not-test", UploadedAfter: future}, want: passed},
		{name: "before future, none-match ignores after", c: runtime.R2Conditional{UploadedBefore: future, EtagDoesNotMatch: "not-test", UploadedAfter: future}, want: passed},
		{name: "after past, match ignores before", c: runtime.R2Conditional{UploadedAfter: past, EtagMatches: "test", UploadedBefore: past}, want: passed},
		{name: "missing: etagMatches fails", c: runtime.R2Conditional{EtagMatches: "test"}, missing: true, want: failedMatch},
		{name: "missing: uploadedAfter fails", c: runtime.R2Conditional{UploadedAfter: past}, missing: true, want: notModified},
		{name: "missing: etagDoesNotMatch passes", c: runtime.R2Conditional{EtagDoesNotMatch: "test"}, missing: true, want: passed},
		{name: "missing: uploadedBefore passes", c: runtime.R2Conditional{UploadedBefore: past}, missing: true, want: passed},
		{name: "missing: none-match and before pass", c: runtime.R2Conditional{EtagDoesNotMatch: "test", UploadedBefore: past}, missing: true, want: passed},
		{name: "missing: none-match and after fail", c: runtime.R2Conditional{EtagDoesNotMatch: "test", UploadedAfter: past}, missing: true, want: notModified},
		{name: "ms: uploadedAfter just past passes", c: runtime.R2Conditional{UploadedAfter: justPast}, want: passed},
		{name: "seconds: uploadedAfter just past fails", c: runtime.R2Conditional{UploadedAfter: justPast, SecondsGranularity: true}, want: notModified},
		{name: "ms: uploadedBefore just future passes", c: runtime.R2Conditional{UploadedBefore: justFuture}, want: passed},
		{name: "seconds: uploadedBefore just future fails", c: runtime.R2Conditional{UploadedBefore: justFuture, SecondsGranularity: true}, want: failedMatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compileCondition(&tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.test(!tc.missing, "test", up); got != tc.want {
				t.Fatalf("test = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestConditionArgumentErrors(t *testing.T) {
	f := mustOpen(t, true, nil)
	mustPut(t, f.b, "k", "v", runtime.R2PutOptions{})
	ctx := context.Background()
	_, err := f.b.Get(ctx, "k", runtime.R2GetOptions{OnlyIf: &runtime.R2Conditional{EtagMatches: `"quoted"`}})
	wantErr(t, err, `TypeError: Conditional ETag should not be wrapped in quotes ("quoted").`, nil)
	_, err = f.b.Get(ctx, "k", runtime.R2GetOptions{OnlyIf: runtime.R2ConditionalFromHeaders(http.Header{"If-Match": {"bad"}})})
	wantErr(t, err, "Error: Invalid ETag in if-match header", nil)
}

func TestConditionalGetAndPut(t *testing.T) {
	backends(t, nil, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		obj := mustPut(t, f.b, "k", "v1", runtime.R2PutOptions{})

		// A failing condition on get gives the object without a body.
		got, err := f.b.Get(ctx, "k", runtime.R2GetOptions{OnlyIf: &runtime.R2Conditional{EtagDoesNotMatch: obj.ETag}})
		if err != nil || got == nil || got.Body != nil || got.ETag != obj.ETag || got.Range != nil {
			t.Fatalf("failed get condition: %+v, %v", got, err)
		}
		// A passing one gives the body.
		if _, body := mustGetText(t, f.b, "k", runtime.R2GetOptions{OnlyIf: &runtime.R2Conditional{EtagMatches: obj.ETag}}); body != "v1" {
			t.Fatalf("body = %q", body)
		}
		// Headers form, second granularity: If-Modified-Since at the upload second is not modified.
		hc := runtime.R2ConditionalFromHeaders(http.Header{"If-Modified-Since": {obj.Uploaded.Format(http.TimeFormat)}})
		if got, _ := f.b.Get(ctx, "k", runtime.R2GetOptions{OnlyIf: hc}); got == nil || got.Body != nil {
			t.Fatalf("If-Modified-Since same second: %+v", got)
		}

		// A failing condition on put stores nothing and returns nil.
		res, err := f.b.Put(ctx, "k", strings.NewReader("v2"), runtime.R2PutOptions{OnlyIf: &runtime.R2Conditional{EtagMatches: "nope"}})
		if res != nil || err != nil {
			t.Fatalf("failed put condition = %+v, %v", res, err)
		}
		if _, body := mustGetText(t, f.b, "k", runtime.R2GetOptions{}); body != "v1" {
			t.Fatalf("body after failed put = %q", body)
		}
		// Create-only: etagDoesNotMatch "*" on an existing key fails, on a new key passes.
		if res, err := f.b.Put(ctx, "k", strings.NewReader("v2"), runtime.R2PutOptions{OnlyIf: &runtime.R2Conditional{EtagDoesNotMatch: "*"}}); res != nil || err != nil {
			t.Fatalf("create-only on existing = %+v, %v", res, err)
		}
		if res, err := f.b.Put(ctx, "new", strings.NewReader("n"), runtime.R2PutOptions{OnlyIf: &runtime.R2Conditional{EtagDoesNotMatch: "*"}}); res == nil || err != nil {
			t.Fatalf("create-only on new = %+v, %v", res, err)
		}
		// etagMatches on a missing key fails.
		if res, _ := f.b.Put(ctx, "absent", strings.NewReader("n"), runtime.R2PutOptions{OnlyIf: &runtime.R2Conditional{EtagMatches: "x"}}); res != nil {
			t.Fatalf("etagMatches on missing stored %+v", res)
		}
		if h, _ := f.b.Head(ctx, "absent"); h != nil {
			t.Fatalf("absent exists: %+v", h)
		}
		// Compare-and-swap succeeds with the current etag.
		if res, err := f.b.Put(ctx, "k", strings.NewReader("v3"), runtime.R2PutOptions{OnlyIf: &runtime.R2Conditional{EtagMatches: obj.ETag}}); res == nil || err != nil {
			t.Fatalf("CAS = %+v, %v", res, err)
		}
	})
}

func TestRangeTable(t *testing.T) {
	backends(t, nil, func(t *testing.T, f *fixture) {
		mustPut(t, f.b, "k", "0123456789", runtime.R2PutOptions{})
		for _, tc := range []struct {
			name      string
			r         *runtime.R2Range
			body      string
			off, n    int64
			wantErr   string
			wantIsErr error
		}{
			{name: "none", r: nil, body: "0123456789", off: 0, n: 10},
			{name: "empty range", r: &runtime.R2Range{}, body: "0123456789", off: 0, n: 10},
			{name: "offset and length", r: &runtime.R2Range{Offset: ptr(2), Length: ptr(3)}, body: "234", off: 2, n: 3},
			{name: "offset only", r: &runtime.R2Range{Offset: ptr(7)}, body: "789", off: 7, n: 3},
			{name: "length only", r: &runtime.R2Range{Length: ptr(4)}, body: "0123", off: 0, n: 4},
			{name: "length clamped", r: &runtime.R2Range{Offset: ptr(8), Length: ptr(100)}, body: "89", off: 8, n: 2},
			{name: "suffix", r: &runtime.R2Range{Suffix: ptr(3)}, body: "789", off: 7, n: 3},
			{name: "suffix longer than object", r: &runtime.R2Range{Suffix: ptr(50)}, body: "0123456789", off: 0, n: 10},
			{name: "offset at end", r: &runtime.R2Range{Offset: ptr(10)}, body: "", off: 10, n: 0},
			{name: "offset past end", r: &runtime.R2Range{Offset: ptr(11)}, wantErr: "get: The requested range is not satisfiable (10039)", wantIsErr: runtime.ErrR2InvalidRange},
			{name: "zero length", r: &runtime.R2Range{Offset: ptr(1), Length: ptr(0)}, wantErr: "get: The requested range is not satisfiable (10039)", wantIsErr: runtime.ErrR2InvalidRange},
			{name: "zero suffix", r: &runtime.R2Range{Suffix: ptr(0)}, wantErr: "get: The requested range is not satisfiable (10039)", wantIsErr: runtime.ErrR2InvalidRange},
			{name: "negative offset", r: &runtime.R2Range{Offset: ptr(-1)}, wantErr: "RangeError: Invalid range. Starting offset (-1) must be greater than or equal to 0."},
			{name: "negative length", r: &runtime.R2Range{Length: ptr(-1)}, wantErr: "RangeError: Invalid range. Length (-1) must be greater than or equal to 0."},
			{name: "negative suffix", r: &runtime.R2Range{Suffix: ptr(-1)}, wantErr: "RangeError: Invalid suffix. Suffix (-1) must be greater than or equal to 0."},
			{name: "suffix with offset", r: &runtime.R2Range{Suffix: ptr(1), Offset: ptr(0)}, wantErr: "TypeError: Suffix is incompatible with offset."},
			{name: "suffix with length", r: &runtime.R2Range{Suffix: ptr(1), Length: ptr(1)}, wantErr: "TypeError: Suffix is incompatible with length."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				obj, err := f.b.Get(context.Background(), "k", runtime.R2GetOptions{Range: tc.r})
				if tc.wantErr != "" {
					wantErr(t, err, tc.wantErr, tc.wantIsErr)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				body, err := obj.Text()
				if err != nil || body != tc.body {
					t.Fatalf("body = %q, %v; want %q", body, err, tc.body)
				}
				if *obj.Range.Offset != tc.off || *obj.Range.Length != tc.n || obj.Size != 10 {
					t.Fatalf("range = %d+%d (size %d), want %d+%d", *obj.Range.Offset, *obj.Range.Length, obj.Size, tc.off, tc.n)
				}
			})
		}
	})
}
