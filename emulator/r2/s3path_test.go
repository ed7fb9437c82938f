package r2

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"jobmatch-edge/emulator/internal/httpguard"
	"jobmatch-edge/runtime"
)

// mustGuardedS3 serves the S3 handler the way the S3 listener does: behind
// httpguard.Listener and ServeIdleBody(idle) with RequestTimeout.
func mustGuardedS3(t *testing.T, idle time.Duration) *s3fixture {
	t.Helper()
	f := mustOpen(t, false, nil)
	h := f.svc.S3Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpguard.ServeIdleBody(w, r, idle, RequestTimeout, h)
	}))
	srv.Listener = httpguard.Listener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	return &s3fixture{fixture: f, srv: srv}
}

// raw sends head (a request line and headers, CRLF-terminated, without
// the blank line) and body on a new connection and reads one response.
func (f *s3fixture) raw(t *testing.T, head, body string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%sHost: %s\r\n\r\n%s", head, f.srv.Listener.Addr(), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: strings.Fields(head)[0]})
	if err != nil {
		t.Fatalf("%q: %v", head, err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(data)
}

// TestS3MalformedPaths: a target that does not parse is S3's InvalidURI,
// an empty bucket name is InvalidBucketName (never the bucket list), and
// "//", "." and ".." inside a key are the key's own bytes, as on S3.
func TestS3MalformedPaths(t *testing.T) {
	f := mustGuardedS3(t, time.Minute)
	invalidURI := errXML("InvalidURI", "Couldn&apos;t parse the specified URI.")
	for _, target := range []string{"/%zz", "/" + testBucket + "/a%zz", "/" + testBucket + "/a%", "/%zz?list-type=2"} {
		resp, body := f.raw(t, "GET "+target+" HTTP/1.1\r\n", "")
		if resp.StatusCode != 400 || body != invalidURI || resp.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("GET %s = %d %s %q, want 400 %s", target, resp.StatusCode, resp.Header.Get("Content-Type"), body, invalidURI)
		}
	}
	if resp, body := f.raw(t, "HEAD /%zz HTTP/1.1\r\n", ""); resp.StatusCode != 400 || body != "" {
		t.Errorf("HEAD /%%zz = %d %q, want 400 without a body", resp.StatusCode, body)
	}

	invalidBucket := errXML("InvalidBucketName", "The specified bucket is not valid.")
	wantResp(t, f.do(t, "GET", "//etc/passwd?list-type=2", nil, nil, ""), 400, invalidBucket)
	wantResp(t, f.do(t, "GET", "//", nil, nil, ""), 400, invalidBucket)
	wantResp(t, f.do(t, "PUT", "//"+testBucket+"/k", []byte("v"), nil, ""), 400, invalidBucket)
	wantResp(t, f.do(t, "GET", "/a/../"+testBucket+"/k", nil, nil, ""), 404, errXML("NoSuchBucket", "The specified bucket does not exist."))

	for _, tc := range []struct{ path, key string }{
		{"/" + testBucket + "/a/../b", "a/../b"},
		{"/" + testBucket + "/a//b", "a//b"},
		{"/" + testBucket + "/./x", "./x"},
		{"/" + testBucket + "/c%2F..%2Fd", "c/../d"},
	} {
		if r := f.do(t, "PUT", tc.path, []byte(tc.key), nil, ""); r.status != 200 {
			t.Fatalf("PUT %s = %d %s", tc.path, r.status, r.body)
		}
		if _, got := mustGetText(t, f.b, tc.key, runtime.R2GetOptions{}); got != tc.key {
			t.Errorf("PUT %s stored %q under %q", tc.path, got, tc.key)
		}
		wantResp(t, f.do(t, "GET", tc.path, nil, nil, ""), 200, tc.key)
	}
}

// TestS3RequestTimeout: an upload whose body stops arriving gets S3's
// RequestTimeout, and the connection is closed.
func TestS3RequestTimeout(t *testing.T) {
	f := mustGuardedS3(t, 200*time.Millisecond)
	req, _ := http.NewRequest("PUT", f.srv.URL+"/"+testBucket+"/stalled", nil)
	defaultSigner.sign(req, f.clock.Now(), "UNSIGNED-PAYLOAD")
	var head strings.Builder
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nContent-Length: 100\r\n", req.URL.EscapedPath())
	for k, vs := range req.Header {
		fmt.Fprintf(&head, "%s: %s\r\n", k, vs[0])
	}
	resp, body := f.raw(t, head.String(), "only ten b")
	want := errXML("RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")
	if resp.StatusCode != 400 || body != want || !resp.Close {
		t.Fatalf("got %d %q (close=%v), want 400 %s with Connection: close", resp.StatusCode, body, resp.Close, want)
	}
	if obj, err := f.b.Head(t.Context(), "stalled"); err != nil || obj != nil {
		t.Fatalf("after a stalled upload: Head = %+v, %v; want nothing stored", obj, err)
	}
}

// FuzzS3Path sends arbitrary methods, paths, queries and bodies, signed,
// to the S3 handler: it never panics or answers 500, and every error is
// S3's XML.
func FuzzS3Path(f *testing.F) {
	for _, seed := range []struct {
		method      byte
		path, query string
		body        []byte
	}{
		{0, "/", "", nil},
		{0, "//etc/passwd", "list-type=2", nil},
		{1, "/" + testBucket + "/a/../b", "", []byte("v")},
		{0, "/" + testBucket, "list-type=2&max-keys=-1&prefix=%zz", nil},
		{2, "/" + testBucket + "/k", "uploads", nil},
		{1, "/" + testBucket + "/k", "partNumber=0&uploadId=x", []byte("p")},
		{2, "/" + testBucket, "delete", []byte("<Delete><Object><Key>a</Key></Object></Delete>")},
		{3, "/" + testBucket + "/%00", "", nil},
		{4, "/" + testBucket + "/k", "uploadId=nope", nil},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.body)
	}
	fx := mustOpen(f, true, nil)
	h := fx.svc.S3Handler()
	methods := []string{"GET", "PUT", "POST", "HEAD", "DELETE", "PATCH"}
	f.Fuzz(func(t *testing.T, m byte, path, query string, body []byte) {
		method := methods[int(m)%len(methods)]
		u := &url.URL{Scheme: "http", Host: "127.0.0.1:8789", Path: "/" + strings.TrimPrefix(path, "/"), RawQuery: query}
		req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		defaultSigner.sign(req, fx.clock.Now(), tHash(body))
		req.RequestURI = req.URL.RequestURI()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != 501 {
			t.Fatalf("%s %s = %d %s", method, req.RequestURI, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && method != "HEAD" && !strings.HasPrefix(rec.Body.String(), `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>") {
			t.Fatalf("%s %s = %d, not an S3 error: %q", method, req.RequestURI, rec.Code, rec.Body)
		}
	})
}
