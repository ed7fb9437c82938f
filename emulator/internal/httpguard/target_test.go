package httpguard

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// piecesConn is a net.Conn whose reads return data in pieces of n bytes.
type piecesConn struct {
	net.Conn
	data []byte
	n    int
}

func (c *piecesConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(c.data), len(p))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// readThrough reads all of data through a conn, in reads of readSize
// bytes, the underlying connection delivering pieces of piece bytes.
func readThrough(t *testing.T, data string, piece, readSize int) string {
	t.Helper()
	c := &conn{Conn: &piecesConn{data: []byte(data), n: piece}}
	var out bytes.Buffer
	p := make([]byte, readSize)
	for range 1 << 20 {
		n, err := c.Read(p)
		out.Write(p[:n])
		if err == io.EOF {
			return out.String()
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	t.Fatal("no EOF")
	return ""
}

func TestListenerMarksOnlyBadEscapesInRequestTargets(t *testing.T) {
	fakeLine := "GET /%zz HTTP/1.1\r\n\r\n%zz" // 24 bytes of body that look like a request
	for _, tc := range []struct {
		name     string
		in, want string
	}{
		{"bad escapes in the path are marked, not in the query",
			"GET /p%zz/%4/%?q=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET /p\xffzz/\xff4/\xff?q=%zz HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"good escapes are left alone",
			"GET /ok%41%e2%82%AC%2F..%2Fc HTTP/1.1\r\n\r\n",
			"GET /ok%41%e2%82%AC%2F..%2Fc HTTP/1.1\r\n\r\n"},
		{"a Content-Length body is data, the next request is looked at",
			"PUT /a HTTP/1.1\r\nContent-Length: 24\r\n\r\n" + fakeLine + "GET /b%zz HTTP/1.0\r\n\r\n",
			"PUT /a HTTP/1.1\r\nContent-Length: 24\r\n\r\n" + fakeLine + "GET /b\xffzz HTTP/1.0\r\n\r\n"},
		{"chunked bodies and trailers are data",
			"POST /a HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n18;ext=1\r\n" + fakeLine + "\r\n3\r\n%zz\r\n0\r\nX-T: /%zz\r\n\r\nGET /%zz HTTP/1.1\r\n\r\n",
			"POST /a HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n18;ext=1\r\n" + fakeLine + "\r\n3\r\n%zz\r\n0\r\nX-T: /%zz\r\n\r\nGET /\xffzz HTTP/1.1\r\n\r\n"},
		{"after an upgrade nothing is touched",
			"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n" + fakeLine,
			"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n" + fakeLine},
		{"framing net/http refuses stops the looking",
			"PUT /a HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nGET /%zz HTTP/1.1\r\n\r\n",
			"PUT /a HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nGET /%zz HTTP/1.1\r\n\r\n"},
		{"HTTP/2 is passed through",
			"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nGET /%zz HTTP/1.1\r\n",
			"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nGET /%zz HTTP/1.1\r\n"},
		{"a connection that ends after a '%' keeps its bytes",
			"GET /a%z", "GET /a%z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, piece := range []int{1, 2, 3, 7, 4096} {
				for _, readSize := range []int{1, 5, 4096} {
					if got := readThrough(t, tc.in, piece, readSize); got != tc.want {
						t.Fatalf("pieces of %d, reads of %d:\n got %q\nwant %q", piece, readSize, got, tc.want)
					}
				}
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		target string
		want   bool
	}{
		{"/a/b", false},
		{"/a/", false},
		{"/", false},
		{"/values/a%2F..%2Fc", false}, // encoded: data, not segments
		{"/values/a%2F%2Fc", false},
		{"/a/%2e%2e/b", false}, // ServeMux does not redirect it either
		{"//x", true},
		{"/a//b", true},
		{"/a/../b", true},
		{"/a/./b", true},
		{"/a/..", true},
		{"/a\xffzz", true}, // marked by Listener
	} {
		r := httptest.NewRequest("GET", "http://x"+strings.ReplaceAll(tc.target, "\xff", "%25"), nil)
		r.RequestURI = tc.target
		if strings.Contains(tc.target, "\xff") {
			r.URL.RawPath, r.URL.Path = tc.target, tc.target
		}
		if got := Malformed(r); got != tc.want {
			t.Errorf("Malformed(%q) = %v, want %v", tc.target, got, tc.want)
		}
	}
}

// TestListenerServesMarkedRequests runs a real server on Listener: over one
// keep-alive connection, a body holding a request line comes through
// byte for byte, and the next request's bad escape reaches the handler
// marked (net/http alone answers it with a plain-text 400 and hangs up).
func TestListenerServesMarkedRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u := Unmarked(r)
		fmt.Fprintf(w, "bad=%v path=%q uri=%q body=%q", BadEscape(r), u.URL.Path, u.RequestURI, body)
	})}
	go srv.Serve(Listener(ln))
	t.Cleanup(func() { srv.Close() })

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := "GET /%zz HTTP/1.1\r\n\r\n"
	fmt.Fprintf(c, "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	fmt.Fprintf(c, "GET /k/%%zz?q=%%zz HTTP/1.1\r\nHost: x\r\n\r\n")
	fmt.Fprintf(c, "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(c)
	for _, want := range []string{
		`bad=false path="/a" uri="/a" body="GET /%zz HTTP/1.1\r\n\r\n"`,
		`bad=true path="/k/%zz" uri="/k/%zz?q=%zz" body=""`,
		`bad=false path="/after" uri="/after" body=""`,
	} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("want %s: %v", want, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != want {
			t.Errorf("got %d %s\nwant 200 %s", resp.StatusCode, got, want)
		}
	}
}
