package r2

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"jobmatch-edge/runtime"
)

// SigV4 constants.
const (
	sigAlgorithm     = "AWS4-HMAC-SHA256"
	sigTermination   = "aws4_request"
	amzDateFormat    = "20060102T150405Z"
	scopeDateFormat  = "20060102"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// uriEncode is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ is
// %XX (upper-case hex); "/" is kept when keepSlash.
func uriEncode(s string, keepSlash bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// canonicalQuery encodes every parameter but skip, sorted by name then value.
func canonicalQuery(q url.Values, skip string) string {
	type kv struct{ k, v string }
	var all []kv
	for k, vs := range q {
		if k == skip {
			continue
		}
		for _, v := range vs {
			all = append(all, kv{uriEncode(k, false), uriEncode(v, false)})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].k != all[j].k {
			return all[i].k < all[j].k
		}
		return all[i].v < all[j].v
	})
	parts := make([]string, len(all))
	for i, p := range all {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// headerValue is a request header's canonical value: values trimmed, inner
// runs of spaces collapsed, joined by commas. Go moves Host and
// Transfer-Encoding out of Header; they are read back from the request.
func headerValue(r *http.Request, name string) (string, bool) {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "transfer-encoding":
		vals = r.TransferEncoding
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 && r.TransferEncoding == nil {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	if len(vals) == 0 {
		return "", false
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ","), true
}

// canonicalHeaders builds the canonical headers block for signedHeaders
// (lower-case, ';'-separated, as the client listed them).
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, h := range signed {
		v, _ := headerValue(r, h)
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	return b.String()
}

// canonicalURI is the request path as sent: SigV4 for S3 encodes the path
// once, and the client signed what it sent.
func canonicalURI(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

func buildCanonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + signedHeaders + "\n" + payloadHash
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func buildStringToSign(amzDate, scope, canonicalRequest string) string {
	return sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonicalRequest)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signingKey derives the SigV4 key for a date (yyyymmdd), region and service.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, sigTermination)
}

func signatureEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// regionAccepted reports whether a credential scope's region names R2's
// only region: "auto", or its aliases "" and "us-east-1".
func regionAccepted(region string) bool {
	return region == Region || region == "" || region == "us-east-1"
}

// PresignOptions tune Presign beyond its required arguments.
type PresignOptions struct {
	Region string // credential scope region; default "auto"
}

// Presign returns a presigned URL (SigV4 query authentication) for method
// (GET, HEAD, PUT or DELETE) on bucket/key at the S3 endpoint baseURL
// (e.g. "http://127.0.0.1:8789"), valid for expires (1 s to 7 days) from
// now. The payload is UNSIGNED-PAYLOAD and only the host header is signed,
// so a PUT may carry any body and headers.
func Presign(method, baseURL, bucket, key string, expires time.Duration, now time.Time, creds Credentials) (string, error) {
	return PresignWith(method, baseURL, bucket, key, expires, now, creds, PresignOptions{})
}

// PresignWith is Presign with options.
func PresignWith(method, baseURL, bucket, key string, expires time.Duration, now time.Time, creds Credentials, o PresignOptions) (string, error) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
	default:
		return "", fmt.Errorf("r2: presigned URLs support GET, HEAD, PUT and DELETE, not %s", method)
	}
	secs := int64(expires / time.Second)
	if expires%time.Second != 0 || secs < 1 || secs > MaxPresignExpires {
		return "", fmt.Errorf("r2: presigned URL lifetime must be a whole number of seconds from 1 to %d, not %v", MaxPresignExpires, expires)
	}
	if bucket == "" || key == "" {
		return "", errors.New("r2: presigning needs a bucket and a key")
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return "", errors.New("r2: presigning needs credentials")
	}
	base, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return "", fmt.Errorf("r2: bad S3 endpoint URL %q", baseURL)
	}
	region := o.Region
	if region == "" {
		region = Region
	}
	now = now.UTC()
	amzDate := now.Format(amzDateFormat)
	scope := now.Format(scopeDateFormat) + "/" + region + "/" + SigningService + "/" + sigTermination
	path := base.EscapedPath() + "/" + uriEncode(bucket, false) + "/" + uriEncode(key, true)
	q := url.Values{}
	q.Set("X-Amz-Algorithm", sigAlgorithm)
	q.Set("X-Amz-Credential", creds.AccessKeyID+"/"+scope)
	q.Set("X-Amz-Date", amzDate)
	q.Set("X-Amz-Expires", strconv.FormatInt(secs, 10))
	q.Set("X-Amz-SignedHeaders", "host")
	query := canonicalQuery(q, "")
	creq := buildCanonicalRequest(method, path, query, "host:"+base.Host+"\n", "host", unsignedPayload)
	sig := hex.EncodeToString(hmacSHA256(signingKey(creds.SecretAccessKey, now.Format(scopeDateFormat), region, SigningService), buildStringToSign(amzDate, scope, creq)))
	return base.Scheme + "://" + base.Host + path + "?" + query + "&X-Amz-Signature=" + sig, nil
}

// Presign mints a presigned URL with the service's credentials and clock.
func (s *Service) Presign(method, baseURL, bucket, key string, expires time.Duration) (string, error) {
	if s.Bucket(bucket) == nil {
		return "", fmt.Errorf("r2: no bucket named %q", bucket)
	}
	return Presign(method, baseURL, bucket, key, expires, s.clock.Now(), s.opts.Credentials)
}

// SetS3URL records the URL the S3 endpoint is reachable at (e.g.
// "http://127.0.0.1:8789"), which Bucket.Presign signs for.
func (s *Service) SetS3URL(u string) { s.s3URL.Store(&u) }

// S3URL is the URL SetS3URL recorded, or "".
func (s *Service) S3URL() string {
	if p := s.s3URL.Load(); p != nil {
		return *p
	}
	return ""
}

var _ runtime.R2Presigner = (*Bucket)(nil)

// Presign mints a presigned URL for key in this bucket on the service's S3
// endpoint (runtime.R2Presigner), with the service's credentials and clock.
func (b *Bucket) Presign(method, key string, expires time.Duration) (string, error) {
	base := b.svc.S3URL()
	if base == "" {
		return "", errors.New("r2: the S3 endpoint's URL is not known (Service.SetS3URL)")
	}
	return b.svc.Presign(method, base, b.name, key, expires)
}
