package api

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// filesRoutes registers /api/files (contract §2.11, the original's
// routes/files.ts). Every route uses auth except the public avatar; none is
// rate-limited per user. Errors are E-local {error, message?}.
func (a *App) filesRoutes() {
	a.e.POST("/api/files/upload", a.handleUploadFile, a.authenticate)
	a.e.GET("/api/files/download/:key", a.handleDownloadFile, a.authenticate)
	a.e.DELETE("/api/files/:key", a.handleDeleteFile, a.authenticate)
	a.e.GET("/api/files/:key/signed-url", a.handleSignedURL, a.authenticate)
	a.e.GET("/api/files/avatar/:targetUserId", a.handleAvatar)
}

const (
	maxFileUpload     = 10 << 20 // POST /api/files/upload's size limit
	maxFormField      = 1 << 20  // a text field (bucket, path) of the upload form
	defaultSignedTTL  = 3600     // seconds
	maxSignedTTL      = 86400    // seconds
	downloadCacheCtl  = "private, max-age=3600"
	avatarCacheCtl    = "public, max-age=86400"
	octetStream       = "application/octet-stream"
	filesLogPrefix    = "[Files] "
	filesUploadFailed = "Failed to upload file"
)

// fileBucket is a bucket name of the upload form: its binding and the
// folder under users/{uid}/.
type fileBucket struct{ binding, folder string }

var uploadBuckets = map[string]fileBucket{
	"avatars": {"AVATARS", "profile"},
	"resumes": {"RESUMES", "resumes"},
	"exports": {"EXPORTS", "exports"},
}

// keyBucket picks the bucket of a key by substring, as the original does:
// /profile/, else /resumes/, else /exports/.
func (a *App) keyBucket(key string) (runtime.R2Bucket, bool) {
	for _, b := range [...]fileBucket{uploadBuckets["avatars"], uploadBuckets["resumes"], uploadBuckets["exports"]} {
		if strings.Contains(key, "/"+b.folder+"/") {
			return a.env.R2[b.binding], true
		}
	}
	return nil, false
}

// ownedKey applies the two checks every key route makes: the key is under
// users/{uid}/ (else 403) and names a bucket (else 400); when ok is false
// the answer has been written and err is what to return. The key
// parameter arrives decoded exactly once (routeParams).
//
// Differs from the original, which decoded the already decoded parameter a
// second time: a key holding a literal % (sent as %25) is that key, where
// the original answered a 500 URIError or looked up another key.
func (a *App) ownedKey(c echo.Context, what string) (key string, bucket runtime.R2Bucket, ok bool, err error) {
	uid := userID(c)
	key = c.Param("key")
	a.consoleLog(c, "%s%s request from user %s for key: %s", filesLogPrefix, what, uid, key)
	if !strings.HasPrefix(key, "users/"+uid+"/") {
		a.console(c.Request().Context(), "warn", "%s%s access denied - user %s tried to access: %s", filesLogPrefix, what, uid, key)
		return "", nil, false, localMessage(c, http.StatusForbidden, "Access denied")
	}
	if bucket, ok = a.keyBucket(key); !ok {
		a.consoleError(c, "%sUnknown file type for key: %s", filesLogPrefix, key)
		return "", nil, false, localMessage(c, http.StatusBadRequest, "Invalid file path")
	}
	return key, bucket, true, nil
}

// fileFail is the routes' E-local failure {error, message}: 500, or 400
// when R2 refused the request itself (a key too long, say).
//
// Differs from the original, which answered 500 to those too.
func (a *App) fileFail(c echo.Context, msg string, err error) error {
	a.consoleError(c, "%s%s: %v", filesLogPrefix, msg, err)
	status := http.StatusInternalServerError
	var re *runtime.R2Error
	var ae *runtime.R2ArgumentError
	if errors.As(err, &re) && re.Status < 500 || errors.As(err, &ae) {
		status = http.StatusBadRequest
	}
	return writeJSON(c, status, ordObj{{"error", msg}, {"message", err.Error()}})
}

// ---- POST /api/files/upload ----

// uploadBuffers hold uploaded files between the form and R2; uploadReaders
// read the forms; copyBuffers stream objects out.
var (
	uploadBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	uploadReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
	copyBuffers   = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
)

// uploadForm is what formData.get('file'|'bucket'|'path') returns: the
// first entry of each name.
type uploadForm struct {
	file         *bytes.Buffer // nil: no file entry first
	fileName     string
	fileType     string
	fileSize     int64 // the whole file's size (file holds at most maxFileUpload+1 bytes)
	bucket, path string
	sawFile      bool // a "file" entry was seen (a file or not)
	sawBucket    bool
	sawPath      bool
	sizeHint     int64 // the body's Content-Length, -1 when unknown
}

func (f *uploadForm) release() {
	if f.file != nil {
		f.file.Reset()
		uploadBuffers.Put(f.file)
		f.file = nil
	}
}

// errBadForm wraps a body that is multipart/form-data but cannot be read.
type errBadForm struct{ err error }

func (e errBadForm) Error() string { return "Invalid multipart/form-data body: " + e.err.Error() }
func (e errBadForm) Unwrap() error { return e.err }

// readUploadForm reads the upload form in one pass. The file is kept in a
// pooled buffer (bucket and path usually follow it, so its key is not known
// until the body has been read) up to maxFileUpload+1 bytes; the rest is
// counted, not kept. A body that is not multipart/form-data has no file.
func readUploadForm(c echo.Context) (*uploadForm, error) {
	req := c.Request()
	form := &uploadForm{}
	mediaType, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return form, nil
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxUploadBody)
	// A larger read buffer than multipart's own 4 KiB (it uses a big enough
	// *bufio.Reader as it is): a sixteenth of the reads for a large file.
	br := uploadReaders.Get().(*bufio.Reader)
	br.Reset(req.Body)
	defer func() { br.Reset(nil); uploadReaders.Put(br) }()
	mr := multipart.NewReader(br, params["boundary"])
	form.sizeHint = req.ContentLength
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return form, errBadForm{err}
		}
		if err := form.take(part); err != nil {
			return form, errBadForm{err}
		}
	}
}

// take reads one entry: the first of file, bucket and path is kept, any
// other is read through.
func (f *uploadForm) take(part *multipart.Part) error {
	switch name := part.FormName(); {
	case name == "file" && !f.sawFile:
		f.sawFile = true
		// A file entry has a filename in its Content-Disposition (FormData
		// sends an empty one for a nameless Blob; Part.FileName hides that).
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name, isFile := params["filename"]
		if !isFile {
			break // a string: formData.get('file') is no File
		}
		buf := uploadBuffers.Get().(*bytes.Buffer)
		if f.sizeHint > 0 {
			buf.Grow(int(min(f.sizeHint, maxFileUpload+1))) // one allocation, not a doubling series
		}
		f.file, f.fileName, f.fileType = buf, name, part.Header.Get("Content-Type")
		n, err := io.CopyN(buf, part, maxFileUpload+1)
		if err == nil {
			var rest int64
			rest, err = io.Copy(io.Discard, part)
			n += rest
		}
		f.fileSize = n
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	case name == "bucket" && !f.sawBucket:
		f.sawBucket = true
		v, err := formText(part)
		f.bucket = v
		return err
	case name == "path" && !f.sawPath:
		f.sawPath = true
		v, err := formText(part)
		f.path = v
		return err
	}
	_, err := io.Copy(io.Discard, part)
	return err
}

// formText reads a text entry of at most maxFormField bytes. A file entry
// is read through and reads as JavaScript prints a File, "[object File]"
// (the original put that into the key for a path; for a bucket it is no
// valid name).
func formText(part *multipart.Part) (string, error) {
	_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if _, isFile := params["filename"]; isFile {
		_, err := io.Copy(io.Discard, part)
		return "[object File]", err
	}
	data, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxFormField {
		return "", fmt.Errorf("field %s is longer than %d bytes", part.FormName(), maxFormField)
	}
	return string(data), nil
}

// handleUploadFile is POST /api/files/upload: multipart fields file, bucket
// (avatars, resumes or exports, in any case) and an optional path. The
// object is stored under users/{uid}/{profile|resumes|exports}/{path, or
// "{epoch ms}_{file name}"} (the path is not sanitised: R2 keys have no
// directories, and every key stays under the user's prefix). 201.
//
// Differs from the original: a body that is not multipart/form-data, or a
// "file" entry that is text, is 400 "No file provided" (the original threw
// a TypeError, a 500); a multipart body that cannot be read is 400, and one
// over 100 MiB 413, both {error:"Failed to upload file", message}; a File
// sent as bucket is "Invalid bucket name" (a TypeError there).
func (a *App) handleUploadFile(c echo.Context) error {
	uid := userID(c)
	a.consoleLog(c, "%sUpload request from user %s", filesLogPrefix, uid)
	form, err := readUploadForm(c)
	defer form.release()
	if err != nil {
		status := http.StatusBadRequest
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		a.consoleError(c, "%sUpload failed: %v", filesLogPrefix, err)
		return writeJSON(c, status, ordObj{{"error", filesUploadFailed}, {"message", err.Error()}})
	}
	if form.file == nil {
		return localMessage(c, http.StatusBadRequest, "No file provided")
	}
	if form.bucket == "" {
		return localMessage(c, http.StatusBadRequest, "Bucket name required")
	}
	b, ok := uploadBuckets[strings.ToLower(form.bucket)]
	if !ok {
		return localMessage(c, http.StatusBadRequest, "Invalid bucket name")
	}
	now := a.clock.Now()
	name := form.path
	if name == "" {
		name = strconv.FormatInt(now.UnixMilli(), 10) + "_" + form.fileName
	}
	key := "users/" + uid + "/" + b.folder + "/" + name
	a.consoleLog(c, "%sUploading to %s: %s", filesLogPrefix, form.bucket, key)
	if form.fileSize > maxFileUpload {
		return writeJSON(c, http.StatusBadRequest, ordObj{{"error", "File too large"},
			{"message", fmt.Sprintf("File size %.2fMB exceeds 10MB limit", float64(form.fileSize)/(1<<20))}})
	}
	contentType := form.fileType
	if contentType == "" {
		contentType = octetStream
	}
	obj, err := a.env.R2[b.binding].Put(c.Request().Context(), key, bytes.NewReader(form.file.Bytes()), runtime.R2PutOptions{
		HTTPMetadata:   runtime.R2HTTPMetadata{ContentType: contentType},
		CustomMetadata: map[string]string{"uploadedBy": uid, "originalFilename": form.fileName, "uploadedAt": isoTime(now)},
	})
	if err != nil {
		return a.fileFail(c, filesUploadFailed, err)
	}
	a.consoleLog(c, "%s\u2713 Upload successful: %s (%d bytes)", filesLogPrefix, key, form.fileSize)
	return writeJSON(c, http.StatusCreated, ordObj{
		{"key", obj.Key}, {"downloadURL", fileDownloadURL(key)}, {"fullPath", key}, {"size", obj.Size}, {"uploadedAt", isoTime(now)},
	})
}

// ---- reading objects ----

// readObject gets key, or only its metadata when the request is a HEAD
// (which the route answers as its GET, without the body). obj is nil when
// the key does not exist; the caller closes a non-nil body.
func (a *App) readObject(c echo.Context, bucket runtime.R2Bucket, key string) (obj *runtime.R2Object, body io.ReadCloser, err error) {
	ctx := c.Request().Context()
	if isHead(c) {
		obj, err = bucket.Head(ctx, key)
		return obj, nil, err
	}
	ob, err := bucket.Get(ctx, key, runtime.R2GetOptions{})
	if err != nil || ob == nil {
		return nil, nil, err
	}
	return &ob.R2Object, ob.Body, nil
}

// serveObject answers 200 with the object's body, streamed, under the
// given header pairs and Content-Length; body nil sends the headers only.
func (a *App) serveObject(c echo.Context, obj *runtime.R2Object, body io.ReadCloser, headers ...string) error {
	if body != nil {
		defer body.Close()
	}
	h := c.Response().Header()
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	c.Response().WriteHeader(http.StatusOK)
	if body == nil {
		return nil
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	// Through the pooled buffer, not ReadFrom/WriteTo, which copy 32 KiB at a
	// time when the connection cannot sendfile: an eighth of the syscalls.
	if _, err := io.CopyBuffer(struct{ io.Writer }{c.Response().Writer}, struct{ io.Reader }{body}, *buf); err != nil {
		// The status is sent; the client sees a short body.
		a.consoleError(c, "%sStreaming %s failed: %v", filesLogPrefix, obj.Key, err)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ---- GET /api/files/download/:key ----

// handleDownloadFile streams one of the caller's objects.
func (a *App) handleDownloadFile(c echo.Context) error {
	key, bucket, ok, err := a.ownedKey(c, "Download")
	if !ok {
		return err
	}
	obj, body, err := a.readObject(c, bucket, key)
	if err != nil {
		return a.fileFail(c, "Failed to download file", fmt.Errorf("Failed to get file: %w", err))
	}
	if obj == nil {
		a.console(c.Request().Context(), "warn", "%sFile not found: %s", filesLogPrefix, key)
		return localMessage(c, http.StatusNotFound, "File not found")
	}
	a.consoleLog(c, "%sStreaming file %s to user %s", filesLogPrefix, key, userID(c))
	return a.serveObject(c, obj, body,
		"Content-Type", orDefault(obj.HTTPMetadata.ContentType, octetStream),
		"Cache-Control", downloadCacheCtl,
		"Content-Disposition", `attachment; filename="`+key[strings.LastIndex(key, "/")+1:]+`"`)
}

// ---- DELETE /api/files/:key ----

// handleDeleteFile deletes one of the caller's objects (idempotent).
func (a *App) handleDeleteFile(c echo.Context) error {
	key, bucket, ok, err := a.ownedKey(c, "Delete")
	if !ok {
		return err
	}
	if err := bucket.Delete(c.Request().Context(), key); err != nil {
		return a.fileFail(c, "Failed to delete file", err)
	}
	a.consoleLog(c, "%s\u2713 File deleted: %s", filesLogPrefix, key)
	return writeJSON(c, http.StatusOK, ordObj{{"message", "File deleted successfully"}, {"key", key}})
}

// ---- GET /api/files/:key/signed-url ----

// handleSignedURL answers the original's "signed" URL, which is the
// authenticated download route on the request's origin, for an existing
// object of the caller.
//
// Differs from the original: the answer also carries presignedUrl, a real
// SigV4-presigned GET on the S3 endpoint valid for expiresIn, when the
// bucket can mint one (edge's can; the frontend reads only signedUrl).
func (a *App) handleSignedURL(c echo.Context) error {
	expiresIn := signedURLTTL(c.QueryParam("expiresIn"))
	key, bucket, ok, err := a.ownedKey(c, "Signed URL")
	if !ok {
		return err
	}
	obj, err := bucket.Head(c.Request().Context(), key)
	if err != nil {
		return a.fileFail(c, "Failed to generate signed URL", fmt.Errorf("Failed to get file: %w", err))
	}
	if obj == nil {
		a.console(c.Request().Context(), "warn", "%sFile not found for signed URL: %s", filesLogPrefix, key)
		return localMessage(c, http.StatusNotFound, "File not found")
	}
	ttl := time.Duration(expiresIn) * time.Second
	out := ordObj{
		{"signedUrl", requestOrigin(c.Request()) + fileDownloadURL(key)},
		{"expiresIn", expiresIn},
		{"expiresAt", isoTime(a.clock.Now().Add(ttl))},
		{"key", key},
	}
	if p, ok := bucket.(runtime.R2Presigner); ok {
		if u, err := p.Presign(http.MethodGet, key, ttl); err == nil {
			out = append(out, ordKV{"presignedUrl", u})
		} else {
			a.consoleError(c, "%sNo presigned URL for %s: %v", filesLogPrefix, key, err)
		}
	}
	a.consoleLog(c, "%s\u2713 Signed URL generated for: %s", filesLogPrefix, key)
	return writeJSON(c, http.StatusOK, out)
}

// signedURLTTL is the original's expiresIn: parseInt(value, 10) capped at
// 86400; absent, empty, NaN or not positive is 3600.
func signedURLTTL(param string) int {
	if param == "" {
		return defaultSignedTTL
	}
	n, ok := jsParseInt(param)
	if !ok || n <= 0 {
		return defaultSignedTTL
	}
	if n > maxSignedTTL {
		return maxSignedTTL
	}
	return int(n)
}

// jsParseInt is parseInt(s, 10): leading white space, a sign, then as many
// decimal digits as there are; ok is false when there are none (NaN).
func jsParseInt(s string) (float64, bool) {
	s = strings.TrimLeftFunc(s, isJSSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	f, _ := strconv.ParseFloat(s[:end], 64) // huge digit strings are +Inf, as in JavaScript
	if neg {
		f = -f
	}
	return f, true
}

// isJSSpace is JavaScript's WhiteSpace and LineTerminator.
func isJSSpace(r rune) bool {
	return r == '\ufeff' || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Zs, r) || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
}

// requestOrigin is new URL(request.url).origin.
func requestOrigin(r *http.Request) string {
	scheme, port := "http", ":80"
	if r.TLS != nil {
		scheme, port = "https", ":443"
	}
	return scheme + "://" + strings.TrimSuffix(strings.ToLower(r.Host), port)
}

// ---- GET /api/files/avatar/:targetUserId (public) ----

// avatarExtensions are tried in this order.
var avatarExtensions = [...]string{"jpg", "png", "webp"}

// handleAvatar serves users/{id}/profile/avatar.{jpg,png,webp} from
// AVATARS, the first that exists, without auth.
func (a *App) handleAvatar(c echo.Context) error {
	target := c.Param("targetUserId")
	if target == "signed-url" {
		// Hono tries routes in the order they were added, and the
		// original added /:key/signed-url before this one: the path
		// /api/files/avatar/signed-url is the authenticated signed-URL
		// route for the key "avatar". Echo prefers the static segment.
		c.SetParamNames("key")
		c.SetParamValues("avatar")
		return a.authenticate(a.handleSignedURL)(c)
	}
	a.consoleLog(c, "%sPublic avatar request for user: %s", filesLogPrefix, target)
	bucket := a.env.R2["AVATARS"]
	for _, ext := range avatarExtensions {
		key := "users/" + target + "/profile/avatar." + ext
		obj, body, err := a.readObject(c, bucket, key)
		if err != nil {
			return a.fileFail(c, "Failed to download avatar", fmt.Errorf("Failed to get file: %w", err))
		}
		if obj != nil {
			a.consoleLog(c, "%sFound avatar at: %s", filesLogPrefix, key)
			return a.serveObject(c, obj, body,
				"Content-Type", orDefault(obj.HTTPMetadata.ContentType, "image/jpeg"),
				"Cache-Control", avatarCacheCtl)
		}
	}
	a.consoleLog(c, "%sNo avatar found for user: %s", filesLogPrefix, target)
	return localMessage(c, http.StatusNotFound, "Avatar not found")
}
