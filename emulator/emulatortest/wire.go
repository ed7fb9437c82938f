package emulatortest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Exchange writes request (a request line and its headers, without the
// blank line that ends them) and body to addr on a new connection, as a
// client net/http would not be (malformed targets, stalled bodies), and
// reads the one response. closed tells whether the server hung up after
// it; a request without "Connection: close" waits for the server to
// decide. Reads give up after 10 s, so a regression fails, not hangs.
func Exchange(t testing.TB, addr, request, body string) (resp *http.Response, respBody string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s\r\nHost: %s\r\n\r\n%s", request, addr, body)
	br := bufio.NewReader(c)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%q: reading the body: %v", request, err)
	}
	_, err = br.ReadByte()
	var ne net.Error
	timedOut := err != nil && errors.As(err, &ne) && ne.Timeout()
	return resp, string(data), err != nil && !timedOut
}

// CheckV4Error fails t unless a REST answer of status, header and body is
// a Cloudflare v4 failure the client is to blame for: a 4xx status with a
// JSON body {"success":false,"errors":[{code,message}],"messages":[],
// "result":null} whose one error has a code of 1000 or more and a message.
// Fuzz targets use it to say "bad input gets an envelope, never a 500".
func CheckV4Error(t testing.TB, status int, header http.Header, body []byte) {
	t.Helper()
	if status < 400 || status >= 500 {
		t.Fatalf("status %d, want a 4xx; body %q", status, body)
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d with Content-Type %q, want application/json; body %q", status, ct, body)
	}
	var env struct {
		Success *bool `json:"success"`
		Errors  []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Messages []json.RawMessage `json:"messages"`
		Result   json.RawMessage   `json:"result"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("status %d: body is not JSON (%v): %q", status, err, body)
	}
	if env.Success == nil || *env.Success || len(env.Errors) != 1 || env.Errors[0].Code < 1000 ||
		env.Errors[0].Message == "" || env.Messages == nil || string(env.Result) != "null" {
		t.Fatalf("status %d: not a v4 failure envelope: %s", status, body)
	}
}
