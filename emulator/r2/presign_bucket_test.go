package r2

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A bucket presigns for the S3 URL the service was told, with the
// service's credentials and clock: the same URL as Service.Presign.
func TestBucketPresign(t *testing.T) {
	f := mustS3(t, nil)
	b := f.svc.Bucket(testBucket)
	if _, err := b.Presign("GET", "k", time.Hour); err == nil || err.Error() != "r2: the S3 endpoint's URL is not known (Service.SetS3URL)" {
		t.Fatalf("without an S3 URL: %v", err)
	}
	f.svc.SetS3URL(f.srv.URL)
	if f.svc.S3URL() != f.srv.URL {
		t.Fatalf("S3URL = %q", f.svc.S3URL())
	}
	put, err := b.Presign("PUT", "users/u1/a b.txt", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.svc.Presign("PUT", f.srv.URL, testBucket, "users/u1/a b.txt", 10*time.Minute)
	if put != want {
		t.Fatalf("Bucket.Presign = %s\nService.Presign = %s", put, want)
	}
	req, err := http.NewRequest("PUT", put, strings.NewReader("via bucket"))
	if err != nil {
		t.Fatal(err)
	}
	if r := f.send(t, req); r.status != 200 {
		t.Fatalf("presigned PUT = %d %s", r.status, r.body)
	}
	get, _ := b.Presign("GET", "users/u1/a b.txt", time.Minute)
	if r := f.get(t, get); r.status != 200 || r.body != "via bucket" {
		t.Fatalf("presigned GET = %d %q", r.status, r.body)
	}
	if _, err := b.Presign("GET", "k", 8*24*time.Hour); err == nil || !strings.Contains(err.Error(), "from 1 to 604800") {
		t.Errorf("over a week: %v", err)
	}
}
