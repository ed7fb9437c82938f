package r2

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// testSigner is a small SigV4 client written for the tests, independently
// of the server's code: it encodes with url.QueryEscape and fixes up the
// differences, and builds everything from the outgoing request.
type testSigner struct {
	akid, secret, region string
}

var defaultSigner = testSigner{akid: DefaultAccessKeyID, secret: DefaultSecretAccessKey, region: "auto"}

func tEscape(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "%7E", "~")
	e = strings.ReplaceAll(e, "*", "%2A")
	return e
}

func tEscapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = tEscape(s)
	}
	return strings.Join(segs, "/")
}

func tHMAC(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, s)
	return m.Sum(nil)
}

func tHash(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func tQuery(q url.Values) string {
	var keys []string
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			out = append(out, tEscape(k)+"="+tEscape(v))
		}
	}
	return strings.Join(out, "&")
}

func (s testSigner) key(day string) []byte {
	k := tHMAC([]byte("AWS4"+s.secret), day)
	for _, p := range []string{s.region, "s3", "aws4_request"} {
		k = tHMAC(k, p)
	}
	return k
}

// sign adds header authentication to req, signing host, x-amz-date,
// x-amz-content-sha256 and any extra headers named.
func (s testSigner) sign(req *http.Request, now time.Time, payloadHash string, extra ...string) (seed string) {
	amz := now.UTC().Format("20060102T150405Z")
	day := amz[:8]
	req.Header.Set("X-Amz-Date", amz)
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	names := append([]string{"host", "x-amz-content-sha256", "x-amz-date"}, extra...)
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		v := req.Header.Get(n)
		if n == "host" {
			v = req.URL.Host
		}
		fmt.Fprintf(&ch, "%s:%s\n", n, strings.TrimSpace(v))
	}
	signedHeaders := strings.Join(names, ";")
	creq := strings.Join([]string{req.Method, req.URL.EscapedPath(), tQuery(req.URL.Query()), ch.String(), signedHeaders, payloadHash}, "\n")
	scope := day + "/" + s.region + "/s3/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amz + "\n" + scope + "\n" + tHash([]byte(creq))
	sig := hex.EncodeToString(tHMAC(s.key(day), sts))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", s.akid, scope, signedHeaders, sig))
	return sig
}

// presign builds a presigned URL (host signed, UNSIGNED-PAYLOAD).
func (s testSigner) presign(method, rawURL string, now time.Time, expires int) string {
	u, _ := url.Parse(rawURL)
	amz := now.UTC().Format("20060102T150405Z")
	q := u.Query()
	q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	q.Set("X-Amz-Credential", s.akid+"/"+amz[:8]+"/"+s.region+"/s3/aws4_request")
	q.Set("X-Amz-Date", amz)
	q.Set("X-Amz-Expires", fmt.Sprint(expires))
	q.Set("X-Amz-SignedHeaders", "host")
	creq := strings.Join([]string{method, u.EscapedPath(), tQuery(q), "host:" + u.Host + "\n", "host", "UNSIGNED-PAYLOAD"}, "\n")
	sts := "AWS4-HMAC-SHA256\n" + amz + "\n" + amz[:8] + "/" + s.region + "/s3/aws4_request\n" + tHash([]byte(creq))
	return u.Scheme + "://" + u.Host + u.EscapedPath() + "?" + tQuery(q) + "&X-Amz-Signature=" + hex.EncodeToString(tHMAC(s.key(amz[:8]), sts))
}

// chunkedBody encodes chunks as aws-chunked; with seed set each chunk is
// signed in the chain that starts at seed.
func (s testSigner) chunkedBody(chunks [][]byte, now time.Time, seed string, trailer string) []byte {
	var b bytes.Buffer
	amz := now.UTC().Format("20060102T150405Z")
	scope := amz[:8] + "/" + s.region + "/s3/aws4_request"
	prev := seed
	for _, c := range append(chunks, nil) {
		if seed == "" {
			fmt.Fprintf(&b, "%x\r\n", len(c))
		} else {
			sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amz + "\n" + scope + "\n" + prev + "\n" + tHash(nil) + "\n" + tHash(c)
			prev = hex.EncodeToString(tHMAC(s.key(amz[:8]), sts))
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(c), prev)
		}
		if len(c) > 0 {
			b.Write(c)
			b.WriteString("\r\n")
		}
	}
	b.WriteString(trailer)
	b.WriteString("\r\n")
	return b.Bytes()
}
