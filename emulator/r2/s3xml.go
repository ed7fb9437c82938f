package r2

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"jobmatch-edge/runtime"
)

// s3Error is an S3 error response: <Error><Code/><Message/>...</Error>.
type s3Error struct {
	Status  int
	Code    string
	Message string
	Extra   [][2]string // further elements, in order (SignatureDoesNotMatch's details)
	Header  http.Header // extra response headers
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

// clientFault marks s3Error as the client's fault when it surfaces from a
// body reader inside Put.
func (e *s3Error) clientFault() {}

func newS3Error(status int, code, message string) *s3Error {
	return &s3Error{Status: status, Code: code, Message: message}
}

// The S3 endpoint's errors (cloudflare-semantics.md §7.2).
var (
	errNoSuchBucket     = newS3Error(404, "NoSuchBucket", "The specified bucket does not exist.")
	errUnauthorized     = newS3Error(401, "Unauthorized", "Unauthorized")
	errUseSigV4         = newS3Error(400, "InvalidRequest", "Please use AWS4-HMAC-SHA256")
	errExpired          = newS3Error(403, "ExpiredRequest", "Request has expired")
	errMissingSHA256    = newS3Error(400, "InvalidRequest", "Missing x-amz-content-sha256")
	errSkewed           = newS3Error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	errSHA256Mismatch   = newS3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	errExpiresNaN       = newS3Error(400, "InvalidArgument", "X-Amz-Expires should be a number")
	errExpiresTooLong   = newS3Error(400, "InvalidArgument", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
	errNotImplemented   = newS3Error(501, "NotImplemented", "A header you provided implies functionality that is not implemented")
	errMethodNotAllowed = newS3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	errMalformedXML     = newS3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
	errInvalidDigest    = newS3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
	errBadDigest        = newS3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
	errInvalidPartOrder = newS3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	errIncompleteBody   = newS3Error(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	errBadChunk         = newS3Error(400, "InvalidRequest", "Invalid aws-chunked payload encoding")
	// S3's own answers for a target that does not parse, an empty bucket
	// name ("//key") and a body that stopped arriving.
	errInvalidURI        = newS3Error(400, "InvalidURI", "Couldn't parse the specified URI.")
	errInvalidBucketName = newS3Error(400, "InvalidBucketName", "The specified bucket is not valid.")
	errRequestTimeout    = newS3Error(400, "RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")
)

// sigMismatchMessage is SignatureDoesNotMatch's text.
const sigMismatchMessage = "The request signature we calculated does not match the signature you provided. Check your secret access key and signing method."

// s3Codes maps R2's binding codes to the S3 error they are on the S3 API.
var s3Codes = map[int]struct {
	code   string
	status int
}{
	runtime.CodeR2Internal:           {"InternalError", 500},
	runtime.CodeR2NoSuchKey:          {"NoSuchKey", 404},
	runtime.CodeR2EntityTooSmall:     {"EntityTooSmall", 400},
	runtime.CodeR2MetadataTooLarge:   {"MetadataTooLarge", 400},
	runtime.CodeR2InvalidObjectName:  {"InvalidObjectName", 400},
	runtime.CodeR2InvalidMaxKeys:     {"InvalidMaxKeys", 400},
	runtime.CodeR2NoSuchUpload:       {"NoSuchUpload", 404},
	runtime.CodeR2InvalidPart:        {"InvalidPart", 400},
	runtime.CodeR2InvalidMetadata:    {"InvalidArgument", 400},
	runtime.CodeR2PreconditionFailed: {"PreconditionFailed", 412},
	runtime.CodeR2BadDigest:          {"BadDigest", 400},
	runtime.CodeR2InvalidRange:       {"InvalidRange", 416},
	runtime.CodeR2BadUpload:          {"InvalidPart", 400},
	runtime.CodeR2EntityTooLarge:     {"EntityTooLarge", 400},
}

// toS3Error maps any error to an S3 error; ok is false for unexpected
// (internal) errors, which the caller logs.
func toS3Error(err error) (e *s3Error, ok bool) {
	if errors.As(err, &e) {
		return e, true
	}
	var r2e *runtime.R2Error
	if errors.As(err, &r2e) {
		m, known := s3Codes[r2e.Code]
		if !known {
			m.code, m.status = "InternalError", 500
		}
		msg := r2e.Message
		if r2e.Code == runtime.CodeR2BadDigest {
			msg = errBadDigest.Message
		}
		return newS3Error(m.status, m.code, msg), r2e.Code != runtime.CodeR2Internal || r2e.Err == nil
	}
	var arg *runtime.R2ArgumentError
	if errors.As(err, &arg) {
		return newS3Error(400, "InvalidArgument", arg.Message), true
	}
	return newS3Error(500, "InternalError", runtime.ErrR2Internal.Message), false
}

// xmlEscape escapes text as R2 does: &, <, >, " and ' as named entities.
func xmlEscape(s string) string {
	if !strings.ContainsAny(s, `&<>"'`) && isPlainXML(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\r':
			b.WriteString("&#13;")
		default:
			if r < 0x20 && r != '\n' && r != '\t' {
				b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isPlainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' {
			return false
		}
	}
	return true
}

// xmlDoc builds an XML response body.
type xmlDoc struct{ b strings.Builder }

func newXMLDoc() *xmlDoc {
	d := &xmlDoc{}
	d.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	return d
}

func (d *xmlDoc) open(name string)  { d.b.WriteString("<" + name + ">") }
func (d *xmlDoc) close(name string) { d.b.WriteString("</" + name + ">") }
func (d *xmlDoc) elem(name, text string) {
	d.b.WriteString("<" + name + ">" + xmlEscape(text) + "</" + name + ">")
}
func (d *xmlDoc) String() string { return d.b.String() }

func (e *s3Error) body() string {
	d := newXMLDoc()
	d.open("Error")
	d.elem("Code", e.Code)
	d.elem("Message", e.Message)
	for _, x := range e.Extra {
		d.elem(x[0], x[1])
	}
	d.close("Error")
	return d.String()
}

// writeXML sends an XML body with status.
func writeXML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
