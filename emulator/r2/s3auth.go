package r2

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// signed is what a verified request was signed with; streaming payloads
// continue the signature chain from it.
type signed struct {
	key         []byte // signing key
	amzDate     string
	scope       string
	signature   string
	payloadHash string // x-amz-content-sha256 (header auth) or UNSIGNED-PAYLOAD
}

// presignParams are the query parameters of SigV4 query authentication, in
// the order a missing-parameter message lists them.
var presignParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"}

// authenticate checks SigV4 header or query authentication against the
// service's credentials and clock.
func (h *s3Handler) authenticate(r *http.Request, q url.Values) (*signed, *s3Error) {
	presigned := false
	for _, p := range presignParams {
		if q.Has(p) {
			presigned = true
		}
	}
	if presigned {
		return h.authQuery(r, q)
	}
	if r.Header.Get("Authorization") != "" {
		return h.authHeader(r, q)
	}
	// Differs from Cloudflare: anonymous requests get the unknown-credential
	// answer; real R2 buckets are never anonymous on the S3 API either.
	return nil, errUnauthorized
}

// credential is a parsed X-Amz-Credential.
type credential struct {
	accessKey, date, region, service string
}

func parseCredential(s string) (credential, *s3Error) {
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return credential{}, newS3Error(400, "InvalidArgument", fmt.Sprintf("Credential sigv4 header should have at least 5 slash-separated parts, not %d", len(parts)))
	}
	n := len(parts)
	c := credential{accessKey: strings.Join(parts[:n-4], "/"), date: parts[n-4], region: parts[n-3], service: parts[n-2]}
	if c.service != SigningService {
		return credential{}, newS3Error(400, "InvalidArgument", "Credential service should be s3, not "+c.service)
	}
	if parts[n-1] != sigTermination {
		return credential{}, newS3Error(400, "InvalidArgument", "Credential termination string should be aws4_request, not "+parts[n-1])
	}
	if !regionAccepted(c.region) {
		// Differs from Cloudflare: the text for a foreign region is ours.
		return credential{}, newS3Error(400, "AuthorizationHeaderMalformed", fmt.Sprintf("The authorization header is malformed; the region '%s' is wrong; expecting 'auto'", c.region))
	}
	return c, nil
}

func parseAmzDate(v string) (time.Time, *s3Error) {
	t, err := time.Parse(amzDateFormat, v)
	if err != nil {
		return time.Time{}, newS3Error(400, "InvalidArgument", fmt.Sprintf("Date provided in X-Amz-Date (%s) didn't parse successfully", v))
	}
	return t, nil
}

func checkScopeDate(c credential, amzDate string) *s3Error {
	if d := amzDate[:8]; c.date != d {
		return newS3Error(400, "InvalidArgument", fmt.Sprintf("Credential signed date %s does not match %s from 'x-amz-date' header", c.date, d))
	}
	return nil
}

// splitSignedHeaders reads a ';'-separated header list and says whether host is in it.
func splitSignedHeaders(s string) ([]string, bool) {
	list := strings.Split(strings.ToLower(s), ";")
	host := false
	for _, h := range list {
		host = host || h == "host"
	}
	return list, host
}

func (h *s3Handler) authQuery(r *http.Request, q url.Values) (*signed, *s3Error) {
	var missing []string
	for _, p := range presignParams {
		if q.Get(p) == "" {
			missing = append(missing, p)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return nil, newS3Error(400, "InvalidArgument", "Required search parameter "+missing[0]+" missing")
	default:
		return nil, newS3Error(400, "InvalidArgument", "Required search parameters "+strings.Join(missing, ",  ")+" missing")
	}
	if q.Get("X-Amz-Algorithm") != sigAlgorithm {
		return nil, errUseSigV4
	}
	cred, e := parseCredential(q.Get("X-Amz-Credential"))
	if e != nil {
		return nil, e
	}
	amzDate := q.Get("X-Amz-Date")
	date, e := parseAmzDate(amzDate)
	if e != nil {
		return nil, e
	}
	if e := checkScopeDate(cred, amzDate); e != nil {
		return nil, e
	}
	expires, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil {
		return nil, errExpiresNaN
	}
	if expires > MaxPresignExpires {
		return nil, errExpiresTooLong
	}
	if cred.accessKey != h.creds.AccessKeyID {
		return nil, errUnauthorized
	}
	signedList, hasHost := splitSignedHeaders(q.Get("X-Amz-SignedHeaders"))
	if !hasHost {
		return nil, errUnauthorized
	}
	now := h.svc.clock.Now()
	if expires < 1 || now.After(date.Add(time.Duration(expires)*time.Second)) {
		return nil, errExpired
	}
	if date.Sub(now) > MaxClockSkew {
		// Differs from Cloudflare: a URL signed in the future is refused as skewed.
		return nil, errSkewed
	}
	payload := unsignedPayload
	if v := q.Get("X-Amz-Content-Sha256"); v != "" {
		payload = v
	}
	creq := buildCanonicalRequest(r.Method, canonicalURI(r), canonicalQuery(q, "X-Amz-Signature"),
		canonicalHeaders(r, signedList), strings.Join(signedList, ";"), payload)
	return h.verify(cred, amzDate, creq, q.Get("X-Amz-Signature"), payload)
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseAuthorization(v string) (cred, signedHeaders, signature string, e *s3Error) {
	algo, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if algo != sigAlgorithm {
		return "", "", "", errUseSigV4
	}
	for _, f := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch k {
		case "Credential":
			cred = val
		case "SignedHeaders":
			signedHeaders = val
		case "Signature":
			signature = val
		}
	}
	if cred == "" || signedHeaders == "" || signature == "" {
		return "", "", "", newS3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
	}
	return cred, signedHeaders, signature, nil
}

func (h *s3Handler) authHeader(r *http.Request, q url.Values) (*signed, *s3Error) {
	credStr, signedHeaders, signature, e := parseAuthorization(r.Header.Get("Authorization"))
	if e != nil {
		return nil, e
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return nil, errMissingSHA256
	}
	cred, e := parseCredential(credStr)
	if e != nil {
		return nil, e
	}
	amzDate := r.Header.Get("X-Amz-Date")
	var date time.Time
	if amzDate != "" {
		if date, e = parseAmzDate(amzDate); e != nil {
			return nil, e
		}
	} else {
		t, err := http.ParseTime(r.Header.Get("Date"))
		if err != nil {
			return nil, newS3Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
		}
		date, amzDate = t.UTC(), t.UTC().Format(amzDateFormat)
	}
	if e := checkScopeDate(cred, amzDate); e != nil {
		return nil, e
	}
	if d := h.svc.clock.Now().Sub(date); d > MaxClockSkew || d < -MaxClockSkew {
		return nil, errSkewed
	}
	if cred.accessKey != h.creds.AccessKeyID {
		return nil, errUnauthorized
	}
	signedList, hasHost := splitSignedHeaders(signedHeaders)
	if !hasHost {
		return nil, errUnauthorized
	}
	if !validPayloadHash(payload) {
		return nil, newS3Error(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
	}
	creq := buildCanonicalRequest(r.Method, canonicalURI(r), canonicalQuery(q, ""),
		canonicalHeaders(r, signedList), strings.Join(signedList, ";"), payload)
	return h.verify(cred, amzDate, creq, signature, payload)
}

// Payload hash modes of x-amz-content-sha256.
const (
	streamingSigned         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailr = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

func validPayloadHash(v string) bool {
	switch v {
	case unsignedPayload, streamingSigned, streamingSignedTrailer, streamingUnsignedTrailr:
		return true
	}
	if len(v) != 64 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

func (h *s3Handler) verify(cred credential, amzDate, creq, provided, payload string) (*signed, *s3Error) {
	scope := cred.date + "/" + cred.region + "/" + cred.service + "/" + sigTermination
	sts := buildStringToSign(amzDate, scope, creq)
	key := signingKey(h.creds.SecretAccessKey, cred.date, cred.region, cred.service)
	want := hex.EncodeToString(hmacSHA256(key, sts))
	if !signatureEqual(want, strings.ToLower(provided)) {
		return nil, &s3Error{
			Status: 403, Code: "SignatureDoesNotMatch", Message: sigMismatchMessage,
			Extra: [][2]string{
				{"StringToSign", sts}, {"StringToSignBytes", spacedHex(sts)},
				{"CanonicalRequest", creq}, {"CanonicalRequestBytes", spacedHex(creq)},
				{"SignatureProvided", provided},
			},
		}
	}
	return &signed{key: key, amzDate: amzDate, scope: scope, signature: want, payloadHash: payload}, nil
}

// spacedHex is "41 57 53 ..." as S3 prints StringToSignBytes.
func spacedHex(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", s[i])
	}
	return b.String()
}
