package httpguard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
)

// mark is the byte Listener writes over the '%' of an invalid percent
// escape in a request target's path. net/http accepts it where it refuses
// "%zz", and it never occurs in UTF-8, so a target holding it was malformed
// as sent whether Listener or the client put it there.
const mark = 0xFF

// Listener wraps ln so that a request whose target path holds an invalid
// percent escape ("%zz", a lone "%") reaches the handler, with the '%'
// marked (see BadEscape), instead of net/http answering it with a
// plain-text 400 and closing the connection before any handler runs.
//
// It follows HTTP/1.1 framing on each connection (request line, headers,
// Content-Length and chunked bodies) so that only request lines are
// touched, and overwrites a single byte per bad escape, so the stream
// keeps its length. On anything it does not follow exactly (an upgrade, a
// framing header net/http would refuse, HTTP/2) it stops looking at that
// connection and passes its bytes through untouched.
func Listener(ln net.Listener) net.Listener { return &listener{ln} }

type listener struct{ net.Listener }

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c}, nil
}

// BadEscape reports whether r's target had an invalid percent escape in its
// path (marked by Listener).
func BadEscape(r *http.Request) bool { return strings.IndexByte(r.RequestURI, mark) >= 0 }

// Malformed reports whether r's path cannot be routed as sent: it had an
// invalid percent escape, or it is not in the clean form ServeMux routes
// (an empty segment as in "//x", or a "." or ".." segment), for which
// ServeMux would answer with a redirect to another path. Percent-encoded
// slashes and dots ("a%2F..%2Fb") are data, not segments: they are clean.
func Malformed(r *http.Request) bool {
	if BadEscape(r) {
		return true
	}
	p := r.URL.EscapedPath()
	return cleanPath(p) != p
}

// Shown is a request path or URI as the client sent it, for error
// messages: the marks of BadEscape turned back into '%'.
func Shown(s string) string { return strings.ReplaceAll(s, "\xff", "%") }

// Unmarked returns r, or when it carries marks a shallow copy whose URL
// and RequestURI read as the client sent them, for a handler that answers
// unroutable paths in its own words (a Worker's 404).
func Unmarked(r *http.Request) *http.Request {
	if !BadEscape(r) {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	raw, _, _ := strings.Cut(Shown(r.RequestURI), "?")
	u.Path, u.RawPath = Shown(u.Path), raw
	r2.URL = &u
	r2.RequestURI = Shown(r.RequestURI)
	return r2
}

// cleanPath is the canonical form ServeMux redirects to: rooted, with "."
// and ".." resolved and empty segments removed, a trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// conn is an accepted connection whose inbound bytes pass through a
// framer. Reads are buffered only while the framer needs to look ahead
// (the two bytes after a '%'), or when the caller asks for fewer bytes
// than one read brought in.
type conn struct {
	net.Conn
	f     framer
	buf   []byte // buf[:done] is decided, buf[done:] waits for more bytes
	done  int
	spare [4096]byte
}

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.buf) == 0 && c.f.passing(len(p)) {
		n, err := c.Conn.Read(p)
		c.f.skip(n)
		return n, err
	}
	for c.done == 0 {
		if len(c.buf) == cap(c.spare) {
			c.done = len(c.buf) // cannot happen (the framer holds back at most 2 bytes); never stall
			break
		}
		if len(c.buf) == 0 {
			c.buf = c.spare[:0]
		} else if &c.buf[0] != &c.spare[0] {
			c.buf = append(c.spare[:0], c.buf...)
		}
		n, err := c.Conn.Read(c.spare[len(c.buf):cap(c.spare)])
		c.buf = c.spare[:len(c.buf)+n]
		c.done = c.f.scan(c.buf)
		if err != nil {
			if errors.Is(err, io.EOF) && len(c.buf) > 0 {
				c.done = len(c.buf) // no more bytes will come: release what is held, as is
				c.f.state = stPass
				break
			}
			if c.done == 0 {
				return 0, err
			}
		}
	}
	n := copy(p, c.buf[:c.done])
	c.buf, c.done = c.buf[n:], c.done-n
	return n, nil
}

// CloseWrite half-closes the connection when the underlying one can, as
// net/http does before closing a connection whose request it refused.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// The framer's states.
const (
	stLineStart = iota // before a request line (blank lines are skipped)
	stMethod
	stTarget // the path part: bad escapes are marked here
	stQuery  // from '?' to the space before the version
	stVersion
	stHeader  // a header line
	stBody    // remain bytes of a Content-Length body
	stChunk   // a chunk-size line
	stData    // remain bytes of chunk data
	stDataEnd // the CRLF after chunk data
	stTrailer // a trailer line
	stPass    // not following this connection any more
)

// framer follows the HTTP/1.1 request framing of one connection.
type framer struct {
	state  int
	remain int64  // stBody, stData
	line   []byte // the current version, header, chunk-size or trailer line (capped)
	long   bool   // line went past the cap
	crlf   int    // stDataEnd: bytes of "\r\n" seen
	// The current request's framing headers.
	version       string
	contentLength int64 // -1 when absent
	clSeen        bool
	chunked       bool
	teSeen        bool
	upgrade       bool
	bad           bool // a framing header this framer does not follow
}

const maxLine = 256

// passing reports whether the next n bytes can go by without scanning.
func (f *framer) passing(n int) bool {
	return f.state == stPass || ((f.state == stBody || f.state == stData) && f.remain >= int64(n))
}

// skip accounts for n bytes let by unscanned.
func (f *framer) skip(n int) {
	if f.state == stBody || f.state == stData {
		f.remain -= int64(n)
		if f.remain == 0 {
			f.endOfPart()
		}
	}
}

func (f *framer) endOfPart() {
	if f.state == stBody {
		f.state = stLineStart
	} else {
		f.state, f.crlf = stDataEnd, 0
	}
}

// scan follows b, marking bad escapes in request targets in place, and
// returns how many bytes of b are decided; the rest (at most the two bytes
// after a '%') must be shown to scan again with more bytes after them.
func (f *framer) scan(b []byte) int {
	for i := 0; i < len(b); {
		switch f.state {
		case stPass:
			return len(b)
		case stBody, stData:
			n := min(f.remain, int64(len(b)-i))
			f.remain -= n
			i += int(n)
			if f.remain == 0 {
				f.endOfPart()
			}
			continue
		}
		c := b[i]
		switch f.state {
		case stLineStart:
			if c == '\r' || c == '\n' {
				break
			}
			if !isTokenChar(c) {
				f.state = stPass
				return len(b)
			}
			f.resetRequest()
			f.state = stMethod
		case stMethod:
			switch {
			case c == ' ':
				f.state = stTarget
			case !isTokenChar(c):
				f.state = stPass
				return len(b)
			}
		case stTarget, stQuery:
			switch c {
			case ' ':
				f.state, f.line, f.long = stVersion, f.line[:0], false
			case '\r', '\n':
				f.state = stPass // not a request line net/http takes
				return len(b)
			case '?':
				f.state = stQuery
			case '%':
				if f.state == stQuery {
					break
				}
				if len(b)-i < 3 {
					return i // decide once the two bytes after it are here
				}
				if !isHex(b[i+1]) || !isHex(b[i+2]) {
					b[i] = mark
				}
			}
		case stVersion:
			if c != '\n' {
				f.addLine(c)
				break
			}
			v := strings.TrimSuffix(string(f.line), "\r")
			if f.long || (v != "HTTP/1.1" && v != "HTTP/1.0") {
				f.state = stPass
				return len(b)
			}
			f.version = v
			f.state, f.line, f.long = stHeader, f.line[:0], false
		case stHeader, stTrailer, stChunk:
			if c != '\n' {
				f.addLine(c)
				break
			}
			if !f.endLine() {
				f.state = stPass
				return len(b)
			}
		case stDataEnd:
			if (f.crlf == 0 && c != '\r') || (f.crlf == 1 && c != '\n') {
				f.state = stPass
				return len(b)
			}
			f.crlf++
			if f.crlf == 2 {
				f.state, f.line, f.long = stChunk, f.line[:0], false
			}
		}
		i++
	}
	return len(b)
}

func (f *framer) addLine(c byte) {
	if len(f.line) < maxLine {
		f.line = append(f.line, c)
	} else {
		f.long = true
	}
}

func (f *framer) resetRequest() {
	f.contentLength, f.clSeen, f.chunked, f.teSeen, f.upgrade, f.bad = -1, false, false, false, false, false
}

// endLine handles a complete header, chunk-size or trailer line; false
// means the framing is not one this framer follows.
func (f *framer) endLine() bool {
	line := strings.TrimSuffix(string(f.line), "\r")
	long := f.long
	f.line, f.long = f.line[:0], false
	switch f.state {
	case stChunk:
		size, ok := parseChunkSize(line)
		if !ok || long {
			return false
		}
		if size == 0 {
			f.state = stTrailer
		} else {
			f.state, f.remain = stData, size
		}
		return true
	case stTrailer:
		if line == "" {
			f.state = stLineStart
		}
		return !long
	}
	// stHeader
	if line == "" {
		return f.startBody()
	}
	if line[0] == ' ' || line[0] == '\t' {
		return false // obsolete line folding
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return false
	}
	value = strings.Trim(value, " \t")
	switch strings.ToLower(name) {
	case "content-length":
		n, ok := parseDecimal(value)
		if long || !ok || (f.clSeen && n != f.contentLength) {
			f.bad = true
		}
		f.contentLength, f.clSeen = n, true
	case "transfer-encoding":
		if long || f.teSeen || !strings.EqualFold(value, "chunked") {
			f.bad = true
		}
		f.chunked, f.teSeen = true, true
	case "upgrade":
		f.upgrade = true
	}
	return true
}

// startBody moves past the blank line that ends the headers.
func (f *framer) startBody() bool {
	if f.bad || f.upgrade || (f.teSeen && (f.clSeen || f.version != "HTTP/1.1")) {
		return false
	}
	switch {
	case f.chunked:
		f.state = stChunk
	case f.contentLength > 0:
		f.state, f.remain = stBody, f.contentLength
	default:
		f.state = stLineStart
	}
	return true
}

func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// parseChunkSize reads "<hex>[;ext]" as net/http does.
func parseChunkSize(line string) (int64, bool) {
	hex, _, _ := strings.Cut(line, ";")
	hex = strings.TrimRight(hex, " \t")
	if hex == "" || len(hex) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(hex); i++ {
		d, ok := hexVal(hex[i])
		if !ok {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

func isHex(c byte) bool { _, ok := hexVal(c); return ok }

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isTokenChar reports whether c may appear in a method (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
