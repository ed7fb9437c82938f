package r2

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

type s3fixture struct {
	*fixture
	srv *httptest.Server
}

func mustS3(t *testing.T, limits *Limits) *s3fixture {
	t.Helper()
	f := mustOpen(t, false, limits)
	srv := httptest.NewServer(f.svc.S3Handler())
	t.Cleanup(srv.Close)
	return &s3fixture{fixture: f, srv: srv}
}

type s3resp struct {
	status int
	header http.Header
	body   string
}

// do sends a header-signed request; body nil means no body. payload ""
// means the body's SHA-256.
func (f *s3fixture) do(t *testing.T, method, path string, body []byte, header http.Header, payload string) s3resp {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if payload == "" {
		payload = tHash(body)
	}
	defaultSigner.sign(req, f.clock.Now(), payload)
	return f.send(t, req)
}

func (f *s3fixture) send(t *testing.T, req *http.Request) s3resp {
	t.Helper()
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return s3resp{res.StatusCode, res.Header, string(data)}
}

func (f *s3fixture) get(t *testing.T, rawURL string) s3resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	return f.send(t, req)
}

func errXML(code, message string, extra ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>" + code + "</Code><Message>" + message + "</Message>" + strings.Join(extra, "") + "</Error>"
}

func wantResp(t *testing.T, got s3resp, status int, body string) {
	t.Helper()
	if got.status != status || got.body != body {
		t.Fatalf("got %d %s\nwant %d %s", got.status, got.body, status, body)
	}
}

func TestS3ObjectLifecycle(t *testing.T) {
	f := mustS3(t, nil)
	key := "/" + testBucket + "/users/u1/resumes/my%20cv%20%28final%29.pdf"
	put := f.do(t, "PUT", key, []byte("%PDF-1.7"), http.Header{
		"Content-Type": {"application/pdf"}, "X-Amz-Meta-Userid": {"u1"}, "Cache-Control": {"max-age=60"},
	}, "")
	if put.status != 200 || put.header.Get("ETag") != `"`+md5hex("%PDF-1.7")+`"` {
		t.Fatalf("PUT = %d %v %s", put.status, put.header, put.body)
	}
	// The binding sees what S3 stored, under the decoded key.
	obj, body := mustGetText(t, f.b, "users/u1/resumes/my cv (final).pdf", runtime.R2GetOptions{})
	if body != "%PDF-1.7" || obj.HTTPMetadata.ContentType != "application/pdf" || obj.CustomMetadata["userid"] != "u1" {
		t.Fatalf("binding view = %+v %q", obj, body)
	}
	get := f.do(t, "GET", key, nil, nil, "")
	if get.status != 200 || get.body != "%PDF-1.7" {
		t.Fatalf("GET = %d %q", get.status, get.body)
	}
	for k, v := range map[string]string{
		"Content-Type": "application/pdf", "Content-Length": "8", "Etag": `"` + md5hex("%PDF-1.7") + `"`,
		"Last-Modified": "Tue, 01 Jan 2030 00:00:00 GMT", "X-Amz-Meta-Userid": "u1", "Cache-Control": "max-age=60", "Accept-Ranges": "bytes",
	} {
		if got := get.header.Get(k); got != v {
			t.Errorf("GET header %s = %q, want %q", k, got, v)
		}
	}
	head := f.do(t, "HEAD", key, nil, nil, "")
	if head.status != 200 || head.header.Get("Content-Length") != "8" || head.body != "" {
		t.Fatalf("HEAD = %d %v %q", head.status, head.header, head.body)
	}
	list := f.do(t, "GET", "/"+testBucket+"?list-type=2&prefix=users%2F", nil, nil, "")
	wantList := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>jobmatch-ai-dev-avatars</Name><Prefix>users/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
		`<Contents><Key>users/u1/resumes/my cv (final).pdf</Key><LastModified>2030-01-01T00:00:00.000Z</LastModified><ETag>&quot;` + md5hex("%PDF-1.7") + `&quot;</ETag><Size>8</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`
	wantResp(t, list, 200, wantList)
	wantResp(t, f.do(t, "DELETE", key, nil, nil, ""), 204, "")
	wantResp(t, f.do(t, "GET", key, nil, nil, ""), 404, errXML("NoSuchKey", "The specified key does not exist."))
	if h := f.do(t, "HEAD", key, nil, nil, ""); h.status != 404 || h.body != "" {
		t.Fatalf("HEAD missing = %d %q", h.status, h.body)
	}
	wantResp(t, f.do(t, "DELETE", key, nil, nil, ""), 204, "") // idempotent
}

func TestS3Buckets(t *testing.T) {
	f := mustS3(t, nil)
	wantResp(t, f.do(t, "GET", "/", nil, nil, ""), 200, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket><Name>jobmatch-ai-dev-avatars</Name><CreationDate>2030-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets>`+
		`<Owner><ID>edge-local-access-key</ID><DisplayName>edge-local-access-key</DisplayName></Owner></ListAllMyBucketsResult>`)
	wantResp(t, f.do(t, "HEAD", "/"+testBucket, nil, nil, ""), 200, "")
	wantResp(t, f.do(t, "GET", "/nope/key", nil, nil, ""), 404, errXML("NoSuchBucket", "The specified bucket does not exist."))
	wantResp(t, f.do(t, "GET", "/"+testBucket+"?location", nil, nil, ""), 200, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">auto</LocationConstraint>`)
}

func TestS3List(t *testing.T) {
	f := mustS3(t, nil)
	for _, k := range []string{"a/1", "a/2", "b", "c/x", "d"} {
		mustPut(t, f.b, k, "v", runtime.R2PutOptions{})
	}
	list := f.do(t, "GET", "/"+testBucket+"?list-type=2&delimiter=%2F&max-keys=2", nil, nil, "")
	if !strings.Contains(list.body, "<KeyCount>2</KeyCount>") || !strings.Contains(list.body, "<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>b</Key>") ||
		!strings.Contains(list.body, "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>") {
		t.Fatalf("page 1: %s", list.body)
	}
	token := between(list.body, "<NextContinuationToken>", "</NextContinuationToken>")
	list2 := f.do(t, "GET", "/"+testBucket+"?list-type=2&delimiter=%2F&max-keys=2&continuation-token="+url.QueryEscape(token), nil, nil, "")
	if !strings.Contains(list2.body, "<IsTruncated>false</IsTruncated><Contents><Key>d</Key>") || !strings.Contains(list2.body, "<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>") {
		t.Fatalf("page 2: %s", list2.body)
	}
	// ListObjects v1 with markers walks the same listing.
	v1 := f.do(t, "GET", "/"+testBucket+"?delimiter=%2F&max-keys=2", nil, nil, "")
	marker := between(v1.body, "<NextMarker>", "</NextMarker>")
	if marker != "b" {
		t.Fatalf("v1 NextMarker = %q in %s", marker, v1.body)
	}
	v1b := f.do(t, "GET", "/"+testBucket+"?delimiter=%2F&max-keys=2&marker="+marker, nil, nil, "")
	if !strings.Contains(v1b.body, "<Prefix>c/</Prefix>") || !strings.Contains(v1b.body, "<Key>d</Key>") {
		t.Fatalf("v1 page 2: %s", v1b.body)
	}
	wantResp(t, f.do(t, "GET", "/"+testBucket+"?list-type=2&max-keys=1001", nil, nil, ""), 400, errXML("InvalidMaxKeys", "MaxKeys params must be positive integer &lt;= 1000."))
	if zero := f.do(t, "GET", "/"+testBucket+"?list-type=2&max-keys=0", nil, nil, ""); !strings.Contains(zero.body, "<KeyCount>0</KeyCount>") {
		t.Fatalf("max-keys=0: %s", zero.body)
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

func TestS3RangeAndConditionals(t *testing.T) {
	f := mustS3(t, nil)
	obj := mustPut(t, f.b, "k", "0123456789", runtime.R2PutOptions{})
	path := "/" + testBucket + "/k"
	r := f.do(t, "GET", path, nil, http.Header{"Range": {"bytes=2-4"}}, "")
	if r.status != 206 || r.body != "234" || r.header.Get("Content-Range") != "bytes 2-4/10" {
		t.Fatalf("range = %d %q %v", r.status, r.body, r.header)
	}
	r = f.do(t, "GET", path, nil, http.Header{"Range": {"bytes=-3"}}, "")
	if r.status != 206 || r.body != "789" || r.header.Get("Content-Range") != "bytes 7-9/10" {
		t.Fatalf("suffix range = %d %q %v", r.status, r.body, r.header)
	}
	r = f.do(t, "GET", path, nil, http.Header{"Range": {"bytes=0-1,4-5"}}, "")
	if r.status != 200 || r.body != "0123456789" {
		t.Fatalf("multi-range is ignored: %d %q", r.status, r.body)
	}
	r = f.do(t, "GET", path, nil, http.Header{"Range": {"bytes=20-"}}, "")
	wantResp(t, r, 416, errXML("InvalidRange", "The requested range is not satisfiable"))
	if r.header.Get("Content-Range") != "bytes */10" {
		t.Fatalf("416 Content-Range = %q", r.header.Get("Content-Range"))
	}
	r = f.do(t, "GET", path, nil, http.Header{"If-None-Match": {obj.HTTPETag}}, "")
	if r.status != 304 || r.header.Get("ETag") != obj.HTTPETag || r.body != "" {
		t.Fatalf("If-None-Match = %d %v %q", r.status, r.header, r.body)
	}
	r = f.do(t, "GET", path, nil, http.Header{"If-Modified-Since": {start.Format(http.TimeFormat)}}, "")
	if r.status != 304 {
		t.Fatalf("If-Modified-Since = %d", r.status)
	}
	wantResp(t, f.do(t, "GET", path, nil, http.Header{"If-Match": {`"nope"`}}, ""), 412,
		errXML("PreconditionFailed", "At least one of the pre-conditions you specified did not hold."))
	if r := f.do(t, "GET", path, nil, http.Header{"If-Match": {obj.HTTPETag}}, ""); r.status != 200 {
		t.Fatalf("If-Match current = %d", r.status)
	}
	// Conditional put: create-only on an existing key fails and stores nothing.
	wantResp(t, f.do(t, "PUT", path, []byte("new"), http.Header{"If-None-Match": {"*"}}, ""), 412,
		errXML("PreconditionFailed", "At least one of the pre-conditions you specified did not hold."))
	if _, body := mustGetText(t, f.b, "k", runtime.R2GetOptions{}); body != "0123456789" {
		t.Fatalf("after failed conditional PUT: %q", body)
	}
	// response-* overrides on GET.
	r = f.do(t, "GET", path+"?response-content-type=text%2Fplain&response-content-disposition=attachment", nil, nil, "")
	if r.header.Get("Content-Type") != "text/plain" || r.header.Get("Content-Disposition") != "attachment" {
		t.Fatalf("overrides: %v", r.header)
	}
}

func TestS3PutChecks(t *testing.T) {
	f := mustS3(t, nil)
	path := "/" + testBucket + "/k"
	sum := md5.Sum([]byte("other"))
	wantResp(t, f.do(t, "PUT", path, []byte("data"), http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}}, ""), 400,
		errXML("BadDigest", "The Content-MD5 you specified did not match what we received."))
	wantResp(t, f.do(t, "PUT", path, []byte("data"), http.Header{"Content-Md5": {"zz"}}, ""), 400,
		errXML("InvalidDigest", "The Content-MD5 you specified was invalid."))
	good := md5.Sum([]byte("data"))
	if r := f.do(t, "PUT", path, []byte("data"), http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(good[:])}}, ""); r.status != 200 {
		t.Fatalf("good Content-MD5: %d %s", r.status, r.body)
	}
	// The signed payload hash must match the body; ' is escaped as &apos;.
	wantResp(t, f.do(t, "PUT", path, []byte("data"), nil, tHash([]byte("something else"))), 400,
		errXML("XAmzContentSHA256Mismatch", "The provided &apos;x-amz-content-sha256&apos; header does not match what was computed."))
	if _, body := mustGetText(t, f.b, "k", runtime.R2GetOptions{}); body != "data" {
		t.Fatalf("mismatched PUT replaced the object: %q", body)
	}
	if r := f.do(t, "PUT", path, []byte("unsigned"), nil, "UNSIGNED-PAYLOAD"); r.status != 200 {
		t.Fatalf("UNSIGNED-PAYLOAD: %d %s", r.status, r.body)
	}
	wantResp(t, f.do(t, "PUT", path, []byte("x"), http.Header{"X-Amz-Storage-Class": {"GLACIER"}}, ""), 400,
		errXML("InvalidStorageClass", "The storage class you specified is not valid"))
	if r := f.do(t, "PUT", path, []byte("x"), http.Header{"X-Amz-Storage-Class": {"STANDARD_IA"}}, ""); r.status != 200 {
		t.Fatalf("STANDARD_IA: %d", r.status)
	}
	if h, _ := f.b.Head(t.Context(), "k"); h.StorageClass != "InfrequentAccess" {
		t.Fatalf("storage class = %q", h.StorageClass)
	}
	long := "/" + testBucket + "/" + strings.Repeat("k", 1025)
	wantResp(t, f.do(t, "PUT", long, []byte("x"), nil, ""), 400, errXML("InvalidObjectName", "The specified object name is not valid."))
}

func TestS3AwsChunked(t *testing.T) {
	f := mustS3(t, nil)
	path := "/" + testBucket + "/chunked"
	chunks := [][]byte{bytes.Repeat([]byte("a"), 70000), []byte("tail")}
	want := string(chunks[0]) + "tail"

	for _, tc := range []struct {
		name   string
		mode   string
		signed bool
		tamper bool
		status int
	}{
		{"unsigned with trailer", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", false, false, 200},
		{"signed chunks", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", true, false, 200},
		{"tampered chunk", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", true, true, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("PUT", f.srv.URL+path, nil)
			req.Header.Set("Content-Encoding", "aws-chunked")
			req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(want)))
			req.Header.Set("Content-Type", "text/plain")
			seed := defaultSigner.sign(req, f.clock.Now(), tc.mode)
			trailer := ""
			if !tc.signed {
				trailer = "x-amz-checksum-crc32:AAAAAA==\r\n"
				seed = ""
			}
			body := defaultSigner.chunkedBody(chunks, f.clock.Now(), seed, trailer)
			if tc.tamper {
				body = bytes.Replace(body, []byte("tail"), []byte("TAIL"), 1)
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
			r := f.send(t, req)
			if r.status != tc.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tc.status != 200 {
				if !strings.Contains(r.body, "<Code>SignatureDoesNotMatch</Code>") {
					t.Fatalf("body %s", r.body)
				}
				return
			}
			obj, got := mustGetText(t, f.b, "chunked", runtime.R2GetOptions{})
			if got != want || obj.HTTPMetadata.ContentEncoding != "" || obj.HTTPMetadata.ContentType != "text/plain" {
				t.Fatalf("stored %d bytes, encoding %q", len(got), obj.HTTPMetadata.ContentEncoding)
			}
		})
	}
	// A decoded length that does not match is an incomplete body.
	req, _ := http.NewRequest("PUT", f.srv.URL+path, nil)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", "5")
	defaultSigner.sign(req, f.clock.Now(), "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	req.Body = io.NopCloser(bytes.NewReader(defaultSigner.chunkedBody([][]byte{[]byte("abc")}, f.clock.Now(), "", "")))
	wantResp(t, f.send(t, req), 400, errXML("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header."))
}

func TestS3Multipart(t *testing.T) {
	f := mustS3(t, smallParts())
	path := "/" + testBucket + "/big.bin"
	r := f.do(t, "POST", path+"?uploads", nil, http.Header{"Content-Type": {"application/zip"}}, "")
	id := between(r.body, "<UploadId>", "</UploadId>")
	if r.status != 200 || len(id) != 32 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var parts []string
	for i, p := range []string{"AAAAA", "BBBBB", "C"} {
		r := f.do(t, "PUT", fmt.Sprintf("%s?partNumber=%d&uploadId=%s", path, i+1, id), []byte(p), nil, "")
		if r.status != 200 || r.header.Get("ETag") != `"`+md5hex(p)+`"` {
			t.Fatalf("part %d = %d %v %s", i+1, r.status, r.header, r.body)
		}
		parts = append(parts, fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, r.header.Get("ETag")))
	}
	badOrder := "<CompleteMultipartUpload>" + parts[1] + parts[0] + "</CompleteMultipartUpload>"
	wantResp(t, f.do(t, "POST", path+"?uploadId="+id, []byte(badOrder), nil, ""), 400,
		errXML("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number."))
	done := f.do(t, "POST", path+"?uploadId="+id, []byte("<CompleteMultipartUpload>"+strings.Join(parts, "")+"</CompleteMultipartUpload>"), nil, "")
	etag := multipartETag("AAAAA", "BBBBB", "C")
	wantResp(t, done, 200, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>/`+testBucket+`/big.bin</Location><Bucket>`+testBucket+`</Bucket><Key>big.bin</Key><ETag>&quot;`+etag+`&quot;</ETag></CompleteMultipartUploadResult>`)
	if get := f.do(t, "GET", path, nil, nil, ""); get.body != "AAAAABBBBBC" || get.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("GET completed = %q %v", get.body, get.header)
	}
	// Abort, then the upload is gone.
	r = f.do(t, "POST", path+"?uploads", nil, nil, "")
	id = between(r.body, "<UploadId>", "</UploadId>")
	wantResp(t, f.do(t, "DELETE", path+"?uploadId="+id, nil, nil, ""), 204, "")
	wantResp(t, f.do(t, "PUT", path+"?partNumber=1&uploadId="+id, []byte("x"), nil, ""), 404,
		errXML("NoSuchUpload", "The specified multipart upload does not exist."))
	wantResp(t, f.do(t, "PUT", path+"?partNumber=0&uploadId="+id, []byte("x"), nil, ""), 400,
		errXML("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"))
}

func TestS3DeleteObjects(t *testing.T) {
	f := mustS3(t, nil)
	for _, k := range []string{"a", "b"} {
		mustPut(t, f.b, k, "v", runtime.R2PutOptions{})
	}
	r := f.do(t, "POST", "/"+testBucket+"?delete", []byte(`<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object><Object><Key>c</Key></Object></Delete>`), nil, "")
	wantResp(t, r, 200, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a</Key></Deleted><Deleted><Key>b</Key></Deleted><Deleted><Key>c</Key></Deleted></DeleteResult>`)
	if res, _ := f.b.List(t.Context(), runtime.R2ListOptions{}); len(res.Objects) != 0 {
		t.Fatalf("left: %v", listKeys(res))
	}
	wantResp(t, f.do(t, "POST", "/"+testBucket+"?delete", []byte(`<Delete><Object>`), nil, ""), 400,
		errXML("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema."))
}

// TestS3AuthErrors checks every authentication error of §7.2 with its
// exact status, code and message.
func TestS3AuthErrors(t *testing.T) {
	f := mustS3(t, nil)
	mustPut(t, f.b, "k", "v", runtime.R2PutOptions{})
	now := f.clock.Now()
	objURL := f.srv.URL + "/" + testBucket + "/k"
	good := defaultSigner.presign("GET", objURL, now, 3600)
	edit := func(fn func(q url.Values)) string {
		u, _ := url.Parse(good)
		q := u.Query()
		fn(q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	// resign re-signs after changing the query, so only the intended check fails.
	resign := func(s testSigner, at time.Time, expires int, fn func(q url.Values)) string {
		u, _ := url.Parse(s.presign("GET", objURL, at, expires))
		q := u.Query()
		fn(q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	other := testSigner{akid: "someone-else", secret: DefaultSecretAccessKey, region: "auto"}
	for _, tc := range []struct {
		name, url string
		status    int
		code, msg string
	}{
		{"one param missing", edit(func(q url.Values) { q.Del("X-Amz-Date") }), 400, "InvalidArgument", "Required search parameter X-Amz-Date missing"},
		{"several params missing", edit(func(q url.Values) { q.Del("X-Amz-Date"); q.Del("X-Amz-Expires") }), 400, "InvalidArgument", "Required search parameters X-Amz-Date,  X-Amz-Expires missing"},
		{"wrong algorithm", edit(func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA1") }), 400, "InvalidRequest", "Please use AWS4-HMAC-SHA256"},
		{"bad date", edit(func(q url.Values) { q.Set("X-Amz-Date", "2030-01-01") }), 400, "InvalidArgument", "Date provided in X-Amz-Date (2030-01-01) didn&apos;t parse successfully"},
		{"credential parts", edit(func(q url.Values) { q.Set("X-Amz-Credential", "a/b/c/d") }), 400, "InvalidArgument", "Credential sigv4 header should have at least 5 slash-separated parts, not 4"},
		{"credential service", edit(func(q url.Values) { q.Set("X-Amz-Credential", DefaultAccessKeyID+"/20300101/auto/s4/aws4_request") }), 400, "InvalidArgument", "Credential service should be s3, not s4"},
		{"credential termination", edit(func(q url.Values) { q.Set("X-Amz-Credential", DefaultAccessKeyID+"/20300101/auto/s3/aws5_request") }), 400, "InvalidArgument", "Credential termination string should be aws4_request, not aws5_request"},
		{"date mismatch", edit(func(q url.Values) { q.Set("X-Amz-Credential", DefaultAccessKeyID+"/20291231/auto/s3/aws4_request") }), 400, "InvalidArgument", "Credential signed date 20291231 does not match 20300101 from &apos;x-amz-date&apos; header"},
		{"expires not a number", edit(func(q url.Values) { q.Set("X-Amz-Expires", "soon") }), 400, "InvalidArgument", "X-Amz-Expires should be a number"},
		{"expires over a week", edit(func(q url.Values) { q.Set("X-Amz-Expires", "604801") }), 400, "InvalidArgument", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{"unknown access key", other.presign("GET", objURL, now, 60), 401, "Unauthorized", "Unauthorized"},
		{"host not signed", edit(func(q url.Values) { q.Set("X-Amz-SignedHeaders", "x-amz-date") }), 401, "Unauthorized", "Unauthorized"},
		{"expired", defaultSigner.presign("GET", objURL, now.Add(-2*time.Hour), 3600), 403, "ExpiredRequest", "Request has expired"},
		{"expires zero", resign(defaultSigner, now, 0, func(url.Values) {}), 403, "ExpiredRequest", "Request has expired"},
		{"no credentials at all", objURL, 401, "Unauthorized", "Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantResp(t, f.get(t, tc.url), tc.status, errXML(tc.code, tc.msg))
		})
	}

	t.Run("expiry boundary", func(t *testing.T) {
		u := defaultSigner.presign("GET", objURL, now, 60)
		f.clock.Advance(60 * time.Second)
		defer f.clock.Set(now)
		if r := f.get(t, u); r.status != 200 {
			t.Fatalf("at expiry: %d %s", r.status, r.body)
		}
		f.clock.Advance(time.Second)
		wantResp(t, f.get(t, u), 403, errXML("ExpiredRequest", "Request has expired"))
	})

	t.Run("tampered signature", func(t *testing.T) {
		// Point the signed URL at another key: the canonical request differs.
		tampered := strings.Replace(good, "/k?", "/other?", 1)
		r := f.get(t, tampered)
		if r.status != 403 || !strings.HasPrefix(r.body, errXML("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your secret access key and signing method.")[:150]) {
			t.Fatalf("tampered = %d %s", r.status, r.body)
		}
		creq := "GET\n/" + testBucket + "/other\n"
		for _, part := range []string{"<StringToSign>AWS4-HMAC-SHA256\n20300101T000000Z\n20300101/auto/s3/aws4_request\n", "<StringToSignBytes>41 57 53 34 ",
			"<CanonicalRequest>" + creq, "<CanonicalRequestBytes>47 45 54 0a ", "<SignatureProvided>" + good[strings.LastIndex(good, "=")+1:] + "</SignatureProvided></Error>"} {
			if !strings.Contains(r.body, part) {
				t.Errorf("SignatureDoesNotMatch body lacks %q:\n%s", part, r.body)
			}
		}
		// A wrong secret fails the same way.
		wrong := testSigner{akid: DefaultAccessKeyID, secret: "wrong", region: "auto"}
		if r := f.get(t, wrong.presign("GET", objURL, now, 60)); r.status != 403 || !strings.Contains(r.body, "<Code>SignatureDoesNotMatch</Code>") {
			t.Fatalf("wrong secret = %d %s", r.status, r.body)
		}
	})

	t.Run("regions", func(t *testing.T) {
		for _, region := range []string{"auto", "us-east-1", ""} {
			s := testSigner{akid: DefaultAccessKeyID, secret: DefaultSecretAccessKey, region: region}
			if r := f.get(t, s.presign("GET", objURL, now, 60)); r.status != 200 {
				t.Errorf("region %q: %d %s", region, r.status, r.body)
			}
		}
		s := testSigner{akid: DefaultAccessKeyID, secret: DefaultSecretAccessKey, region: "eu-west-1"}
		wantResp(t, f.get(t, s.presign("GET", objURL, now, 60)), 400,
			errXML("AuthorizationHeaderMalformed", "The authorization header is malformed; the region &apos;eu-west-1&apos; is wrong; expecting &apos;auto&apos;"))
	})
}

func TestS3HeaderAuthErrors(t *testing.T) {
	f := mustS3(t, nil)
	path := f.srv.URL + "/" + testBucket + "/k"
	signedAt := func(at time.Time, mutate func(*http.Request)) s3resp {
		req, _ := http.NewRequest("GET", path, nil)
		defaultSigner.sign(req, at, emptyPayloadHash)
		if mutate != nil {
			mutate(req)
		}
		return f.send(t, req)
	}
	wantResp(t, signedAt(f.clock.Now().Add(16*time.Minute), nil), 403, errXML("RequestTimeTooSkewed", "The difference between the request time and the current time is too large."))
	wantResp(t, signedAt(f.clock.Now().Add(-16*time.Minute), nil), 403, errXML("RequestTimeTooSkewed", "The difference between the request time and the current time is too large."))
	wantResp(t, signedAt(f.clock.Now().Add(14*time.Minute), nil), 404, errXML("NoSuchKey", "The specified key does not exist."))
	wantResp(t, signedAt(f.clock.Now(), func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }), 400, errXML("InvalidRequest", "Missing x-amz-content-sha256"))
	wantResp(t, signedAt(f.clock.Now(), func(r *http.Request) { r.Header.Set("Authorization", "AWS edge-local-access-key:c2ln") }), 400, errXML("InvalidRequest", "Please use AWS4-HMAC-SHA256"))
	wantResp(t, signedAt(f.clock.Now(), func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x") }), 400,
		errXML("AuthorizationHeaderMalformed", "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."))
	wantResp(t, signedAt(f.clock.Now(), func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), DefaultAccessKeyID, "nobody", 1))
	}), 401, errXML("Unauthorized", "Unauthorized"))
	r := signedAt(f.clock.Now(), func(r *http.Request) {
		r.Header.Set("X-Amz-Date", f.clock.Now().Add(time.Second).Format("20060102T150405Z"))
	})
	if r.status != 403 || !strings.Contains(r.body, "<CanonicalRequest>GET\n/"+testBucket+"/k\n\nhost:") {
		t.Fatalf("changed date = %d %s", r.status, r.body)
	}
}

func TestS3PresignFunction(t *testing.T) {
	f := mustS3(t, nil)
	now := f.clock.Now()
	// Presign and the test's independent signer agree byte for byte.
	got, err := Presign("GET", f.srv.URL, testBucket, "users/u 1/ä+b.txt", time.Hour, now, DefaultCredentials)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultSigner.presign("GET", f.srv.URL+"/"+testBucket+"/"+tEscapePath("users/u 1/ä+b.txt"), now, 3600)
	if got != want {
		t.Fatalf("Presign =\n%s\nwant\n%s", got, want)
	}
	// Presigned PUT, then presigned GET of what it stored.
	putURL, _ := f.svc.Presign("PUT", f.srv.URL, testBucket, "users/u 1/ä+b.txt", 10*time.Minute)
	req, _ := http.NewRequest("PUT", putURL, strings.NewReader("presigned body"))
	req.Header.Set("Content-Type", "text/plain")
	if r := f.send(t, req); r.status != 200 {
		t.Fatalf("presigned PUT = %d %s", r.status, r.body)
	}
	getURL, _ := f.svc.Presign("GET", f.srv.URL, testBucket, "users/u 1/ä+b.txt", 10*time.Minute)
	if r := f.get(t, getURL); r.status != 200 || r.body != "presigned body" || r.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("presigned GET = %d %q %v", r.status, r.body, r.header)
	}
	f.clock.Advance(10*time.Minute + time.Second)
	wantResp(t, f.get(t, getURL), 403, errXML("ExpiredRequest", "Request has expired"))

	for _, tc := range []struct {
		name, method, bucket string
		expires              time.Duration
		want                 string
	}{
		{"POST", "POST", testBucket, time.Hour, "r2: presigned URLs support GET, HEAD, PUT and DELETE, not POST"},
		{"zero lifetime", "GET", testBucket, 0, "r2: presigned URL lifetime must be a whole number of seconds from 1 to 604800, not 0s"},
		{"over a week", "GET", testBucket, 604801 * time.Second, "r2: presigned URL lifetime must be a whole number of seconds from 1 to 604800, not 168h0m1s"},
		{"unknown bucket", "GET", "nope", time.Hour, `r2: no bucket named "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Presign(tc.method, f.srv.URL, tc.bucket, "k", tc.expires)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestS3Expect100Continue sends a PUT with Expect: 100-continue over a raw
// connection and waits for the interim response before sending the body,
// as AWS SDKs do for large bodies.
func TestS3Expect100Continue(t *testing.T) {
	f := mustS3(t, nil)
	body := []byte("continued body")
	req, _ := http.NewRequest("PUT", f.srv.URL+"/"+testBucket+"/expect", nil)
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Content-Length", fmt.Sprint(len(body)))
	defaultSigner.sign(req, f.clock.Now(), tHash(body))

	conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head strings.Builder
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\n", req.URL.EscapedPath(), req.URL.Host)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil || status != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim status = %q, %v", status, err)
	}
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("after 100: %q", blank)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"`+md5hex(string(body))+`"` {
		t.Fatalf("final = %d %v", res.StatusCode, res.Header)
	}
}

func TestXMLEscape(t *testing.T) {
	got := xmlEscape(`a&b<c>d"e'f` + "\r")
	if d := cmp.Diff("a&amp;b&lt;c&gt;d&quot;e&apos;f&#13;", got); d != "" {
		t.Fatal(d)
	}
}
