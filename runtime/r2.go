package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// R2Bucket is an R2 bucket binding (env.BUCKET in a Worker). Missing objects
// are not errors: Head and Get return nil. Failed operations return an
// *R2Error whose text is R2's "<method>: <message> (<code>)", or an
// *R2ArgumentError for what the Worker runtime rejects before any request
// (a Worker sees those as TypeError or RangeError).
type R2Bucket interface {
	// Head returns the object's metadata, or nil when key does not exist.
	Head(ctx context.Context, key string) (*R2Object, error)
	// Get returns the object with its body, or nil when key does not exist.
	// When o.OnlyIf fails the object comes back with a nil Body. The caller
	// closes a non-nil Body.
	Get(ctx context.Context, key string, o R2GetOptions) (*R2ObjectBody, error)
	// Put stores value under key and returns the new object. When o.OnlyIf
	// fails nothing is stored and Put returns nil, nil.
	Put(ctx context.Context, key string, value io.Reader, o R2PutOptions) (*R2Object, error)
	// Delete removes up to 1000 keys; missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// List returns objects in lexicographic (UTF-8 byte) order of key.
	List(ctx context.Context, o R2ListOptions) (*R2Objects, error)
	// CreateMultipartUpload starts a multipart upload for key.
	CreateMultipartUpload(ctx context.Context, key string, o R2MultipartOptions) (R2MultipartUpload, error)
	// ResumeMultipartUpload returns a handle on an existing upload. Like the
	// Workers API it checks nothing: a wrong id fails on first use.
	ResumeMultipartUpload(key, uploadID string) R2MultipartUpload
}

// R2Presigner is implemented by a bucket that can mint presigned URLs of
// its S3-compatible endpoint. A Worker's R2 binding has no such method (a
// Worker signs S3 requests itself, with its own access keys); edge's
// buckets offer it so the API can hand out real time-limited links.
type R2Presigner interface {
	// Presign returns a SigV4 query-signed URL for method (GET, HEAD, PUT
	// or DELETE) on key, valid for expires (1 s to 7 days).
	Presign(method, key string, expires time.Duration) (string, error)
}

// R2MultipartUpload is an unfinished multipart upload.
type R2MultipartUpload interface {
	Key() string
	UploadID() string
	// UploadPart stores part partNumber (1..10000), replacing an earlier
	// upload of the same number.
	UploadPart(ctx context.Context, partNumber int, value io.Reader) (R2UploadedPart, error)
	// Abort discards the upload and its parts.
	Abort(ctx context.Context) error
	// Complete assembles the listed parts, in part-number order, into the object.
	Complete(ctx context.Context, parts []R2UploadedPart) (*R2Object, error)
}

// R2UploadedPart identifies one uploaded part; Complete needs them all.
type R2UploadedPart struct {
	PartNumber int    `json:"partNumber"`
	ETag       string `json:"etag"`
}

// R2Object is an object's metadata, with the field names of the Workers API.
type R2Object struct {
	Key            string            `json:"key"`
	Version        string            `json:"version"`  // 32 hex characters, new on every write
	Size           int64             `json:"size"`     // bytes
	ETag           string            `json:"etag"`     // MD5 hex; multipart: md5(part md5s)-N
	HTTPETag       string            `json:"httpEtag"` // the etag in double quotes
	Uploaded       time.Time         `json:"uploaded"`
	HTTPMetadata   R2HTTPMetadata    `json:"httpMetadata"`
	CustomMetadata map[string]string `json:"customMetadata"`
	Range          *R2Range          `json:"range,omitempty"` // the range served, on Get
	Checksums      R2Checksums       `json:"checksums"`
	StorageClass   string            `json:"storageClass"` // "Standard" or "InfrequentAccess"
}

// WriteHTTPMetadata sets the headers httpMetadata describes (Content-Type,
// Content-Language, Content-Disposition, Content-Encoding, Cache-Control,
// Expires), as writeHttpMetadata does in a Worker.
func (o *R2Object) WriteHTTPMetadata(h http.Header) {
	m := o.HTTPMetadata
	for _, kv := range [...][2]string{
		{"Content-Type", m.ContentType}, {"Content-Language", m.ContentLanguage},
		{"Content-Disposition", m.ContentDisposition}, {"Content-Encoding", m.ContentEncoding},
		{"Cache-Control", m.CacheControl},
	} {
		if kv[1] != "" {
			h.Set(kv[0], kv[1])
		}
	}
	if !m.CacheExpiry.IsZero() {
		h.Set("Expires", m.CacheExpiry.UTC().Format(http.TimeFormat))
	}
}

// R2ObjectBody is an object with its content. Body is nil when a Get's
// onlyIf condition failed; otherwise the caller must close it.
type R2ObjectBody struct {
	R2Object
	Body io.ReadCloser `json:"-"`
}

// Bytes reads the whole body and closes it.
func (b *R2ObjectBody) Bytes() ([]byte, error) {
	if b.Body == nil {
		return nil, nil
	}
	defer b.Body.Close()
	return io.ReadAll(b.Body)
}

// Text reads the whole body as a string and closes it.
func (b *R2ObjectBody) Text() (string, error) {
	data, err := b.Bytes()
	return string(data), err
}

// R2HTTPMetadata are the HTTP headers stored with an object.
type R2HTTPMetadata struct {
	ContentType        string    `json:"contentType,omitempty"`
	ContentLanguage    string    `json:"contentLanguage,omitempty"`
	ContentDisposition string    `json:"contentDisposition,omitempty"`
	ContentEncoding    string    `json:"contentEncoding,omitempty"`
	CacheControl       string    `json:"cacheControl,omitempty"`
	CacheExpiry        time.Time `json:"cacheExpiry,omitzero"`
}

// R2Checksums are the hashes stored with an object, lower-case hex; empty
// when not stored. Single-part uploads always carry MD5.
type R2Checksums struct {
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	SHA384 string `json:"sha384,omitempty"`
	SHA512 string `json:"sha512,omitempty"`
}

// R2Range selects part of an object: {Offset, Length}, {Offset}, {Length}
// or {Suffix} (the last Suffix bytes). Nil fields are "not given".
type R2Range struct {
	Offset *int64 `json:"offset,omitempty"`
	Length *int64 `json:"length,omitempty"`
	Suffix *int64 `json:"suffix,omitempty"`
}

// R2Conditional is onlyIf. EtagMatches and EtagDoesNotMatch hold one etag
// without quotes, or "*"; with Header set they hold HTTP header syntax
// instead (quoted, comma-separated, W/ weak tags), as when a Worker passes a
// Headers object. Zero times are "not given". The RFC 7232 rules apply: a
// passing EtagMatches makes UploadedBefore ignored, a passing
// EtagDoesNotMatch makes UploadedAfter ignored; EtagMatches compares
// strongly, EtagDoesNotMatch weakly.
type R2Conditional struct {
	EtagMatches        string
	EtagDoesNotMatch   string
	UploadedBefore     time.Time // If-Unmodified-Since
	UploadedAfter      time.Time // If-Modified-Since
	SecondsGranularity bool      // compare times in whole seconds
	Header             bool      // etag fields are in HTTP header syntax
}

// IsZero reports whether no condition is set.
func (c *R2Conditional) IsZero() bool {
	return c == nil || (c.EtagMatches == "" && c.EtagDoesNotMatch == "" && c.UploadedBefore.IsZero() && c.UploadedAfter.IsZero())
}

// R2ConditionalFromHeaders reads If-Match, If-None-Match, If-Modified-Since
// and If-Unmodified-Since, as the Workers runtime does for a Headers onlyIf
// (second granularity). It returns nil when none is set. Unparseable dates
// are ignored, as RFC 7232 requires.
func R2ConditionalFromHeaders(h http.Header) *R2Conditional {
	c := &R2Conditional{
		EtagMatches: h.Get("If-Match"), EtagDoesNotMatch: h.Get("If-None-Match"),
		SecondsGranularity: true, Header: true,
	}
	if t, err := http.ParseTime(h.Get("If-Unmodified-Since")); err == nil {
		c.UploadedBefore = t
	}
	if t, err := http.ParseTime(h.Get("If-Modified-Since")); err == nil {
		c.UploadedAfter = t
	}
	if c.IsZero() {
		return nil
	}
	return c
}

// R2GetOptions are get's options.
type R2GetOptions struct {
	OnlyIf *R2Conditional
	Range  *R2Range
}

// R2PutOptions are put's options. At most one checksum may be given, in hex.
type R2PutOptions struct {
	OnlyIf         *R2Conditional
	HTTPMetadata   R2HTTPMetadata
	CustomMetadata map[string]string
	MD5            string
	SHA1           string
	SHA256         string
	SHA384         string
	SHA512         string
	StorageClass   string // "" means "Standard"
}

// R2MultipartOptions are createMultipartUpload's options.
type R2MultipartOptions struct {
	HTTPMetadata   R2HTTPMetadata
	CustomMetadata map[string]string
	StorageClass   string
}

// R2ListOptions are list's options. Include may name "httpMetadata" and
// "customMetadata"; without them listed objects carry neither.
type R2ListOptions struct {
	Limit      int // 0 means 1000, the maximum
	Prefix     string
	Cursor     string
	Delimiter  string
	StartAfter string
	Include    []string
}

// R2Objects is list's result. Cursor is set only when Truncated.
type R2Objects struct {
	Objects           []*R2Object `json:"objects"`
	Truncated         bool        `json:"truncated"`
	Cursor            string      `json:"cursor,omitempty"`
	DelimitedPrefixes []string    `json:"delimitedPrefixes"`
}

// R2Error is an error from the R2 service, printed as R2 prints it:
// "<method>: <message> (<code>)". errors.Is matches on Code, so
// errors.Is(err, ErrR2NoSuchUpload) holds whatever the method.
type R2Error struct {
	Method  string // get, put, list, ...
	Status  int    // the HTTP status R2 answers with
	Code    int    // R2's v4 code, from codes.go
	Message string // R2's text, verbatim
	Err     error  // cause: logged, never shown
}

func (e *R2Error) Error() string {
	if e.Method == "" {
		return fmt.Sprintf("%s (%d)", e.Message, e.Code)
	}
	return fmt.Sprintf("%s: %s (%d)", e.Method, e.Message, e.Code)
}

// Is matches another *R2Error (or *Error) with the same code.
func (e *R2Error) Is(t error) bool {
	switch x := t.(type) {
	case *R2Error:
		return x.Code == e.Code
	case *Error:
		return x.Code == e.Code
	}
	return false
}

// Unwrap returns the cause.
func (e *R2Error) Unwrap() error { return e.Err }

// As lets errors.As find an *Error, so ErrorEnvelope maps an R2 failure to a
// v4 envelope with R2's code and message.
func (e *R2Error) As(target any) bool {
	if p, ok := target.(**Error); ok {
		*p = &Error{Status: e.Status, Code: e.Code, Message: e.Message, Err: e.Err}
		return true
	}
	return false
}

// In returns a copy of e reported by method.
func (e *R2Error) In(method string) *R2Error { c := *e; c.Method = method; return &c }

// With returns a copy of e carrying cause.
func (e *R2Error) With(cause error) *R2Error { c := *e; c.Err = cause; return &c }

// Withf returns a copy of e whose message is formatted from format and args.
func (e *R2Error) Withf(format string, args ...any) *R2Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// R2's errors, with the texts of cloudflare-semantics.md §7.1. Methods fill
// in Method with In.
var (
	ErrR2Internal          = &R2Error{Status: 500, Code: CodeR2Internal, Message: "We encountered an internal error. Please try again."}
	ErrR2NoSuchKey         = &R2Error{Status: 404, Code: CodeR2NoSuchKey, Message: "The specified key does not exist."}
	ErrR2EntityTooLarge    = &R2Error{Status: 400, Code: CodeR2EntityTooLarge, Message: "Your proposed upload exceeds the maximum allowed object size."}
	ErrR2EntityTooSmall    = &R2Error{Status: 400, Code: CodeR2EntityTooSmall, Message: "Your proposed upload is smaller than the minimum allowed object size."}
	ErrR2MetadataTooLarge  = &R2Error{Status: 400, Code: CodeR2MetadataTooLarge, Message: "Your metadata headers exceed the maximum allowed metadata size."}
	ErrR2InvalidObjectName = &R2Error{Status: 400, Code: CodeR2InvalidObjectName, Message: "The specified object name is not valid."}
	ErrR2InvalidMaxKeys    = &R2Error{Status: 400, Code: CodeR2InvalidMaxKeys, Message: "MaxKeys params must be positive integer <= 1000."}
	ErrR2NoSuchUpload      = &R2Error{Status: 404, Code: CodeR2NoSuchUpload, Message: "The specified multipart upload does not exist."}
	ErrR2InvalidPart       = &R2Error{Status: 400, Code: CodeR2InvalidPart, Message: "One or more of the specified parts could not be found."}
	ErrR2InvalidMetadata   = &R2Error{Status: 400, Code: CodeR2InvalidMetadata, Message: "Metadata missing or invalid"}
	ErrR2PreconditionFail  = &R2Error{Status: 412, Code: CodeR2PreconditionFailed, Message: "At least one of the pre-conditions you specified did not hold."}
	ErrR2BadDigest         = &R2Error{Status: 400, Code: CodeR2BadDigest, Message: "The MD5 checksum you specified did not match what we received."}
	ErrR2InvalidRange      = &R2Error{Status: 416, Code: CodeR2InvalidRange, Message: "The requested range is not satisfiable"}
	ErrR2BadUpload         = &R2Error{Status: 400, Code: CodeR2BadUpload, Message: "There was a problem with the multipart upload."}
)

// R2ArgumentError is an argument the Workers runtime rejects before calling
// R2; a Worker sees it as a TypeError or RangeError with this message.
type R2ArgumentError struct {
	Kind    string // "TypeError" or "RangeError"
	Message string
}

func (e *R2ArgumentError) Error() string { return e.Kind + ": " + e.Message }

// As maps the argument error to a 400 v4 error for REST surfaces.
func (e *R2ArgumentError) As(target any) bool {
	if p, ok := target.(**Error); ok {
		*p = &Error{Status: http.StatusBadRequest, Code: CodeValidation, Message: e.Message}
		return true
	}
	return false
}

// Is matches another *R2ArgumentError with the same kind and message.
func (e *R2ArgumentError) Is(t error) bool {
	x, ok := t.(*R2ArgumentError)
	return ok && x.Kind == e.Kind && x.Message == e.Message
}

// NewR2TypeError returns an *R2ArgumentError of kind TypeError.
func NewR2TypeError(format string, args ...any) *R2ArgumentError {
	return &R2ArgumentError{Kind: "TypeError", Message: fmt.Sprintf(format, args...)}
}

// NewR2RangeError returns an *R2ArgumentError of kind RangeError.
func NewR2RangeError(format string, args ...any) *R2ArgumentError {
	return &R2ArgumentError{Kind: "RangeError", Message: fmt.Sprintf(format, args...)}
}

// R2 storage classes.
const (
	R2StorageStandard         = "Standard"
	R2StorageInfrequentAccess = "InfrequentAccess"
)
