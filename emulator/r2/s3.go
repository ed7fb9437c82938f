package r2

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"jobmatch-edge/emulator/internal/httpguard"
	"jobmatch-edge/runtime"
)

// s3Handler serves the S3-compatible API, path-style: /{bucket}/{key}.
type s3Handler struct {
	svc   *Service
	creds Credentials
}

// S3Handler returns the S3-compatible endpoint for every bucket of s, to be
// served on its own listener (`--s3-addr`). Path-style only:
//
//	GET    /                                  ListBuckets
//	HEAD   /{bucket}                          HeadBucket
//	GET    /{bucket}?list-type=2              ListObjectsV2 (and ListObjects without list-type)
//	GET    /{bucket}?location                 GetBucketLocation
//	POST   /{bucket}?delete                   DeleteObjects
//	GET    /{bucket}/{key}                    GetObject
//	HEAD   /{bucket}/{key}                    HeadObject
//	PUT    /{bucket}/{key}                    PutObject
//	DELETE /{bucket}/{key}                    DeleteObject
//	POST   /{bucket}/{key}?uploads            CreateMultipartUpload
//	PUT    /{bucket}/{key}?partNumber&uploadId UploadPart
//	POST   /{bucket}/{key}?uploadId           CompleteMultipartUpload
//	DELETE /{bucket}/{key}?uploadId           AbortMultipartUpload
//
// Every request is authenticated with SigV4 (Authorization header or
// presigned query) against Options.Credentials, with time from the clock.
func (s *Service) S3Handler() http.Handler {
	return &s3Handler{svc: s, creds: s.opts.Credentials}
}

func (h *s3Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := toS3Error(err)
	if !ok {
		h.svc.log.ErrorContext(r.Context(), "s3 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeS3Error(w, r, e)
}

func writeS3Error(w http.ResponseWriter, r *http.Request, e *s3Error) {
	for k, v := range e.Header {
		w.Header()[k] = v
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	writeXML(w, e.Status, e.body())
}

// RequestTimeout answers, as S3 does, a request whose body stopped
// arriving (the S3 listener bounds body progress; see
// httpguard.ServeIdleBody).
func RequestTimeout(w http.ResponseWriter, r *http.Request) { writeS3Error(w, r, errRequestTimeout) }

func (h *s3Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The Date header comes from the clock, as every time here does: SDKs
	// correct their clock offset from it.
	w.Header().Set("Date", h.svc.clock.Now().UTC().Format(http.TimeFormat))
	h.svc.log.DebugContext(r.Context(), "s3 request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
		"payload", r.Header.Get("X-Amz-Content-Sha256"), "expect", r.Header.Get("Expect"), "encoding", r.Header.Get("Content-Encoding"))
	if httpguard.BadEscape(r) {
		h.fail(w, r, errInvalidURI)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		h.fail(w, r, newS3Error(400, "InvalidArgument", "Invalid query string"))
		return
	}
	sig, e := h.authenticate(r, q)
	if e != nil {
		h.fail(w, r, e)
		return
	}
	// The path is taken literally, as S3 takes it: a key may hold "//",
	// "." and ".." segments (SDKs send them unencoded), so nothing is
	// cleaned. Only the bucket, the first segment, must be there.
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucketName, key, _ := strings.Cut(path, "/")
	if bucketName == "" && path != "" {
		h.fail(w, r, errInvalidBucketName)
		return
	}
	if bucketName == "" {
		if r.Method != http.MethodGet {
			h.fail(w, r, errMethodNotAllowed)
			return
		}
		h.listBuckets(w, r)
		return
	}
	b := h.svc.Bucket(bucketName)
	if b == nil {
		h.fail(w, r, errNoSuchBucket)
		return
	}
	if key == "" {
		h.serveBucket(w, r, b, q, sig)
		return
	}
	h.serveObject(w, r, b, key, q, sig)
}

func (h *s3Handler) serveBucket(w http.ResponseWriter, r *http.Request, b *Bucket, q url.Values, sig *signed) {
	switch r.Method {
	case http.MethodHead:
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		switch {
		case q.Has("location"):
			d := newXMLDoc()
			d.b.WriteString(`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + Region + `</LocationConstraint>`)
			writeXML(w, http.StatusOK, d.String())
		case q.Has("uploads"), q.Has("versions"), q.Has("cors"), q.Has("lifecycle"), q.Has("policy"), q.Has("acl"):
			h.fail(w, r, errNotImplemented)
		default:
			h.listObjects(w, r, b, q)
		}
	case http.MethodPost:
		if !q.Has("delete") {
			h.fail(w, r, errNotImplemented)
			return
		}
		h.deleteObjects(w, r, b, sig)
	default:
		h.fail(w, r, errNotImplemented)
	}
}

func (h *s3Handler) serveObject(w http.ResponseWriter, r *http.Request, b *Bucket, key string, q url.Values, sig *signed) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if q.Has("uploadId") || q.Has("acl") || q.Has("tagging") {
			h.fail(w, r, errNotImplemented)
			return
		}
		h.getObject(w, r, b, key, q)
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			h.fail(w, r, errNotImplemented)
			return
		}
		if q.Has("uploadId") || q.Has("partNumber") {
			h.uploadPart(w, r, b, key, q, sig)
			return
		}
		h.putObject(w, r, b, key, sig)
	case http.MethodDelete:
		if q.Has("uploadId") {
			if err := b.ResumeMultipartUpload(key, q.Get("uploadId")).Abort(r.Context()); err != nil {
				h.fail(w, r, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := b.Delete(r.Context(), key); err != nil {
			h.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			h.createUpload(w, r, b, key)
		case q.Has("uploadId"):
			h.completeUpload(w, r, b, key, q, sig)
		default:
			h.fail(w, r, errNotImplemented)
		}
	default:
		h.fail(w, r, errMethodNotAllowed)
	}
}

// body returns the request body decoded and checked as x-amz-content-sha256 says.
func (h *s3Handler) body(r *http.Request, sig *signed) io.Reader {
	var body io.Reader = r.Body
	switch p := sig.payloadHash; p {
	case unsignedPayload:
	case streamingUnsignedTrailr:
		body = newChunkedReader(r.Body, nil)
	case streamingSigned, streamingSignedTrailer:
		body = newChunkedReader(r.Body, sig)
	default:
		body = newHashCheckReader(r.Body, p)
	}
	if strings.HasPrefix(sig.payloadHash, "STREAMING-") {
		if n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil {
			body = &lengthCheckReader{r: body, want: n}
		}
	}
	return body
}

// objectHeaders sets the headers that describe an object.
func objectHeaders(hd http.Header, o *runtime.R2Object) {
	o.WriteHTTPMetadata(hd)
	hd.Set("ETag", o.HTTPETag)
	hd.Set("Last-Modified", o.Uploaded.UTC().Format(http.TimeFormat))
	hd.Set("Accept-Ranges", "bytes")
	if hd.Get("Content-Type") == "" {
		hd.Set("Content-Type", "application/octet-stream")
	}
	if o.StorageClass == runtime.R2StorageInfrequentAccess {
		hd.Set("X-Amz-Storage-Class", "STANDARD_IA")
	}
	for k, v := range o.CustomMetadata {
		hd["X-Amz-Meta-"+k] = []string{v}
	}
}

// parseRangeHeader reads "bytes=a-b", "bytes=a-" or "bytes=-n". Anything
// else, multiple ranges included, is ignored (the whole object is sent).
func parseRangeHeader(v string) *runtime.R2Range {
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return nil
		}
		return &runtime.R2Range{Suffix: &n}
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return nil
	}
	if last == "" {
		return &runtime.R2Range{Offset: &a}
	}
	z, err := strconv.ParseInt(last, 10, 64)
	if err != nil || z < a {
		return nil
	}
	n := z - a + 1
	return &runtime.R2Range{Offset: &a, Length: &n}
}

// responseOverrides are GetObject's response-* query parameters.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func (h *s3Handler) getObject(w http.ResponseWriter, r *http.Request, b *Bucket, key string, q url.Values) {
	opts := runtime.R2GetOptions{OnlyIf: runtime.R2ConditionalFromHeaders(r.Header)}
	rangeHdr := r.Header.Get("Range")
	if rangeHdr != "" {
		opts.Range = parseRangeHeader(rangeHdr)
	}
	obj, fail, err := b.get(r.Context(), key, opts)
	if err != nil {
		if errors.Is(err, runtime.ErrR2InvalidRange) {
			if head, _ := b.Head(r.Context(), key); head != nil {
				e := *newS3Error(416, "InvalidRange", "The requested range is not satisfiable")
				e.Header = http.Header{"Content-Range": {"bytes */" + strconv.FormatInt(head.Size, 10)}}
				h.fail(w, r, &e)
				return
			}
		}
		h.fail(w, r, err)
		return
	}
	if obj == nil {
		h.fail(w, r, runtime.ErrR2NoSuchKey)
		return
	}
	hd := w.Header()
	switch fail {
	case notModified:
		hd.Set("ETag", obj.HTTPETag)
		hd.Set("Last-Modified", obj.Uploaded.UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusNotModified)
		return
	case failedMatch:
		h.fail(w, r, runtime.ErrR2PreconditionFail)
		return
	}
	defer obj.Body.Close()
	objectHeaders(hd, &obj.R2Object)
	for p, name := range responseOverrides {
		if v := q.Get(p); v != "" {
			hd.Set(name, v)
		}
	}
	off, n := *obj.Range.Offset, *obj.Range.Length
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	status := http.StatusOK
	if opts.Range != nil {
		status = http.StatusPartialContent
		hd.Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.FormatInt(obj.Size, 10))
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead || n == 0 {
		return
	}
	if _, err := io.Copy(w, obj.Body); err != nil {
		h.svc.log.DebugContext(r.Context(), "s3 get: client went away", "key", key, "err", err)
	}
}

// metadataFromHeaders reads the object metadata of a PutObject or
// CreateMultipartUpload request.
func metadataFromHeaders(hd http.Header) (runtime.R2HTTPMetadata, map[string]string, string, *s3Error) {
	m := runtime.R2HTTPMetadata{
		ContentType: hd.Get("Content-Type"), ContentLanguage: hd.Get("Content-Language"),
		ContentDisposition: hd.Get("Content-Disposition"), CacheControl: hd.Get("Cache-Control"),
	}
	var enc []string
	for _, e := range strings.Split(hd.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			enc = append(enc, e)
		}
	}
	m.ContentEncoding = strings.Join(enc, ",")
	if v := hd.Get("Expires"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			m.CacheExpiry = t.UTC()
		}
	}
	custom := map[string]string{}
	for k, vs := range hd {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && name != "" {
			custom[name] = strings.Join(vs, ",")
		}
	}
	class := ""
	switch v := hd.Get("X-Amz-Storage-Class"); v {
	case "", "STANDARD":
		class = runtime.R2StorageStandard
	case "STANDARD_IA":
		class = runtime.R2StorageInfrequentAccess
	default:
		return m, nil, "", newS3Error(400, "InvalidStorageClass", "The storage class you specified is not valid")
	}
	return m, custom, class, nil
}

func (h *s3Handler) putObject(w http.ResponseWriter, r *http.Request, b *Bucket, key string, sig *signed) {
	httpMeta, custom, class, e := metadataFromHeaders(r.Header)
	if e != nil {
		h.fail(w, r, e)
		return
	}
	opts := runtime.R2PutOptions{HTTPMetadata: httpMeta, CustomMetadata: custom, StorageClass: class}
	if v := r.Header.Get("Content-MD5"); v != "" {
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) != 16 {
			h.fail(w, r, errInvalidDigest)
			return
		}
		opts.MD5 = hex.EncodeToString(raw)
	}
	if im, inm := r.Header.Get("If-Match"), r.Header.Get("If-None-Match"); im != "" || inm != "" {
		opts.OnlyIf = &runtime.R2Conditional{EtagMatches: im, EtagDoesNotMatch: inm, Header: true, SecondsGranularity: true}
	}
	obj, err := b.Put(r.Context(), key, h.body(r, sig), opts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if obj == nil {
		h.fail(w, r, runtime.ErrR2PreconditionFail)
		return
	}
	w.Header().Set("ETag", obj.HTTPETag)
	w.WriteHeader(http.StatusOK)
}

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (h *s3Handler) listBuckets(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Buckets(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := newXMLDoc()
	d.b.WriteString(`<ListAllMyBucketsResult xmlns="` + s3NS + `">`)
	d.open("Buckets")
	for _, bk := range list {
		d.open("Bucket")
		d.elem("Name", bk.Name)
		d.elem("CreationDate", isoTime(bk.Created))
		d.close("Bucket")
	}
	d.close("Buckets")
	d.open("Owner")
	d.elem("ID", h.creds.AccessKeyID)
	d.elem("DisplayName", h.creds.AccessKeyID)
	d.close("Owner")
	d.close("ListAllMyBucketsResult")
	writeXML(w, http.StatusOK, d.String())
}

func s3StorageClass(c string) string {
	if c == runtime.R2StorageInfrequentAccess {
		return "STANDARD_IA"
	}
	return "STANDARD"
}

func (h *s3Handler) listObjects(w http.ResponseWriter, r *http.Request, b *Bucket, q url.Values) {
	v2 := q.Get("list-type") == "2"
	maxKeys := b.svc.limits.MaxListLimit
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			h.fail(w, r, newS3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range"))
			return
		}
		if n > b.svc.limits.MaxListLimit {
			h.fail(w, r, runtime.ErrR2InvalidMaxKeys)
			return
		}
		maxKeys = n
	}
	encode := func(s string) string { return s }
	if q.Get("encoding-type") == "url" {
		encode = func(s string) string { return uriEncode(s, true) }
	}
	opts := runtime.R2ListOptions{Limit: maxKeys, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), Include: []string{"httpMetadata"}}
	if v2 {
		opts.StartAfter = q.Get("start-after")
		opts.Cursor = q.Get("continuation-token")
	} else if m := q.Get("marker"); m != "" {
		if opts.Delimiter != "" && strings.HasSuffix(m, opts.Delimiter) {
			opts.Cursor = encodeCursor('p', m) // a common prefix: skip everything under it
		} else {
			opts.StartAfter = m
		}
	}
	res := &runtime.R2Objects{}
	if maxKeys > 0 {
		var err error
		if res, err = b.List(r.Context(), opts); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	d := newXMLDoc()
	d.b.WriteString(`<ListBucketResult xmlns="` + s3NS + `">`)
	d.elem("Name", b.name)
	d.elem("Prefix", encode(opts.Prefix))
	if v2 {
		d.elem("KeyCount", strconv.Itoa(len(res.Objects)+len(res.DelimitedPrefixes)))
		if v := q.Get("continuation-token"); v != "" {
			d.elem("ContinuationToken", v)
		}
		if res.Truncated {
			d.elem("NextContinuationToken", res.Cursor)
		}
		if opts.StartAfter != "" {
			d.elem("StartAfter", encode(opts.StartAfter))
		}
	} else {
		d.elem("Marker", encode(q.Get("marker")))
		if res.Truncated && opts.Delimiter != "" {
			next := ""
			if n := len(res.Objects); n > 0 {
				next = res.Objects[n-1].Key
			}
			if n := len(res.DelimitedPrefixes); n > 0 && res.DelimitedPrefixes[n-1] > next {
				next = res.DelimitedPrefixes[n-1]
			}
			d.elem("NextMarker", encode(next))
		}
	}
	d.elem("MaxKeys", strconv.Itoa(maxKeys))
	if opts.Delimiter != "" {
		d.elem("Delimiter", encode(opts.Delimiter))
	}
	if q.Get("encoding-type") == "url" {
		d.elem("EncodingType", "url")
	}
	d.elem("IsTruncated", strconv.FormatBool(res.Truncated))
	for _, o := range res.Objects {
		d.open("Contents")
		d.elem("Key", encode(o.Key))
		d.elem("LastModified", isoTime(o.Uploaded))
		d.elem("ETag", o.HTTPETag)
		d.elem("Size", strconv.FormatInt(o.Size, 10))
		d.elem("StorageClass", s3StorageClass(o.StorageClass))
		d.close("Contents")
	}
	for _, p := range res.DelimitedPrefixes {
		d.open("CommonPrefixes")
		d.elem("Prefix", encode(p))
		d.close("CommonPrefixes")
	}
	d.close("ListBucketResult")
	writeXML(w, http.StatusOK, d.String())
}

// readXML decodes a small XML request body (at most 2 MiB).
func (h *s3Handler) readXML(r *http.Request, sig *signed, v any) error {
	data, err := io.ReadAll(io.LimitReader(h.body(r, sig), 2<<20))
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return errMalformedXML
	}
	return nil
}

func (h *s3Handler) deleteObjects(w http.ResponseWriter, r *http.Request, b *Bucket, sig *signed) {
	var req struct {
		Quiet   bool `xml:"Quiet"`
		Objects []struct {
			Key string `xml:"Key"`
		} `xml:"Object"`
	}
	if err := h.readXML(r, sig, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(req.Objects) == 0 || len(req.Objects) > b.svc.limits.MaxDeleteKeys {
		h.fail(w, r, errMalformedXML)
		return
	}
	d := newXMLDoc()
	d.b.WriteString(`<DeleteResult xmlns="` + s3NS + `">`)
	for _, o := range req.Objects {
		if err := b.Delete(r.Context(), o.Key); err != nil {
			e, _ := toS3Error(err)
			d.open("Error")
			d.elem("Key", o.Key)
			d.elem("Code", e.Code)
			d.elem("Message", e.Message)
			d.close("Error")
			continue
		}
		if !req.Quiet {
			d.open("Deleted")
			d.elem("Key", o.Key)
			d.close("Deleted")
		}
	}
	d.close("DeleteResult")
	writeXML(w, http.StatusOK, d.String())
}

func (h *s3Handler) createUpload(w http.ResponseWriter, r *http.Request, b *Bucket, key string) {
	httpMeta, custom, class, e := metadataFromHeaders(r.Header)
	if e != nil {
		h.fail(w, r, e)
		return
	}
	up, err := b.CreateMultipartUpload(r.Context(), key, runtime.R2MultipartOptions{HTTPMetadata: httpMeta, CustomMetadata: custom, StorageClass: class})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := newXMLDoc()
	d.b.WriteString(`<InitiateMultipartUploadResult xmlns="` + s3NS + `">`)
	d.elem("Bucket", b.name)
	d.elem("Key", key)
	d.elem("UploadId", up.UploadID())
	d.close("InitiateMultipartUploadResult")
	writeXML(w, http.StatusOK, d.String())
}

func (h *s3Handler) uploadPart(w http.ResponseWriter, r *http.Request, b *Bucket, key string, q url.Values, sig *signed) {
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || n < 1 || n > b.svc.limits.MaxPartNumber {
		h.fail(w, r, newS3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"))
		return
	}
	if q.Get("uploadId") == "" {
		h.fail(w, r, runtime.ErrR2NoSuchUpload)
		return
	}
	p, err := b.ResumeMultipartUpload(key, q.Get("uploadId")).UploadPart(r.Context(), n, h.body(r, sig))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", `"`+p.ETag+`"`)
	w.WriteHeader(http.StatusOK)
}

func (h *s3Handler) completeUpload(w http.ResponseWriter, r *http.Request, b *Bucket, key string, q url.Values, sig *signed) {
	var req struct {
		Parts []struct {
			PartNumber int    `xml:"PartNumber"`
			ETag       string `xml:"ETag"`
		} `xml:"Part"`
	}
	if err := h.readXML(r, sig, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	parts := make([]runtime.R2UploadedPart, len(req.Parts))
	for i, p := range req.Parts {
		if i > 0 && p.PartNumber <= req.Parts[i-1].PartNumber {
			h.fail(w, r, errInvalidPartOrder)
			return
		}
		parts[i] = runtime.R2UploadedPart{PartNumber: p.PartNumber, ETag: strings.Trim(p.ETag, `"`)}
	}
	if len(parts) == 0 {
		h.fail(w, r, errMalformedXML)
		return
	}
	obj, err := b.ResumeMultipartUpload(key, q.Get("uploadId")).Complete(r.Context(), parts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := newXMLDoc()
	d.b.WriteString(`<CompleteMultipartUploadResult xmlns="` + s3NS + `">`)
	d.elem("Location", "/"+b.name+"/"+key)
	d.elem("Bucket", b.name)
	d.elem("Key", key)
	d.elem("ETag", obj.HTTPETag)
	d.close("CompleteMultipartUploadResult")
	writeXML(w, http.StatusOK, d.String())
}
