package api

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

// formPart is one entry of a multipart/form-data body: a file when file is
// set (filename may be empty), a text field otherwise.
type formPart struct {
	name, filename, contentType, value string
	file                               bool
}

func textPart(name, value string) formPart { return formPart{name: name, value: value} }

func filePart(name, filename, contentType, data string) formPart {
	return formPart{name: name, filename: filename, contentType: contentType, value: data, file: true}
}

// multipartForm encodes parts as a browser's FormData does.
func multipartForm(t *testing.T, parts ...formPart) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.file {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
			if p.contentType != "" {
				h.Set("Content-Type", p.contentType)
			}
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, p.value)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// upload posts parts to /api/files/upload as tok.
func (ta *testApp) upload(t *testing.T, tok string, parts ...formPart) response {
	t.Helper()
	ct, body := multipartForm(t, parts...)
	return ta.do(t, "POST", "/api/files/upload", string(body), append(auth(tok), "Content-Type", ct)...)
}

// downloadPath is the download route of key.
func downloadPath(key string) string { return "/api/files/download/" + url.PathEscape(key) }

func keyPath(key, suffix string) string { return "/api/files/" + url.PathEscape(key) + suffix }

func wantBody(t *testing.T, what string, r response, status int, body string) {
	t.Helper()
	if r.status != status || string(r.body) != body {
		t.Errorf("%s: %d %s\nwant %d %s", what, r.status, r.body, status, body)
	}
}

func TestFilesUploadDownloadDelete(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	pdf := "%PDF-1.7 resume of Ada"
	key := "users/" + uid + "/resumes/cv.pdf"
	enc := "users%2F" + uid + "%2Fresumes%2Fcv.pdf"

	// Bucket names are case-insensitive; the path names the object.
	r := ta.upload(t, tok, filePart("file", "Ada CV.pdf", "application/pdf", pdf), textPart("bucket", "Resumes"), textPart("path", "cv.pdf"))
	wantBody(t, "upload", r, 201, fmt.Sprintf(`{"key":%q,"downloadURL":"/api/files/download/%s","fullPath":%q,"size":%d,"uploadedAt":"2030-01-01T00:00:00.000Z"}`,
		key, enc, key, len(pdf)))
	head, err := ta.Env.R2["RESUMES"].Head(t.Context(), key)
	if err != nil || head == nil {
		t.Fatalf("stored object: %v %v", head, err)
	}
	if head.HTTPMetadata.ContentType != "application/pdf" || !cmp.Equal(head.CustomMetadata, map[string]string{
		"uploadedBy": uid, "originalFilename": "Ada CV.pdf", "uploadedAt": "2030-01-01T00:00:00.000Z"}) {
		t.Errorf("metadata: %+v %v", head.HTTPMetadata, head.CustomMetadata)
	}

	// Without a path: {epoch ms}_{file name}; no type: octet-stream.
	r = ta.upload(t, tok, filePart("file", "me.png", "", "\x89PNG"), textPart("bucket", "avatars"))
	avatarKey := "users/" + uid + "/profile/1893456000000_me.png"
	if r.status != 201 || r.json(t)["key"] != avatarKey {
		t.Fatalf("upload without path: %d %s", r.status, r.body)
	}
	if h, _ := ta.Env.R2["AVATARS"].Head(t.Context(), avatarKey); h == nil || h.HTTPMetadata.ContentType != "application/octet-stream" {
		t.Errorf("avatar object: %+v", h)
	}

	r = ta.do(t, "GET", downloadPath(key), nil, auth(tok)...)
	if r.status != 200 || string(r.body) != pdf {
		t.Fatalf("download: %d %q", r.status, r.body)
	}
	for k, v := range map[string]string{
		"Content-Type": "application/pdf", "Content-Length": fmt.Sprint(len(pdf)), "Cache-Control": "private, max-age=3600",
		"Content-Disposition": `attachment; filename="cv.pdf"`, "X-RateLimit-Limit": "100", "X-Frame-Options": "SAMEORIGIN",
	} {
		if got := r.header.Get(k); got != v {
			t.Errorf("download %s = %q, want %q", k, got, v)
		}
	}
	// HEAD: the GET's status and headers, no body.
	r = ta.do(t, "HEAD", downloadPath(key), nil, auth(tok)...)
	if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != fmt.Sprint(len(pdf)) || r.header.Get("Content-Type") != "application/pdf" {
		t.Errorf("HEAD download: %d %q %v", r.status, r.body, r.header)
	}

	r = ta.do(t, "DELETE", keyPath(key, ""), nil, auth(tok)...)
	wantBody(t, "delete", r, 200, fmt.Sprintf(`{"message":"File deleted successfully","key":%q}`, key))
	wantBody(t, "download after delete", ta.do(t, "GET", downloadPath(key), nil, auth(tok)...), 404, `{"error":"File not found"}`)
	wantBody(t, "HEAD after delete", ta.do(t, "HEAD", downloadPath(key), nil, auth(tok)...), 404, ``)
	wantBody(t, "delete again (idempotent)", ta.do(t, "DELETE", keyPath(key, ""), nil, auth(tok)...), 200,
		fmt.Sprintf(`{"message":"File deleted successfully","key":%q}`, key))
	wantBody(t, "signed-url after delete", ta.do(t, "GET", keyPath(key, "/signed-url"), nil, auth(tok)...), 404, `{"error":"File not found"}`)
}

func TestFilesUploadErrors(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	big := strings.Repeat("x", maxFileUpload+1)
	for _, tc := range []struct {
		name   string
		parts  []formPart
		status int
		body   string
	}{
		{"no file", []formPart{textPart("bucket", "resumes")}, 400, `{"error":"No file provided"}`},
		{"file is text", []formPart{textPart("file", "cv.pdf"), textPart("bucket", "resumes")}, 400, `{"error":"No file provided"}`},
		{"first file entry is text", []formPart{textPart("file", "x"), filePart("file", "cv.pdf", "", "data"), textPart("bucket", "resumes")}, 400, `{"error":"No file provided"}`},
		{"no bucket", []formPart{filePart("file", "cv.pdf", "", "data")}, 400, `{"error":"Bucket name required"}`},
		{"empty bucket", []formPart{filePart("file", "cv.pdf", "", "data"), textPart("bucket", "")}, 400, `{"error":"Bucket name required"}`},
		{"unknown bucket", []formPart{filePart("file", "cv.pdf", "", "data"), textPart("bucket", "files")}, 400, `{"error":"Invalid bucket name"}`},
		{"bucket is a file", []formPart{filePart("file", "cv.pdf", "", "data"), filePart("bucket", "b.txt", "", "resumes")}, 400, `{"error":"Invalid bucket name"}`},
		{"too large", []formPart{filePart("file", "big.bin", "", big), textPart("bucket", "exports")}, 400,
			`{"error":"File too large","message":"File size 10.00MB exceeds 10MB limit"}`},
		{"key too long for R2", []formPart{filePart("file", "cv.pdf", "", "data"), textPart("bucket", "resumes"), textPart("path", strings.Repeat("p", 1100))}, 400,
			`{"error":"Failed to upload file","message":"put: The specified object name is not valid. (10020)"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantBody(t, tc.name, ta.upload(t, tok, tc.parts...), tc.status, tc.body)
		})
	}

	// Exactly 10 MiB is allowed.
	r := ta.upload(t, tok, filePart("file", "max.bin", "", big[:maxFileUpload]), textPart("bucket", "exports"), textPart("path", "max.bin"))
	if r.status != 201 || r.json(t)["size"] != float64(maxFileUpload) {
		t.Errorf("10 MiB: %d %s", r.status, r.body)
	}
	// Not a form at all, and a form that breaks off.
	r = ta.do(t, "POST", "/api/files/upload", `{"file":"x"}`, append(auth(tok), "Content-Type", "application/json")...)
	wantBody(t, "JSON body", r, 400, `{"error":"No file provided"}`)
	r = ta.do(t, "POST", "/api/files/upload", "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc",
		append(auth(tok), "Content-Type", "multipart/form-data; boundary=b")...)
	wantBody(t, "truncated form", r, 400, `{"error":"Failed to upload file","message":"Invalid multipart/form-data body: unexpected EOF"}`)
	// Auth comes first.
	ct, body := multipartForm(t, filePart("file", "cv.pdf", "", "data"), textPart("bucket", "resumes"))
	wantBody(t, "no token", ta.do(t, "POST", "/api/files/upload", string(body), "Content-Type", ct), 401,
		`{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`)
	// Nothing of the refused uploads was stored.
	for _, b := range []string{"AVATARS", "RESUMES", "EXPORTS"} {
		list, err := ta.Env.R2[b].List(t.Context(), runtime.R2ListOptions{Prefix: "users/" + uid + "/"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Objects {
			if o.Key != "users/"+uid+"/exports/max.bin" {
				t.Errorf("%s holds %s", b, o.Key)
			}
		}
	}
}

func TestFilesOwnership(t *testing.T) {
	ta := newTestApp(t)
	tokA, uidA := ta.token(t, "ada@example.com")
	tokB, uidB := ta.token(t, "bob@example.com")
	keyA := "users/" + uidA + "/resumes/cv.pdf"
	if r := ta.upload(t, tokA, filePart("file", "cv.pdf", "application/pdf", "A's resume"), textPart("bucket", "resumes"), textPart("path", "cv.pdf")); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	denied := `{"error":"Access denied"}`
	for _, tc := range []struct{ method, path string }{
		{"GET", downloadPath(keyA)}, {"HEAD", downloadPath(keyA)}, {"DELETE", keyPath(keyA, "")}, {"GET", keyPath(keyA, "/signed-url")},
	} {
		r := ta.do(t, tc.method, tc.path, nil, auth(tokB)...)
		want := denied
		if tc.method == "HEAD" {
			want = ""
		}
		wantBody(t, "B: "+tc.method+" "+tc.path, r, 403, want)
	}
	// A key that only starts like B's: R2 keys are literal, so this is no
	// way to A's object.
	sneaky := "users/" + uidB + "/../" + uidA + "/resumes/cv.pdf"
	wantBody(t, "dot-dot key", ta.do(t, "GET", downloadPath(sneaky), nil, auth(tokB)...), 404, `{"error":"File not found"}`)
	// B's upload path cannot leave B's prefix either.
	r := ta.upload(t, tokB, filePart("file", "x", "", "B's"), textPart("bucket", "resumes"), textPart("path", "../../"+uidA+"/resumes/cv.pdf"))
	if r.status != 201 || r.json(t)["key"] != "users/"+uidB+"/resumes/../../"+uidA+"/resumes/cv.pdf" {
		t.Errorf("B upload with ..: %d %s", r.status, r.body)
	}
	// A's object is untouched.
	if r := ta.do(t, "GET", downloadPath(keyA), nil, auth(tokA)...); r.status != 200 || string(r.body) != "A's resume" {
		t.Errorf("A's download: %d %s", r.status, r.body)
	}
	// Own prefix, but no bucket folder in the key.
	for _, tc := range []struct{ method, path string }{
		{"GET", downloadPath("users/" + uidA + "/other/x")}, {"DELETE", keyPath("users/"+uidA+"/other/x", "")},
		{"GET", keyPath("users/"+uidA+"/other/x", "/signed-url")},
	} {
		wantBody(t, "A: "+tc.path, ta.do(t, tc.method, tc.path, nil, auth(tokA)...), 400, `{"error":"Invalid file path"}`)
	}
	// No token.
	wantBody(t, "no token", ta.do(t, "GET", downloadPath(keyA), nil), 401,
		`{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`)
}

// A key holding %, +, spaces and non-ASCII travels as one encoded segment
// and is decoded exactly once.
func TestFilesKeyDecodedOnce(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	for _, name := range []string{"100%.txt", "a%2Fb.txt", "a%252F.txt", "r\u00e9sum\u00e9 final+1.pdf", "sub/dir/cv.pdf"} {
		t.Run(name, func(t *testing.T) {
			r := ta.upload(t, tok, filePart("file", "x", "text/plain", "body of "+name), textPart("bucket", "resumes"), textPart("path", name))
			key := "users/" + uid + "/resumes/" + name
			if r.status != 201 || r.json(t)["key"] != key || r.json(t)["downloadURL"] != "/api/files/download/"+encodeURIComponent(key) {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			dl := r.json(t)["downloadURL"].(string)
			if r := ta.do(t, "GET", dl, nil, auth(tok)...); r.status != 200 || string(r.body) != "body of "+name {
				t.Errorf("GET %s: %d %s", dl, r.status, r.body)
			}
			sig := ta.do(t, "GET", "/api/files/"+encodeURIComponent(key)+"/signed-url", nil, auth(tok)...)
			if sig.status != 200 || sig.json(t)["key"] != key {
				t.Errorf("signed-url: %d %s", sig.status, sig.body)
			}
			if r := ta.do(t, "DELETE", "/api/files/"+encodeURIComponent(key), nil, auth(tok)...); r.status != 200 || r.json(t)["key"] != key {
				t.Errorf("delete: %d %s", r.status, r.body)
			}
			if h, _ := ta.Env.R2["RESUMES"].Head(t.Context(), key); h != nil {
				t.Errorf("%s not deleted", key)
			}
		})
	}
}

func TestFilesSignedURL(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	key := "users/" + uid + "/exports/letter.txt"
	if r := ta.upload(t, tok, filePart("file", "letter.txt", "text/plain", "Dear Acme"), textPart("bucket", "exports"), textPart("path", "letter.txt")); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	// The S3 endpoint on a loopback port, as `edge serve` binds it.
	s3 := httptest.NewServer(ta.R2.S3Handler())
	t.Cleanup(s3.Close)
	ta.R2.SetS3URL(s3.URL)
	host := strings.TrimPrefix(ta.URL, "http://")
	for _, tc := range []struct {
		query string
		ttl   int
	}{
		{"", 3600}, {"?expiresIn=", 3600}, {"?expiresIn=7200", 7200}, {"?expiresIn=100000", 86400}, {"?expiresIn=abc", 3600},
		{"?expiresIn=-5", 3600}, {"?expiresIn=0", 3600}, {"?expiresIn=12abc", 12}, {"?expiresIn=%2042", 42}, {"?expiresIn=1e3", 1},
		{"?expiresIn=99999999999999999999999", 86400},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := ta.do(t, "GET", keyPath(key, "/signed-url")+tc.query, nil, auth(tok)...)
			body := r.json(t)
			presigned, _ := body["presignedUrl"].(string)
			delete(body, "presignedUrl")
			want := map[string]any{
				"signedUrl": "http://" + host + "/api/files/download/" + encodeURIComponent(key),
				"expiresIn": float64(tc.ttl), "expiresAt": isoTime(ta.Clock.Now().Add(time.Duration(tc.ttl) * time.Second)), "key": key,
			}
			if d := cmp.Diff(want, body); r.status != 200 || d != "" {
				t.Errorf("%d (-want +got):\n%s", r.status, d)
			}
			if !strings.HasPrefix(string(r.body), `{"signedUrl":`) || !strings.HasSuffix(string(r.body), fmt.Sprintf(`"key":%q,"presignedUrl":%q}`, key, presigned)) {
				t.Errorf("key order: %s", r.body)
			}
			// The presigned URL is a real one: it fetches the object without
			// the bearer token, for X-Amz-Expires seconds.
			u, err := url.Parse(presigned)
			if err != nil || !strings.HasPrefix(presigned, s3.URL+"/jobmatch-ai-dev-exports/users/"+uid+"/exports/letter.txt?") ||
				u.Query().Get("X-Amz-Expires") != fmt.Sprint(tc.ttl) {
				t.Fatalf("presignedUrl %q", presigned)
			}
			resp, err := http.Get(presigned)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(data) != "Dear Acme" {
				t.Errorf("GET presignedUrl: %d %s", resp.StatusCode, data)
			}
		})
	}
	// The frontend's URL is the download route, which needs the token.
	r := ta.do(t, "GET", keyPath(key, "/signed-url"), nil, auth(tok)...)
	signed := r.json(t)["signedUrl"].(string)
	if r := ta.do(t, "GET", strings.TrimPrefix(signed, ta.URL), nil); r.status != 401 {
		t.Errorf("signedUrl without the token: %d", r.status)
	}
	// An expired presigned URL is refused by S3.
	presigned := r.json(t)["presignedUrl"].(string)
	ta.Clock.Advance(3601 * time.Second)
	resp, err := http.Get(presigned)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("expired presigned URL: %d", resp.StatusCode)
	}
}

// Without a known S3 endpoint the answer is the original's alone.
func TestFilesSignedURLWithoutPresigner(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	key := "users/" + uid + "/resumes/cv.pdf"
	ta.upload(t, tok, filePart("file", "cv.pdf", "", "x"), textPart("bucket", "resumes"), textPart("path", "cv.pdf"))
	ta.Env.R2["RESUMES"] = plainBucket{ta.Env.R2["RESUMES"]}
	r := ta.do(t, "GET", keyPath(key, "/signed-url"), nil, auth(tok)...)
	want := fmt.Sprintf(`{"signedUrl":"%s/api/files/download/%s","expiresIn":3600,"expiresAt":"2030-01-01T01:00:00.000Z","key":%q}`, ta.URL, encodeURIComponent(key), key)
	wantBody(t, "signed-url", r, 200, want)
}

// plainBucket hides the bucket's Presign, as a binding without one.
type plainBucket struct{ runtime.R2Bucket }

func TestFilesAvatarPublic(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	if r := ta.upload(t, tok, filePart("file", "me.png", "image/png", "\x89PNG avatar"), textPart("bucket", "avatars"), textPart("path", "avatar.png")); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	// No token needed.
	r := ta.do(t, "GET", "/api/files/avatar/"+uid, nil)
	if r.status != 200 || string(r.body) != "\x89PNG avatar" || r.header.Get("Content-Type") != "image/png" ||
		r.header.Get("Cache-Control") != "public, max-age=86400" || r.header.Get("Content-Length") != "11" || r.header.Get("Content-Disposition") != "" {
		t.Errorf("avatar: %d %q %v", r.status, r.body, r.header)
	}
	if r := ta.do(t, "HEAD", "/api/files/avatar/"+uid, nil); r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != "11" {
		t.Errorf("HEAD avatar: %d %v", r.status, r.header)
	}
	// .jpg is tried first; its stored type is kept, image/jpeg without one.
	if _, err := ta.Env.R2["AVATARS"].Put(t.Context(), "users/"+uid+"/profile/avatar.jpg", strings.NewReader("jpg"), runtime.R2PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := ta.do(t, "GET", "/api/files/avatar/"+uid, nil); r.status != 200 || string(r.body) != "jpg" || r.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("avatar.jpg: %d %q %v", r.status, r.body, r.header.Get("Content-Type"))
	}
	wantBody(t, "no avatar", ta.do(t, "GET", "/api/files/avatar/nobody", nil), 404, `{"error":"Avatar not found"}`)
	// Hono's route order: /avatar/signed-url is the signed-URL route for
	// the key "avatar", behind auth.
	wantBody(t, "avatar/signed-url", ta.do(t, "GET", "/api/files/avatar/signed-url", nil), 401,
		`{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`)
	wantBody(t, "avatar/signed-url with a token", ta.do(t, "GET", "/api/files/avatar/signed-url", nil, auth(tok)...), 403, `{"error":"Access denied"}`)
}

// Static segments and one-segment keys route as in the original.
func TestFilesRouting(t *testing.T) {
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/api/files/download/a/b", 404, `{"code":"NOT_FOUND","message":"Route GET /api/files/download/a/b not found","statusCode":404}`},
		{"DELETE", "/api/files/a/b", 404, `{"code":"NOT_FOUND","message":"Route DELETE /api/files/a/b not found","statusCode":404}`},
		{"GET", "/api/files/a/b/signed-url", 404, `{"code":"NOT_FOUND","message":"Route GET /api/files/a/b/signed-url not found","statusCode":404}`},
		{"GET", "/api/files/download/", 404, `{"code":"NOT_FOUND","message":"Route GET /api/files/download/ not found","statusCode":404}`},
		{"GET", "/api/files/avatar", 404, `{"code":"NOT_FOUND","message":"Route GET /api/files/avatar not found","statusCode":404}`},
		{"DELETE", "/api/files/download", 403, `{"error":"Access denied"}`},
		{"DELETE", "/api/files/upload", 403, `{"error":"Access denied"}`},
		{"GET", "/api/files/upload/signed-url", 403, `{"error":"Access denied"}`},
		{"GET", "/api/files/download/signed-url", 403, `{"error":"Access denied"}`},
	} {
		wantBody(t, tc.method+" "+tc.path, ta.do(t, tc.method, tc.path, nil, auth(tok)...), tc.status, tc.body)
	}
}
