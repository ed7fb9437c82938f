package api

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

const tooLongBodyAnswer = `{"code":"VALIDATION_ERROR","message":"Invalid request body","statusCode":400,"details":{"fields":{"":"Request body is larger than 10485760 bytes"}}}`

// postWhole sends a POST on its own connection the way many clients do,
// the whole body before reading the answer, and returns the answer.
func postWhole(url, path, token string, body []byte, chunked bool) (int, []byte, error) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetWriteBuffer(64 << 10) // a real network's small window
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n", path, token)
	if chunked {
		fmt.Fprintf(w, "Transfer-Encoding: chunked\r\n\r\n%x\r\n", len(body))
		_, _ = w.Write(body)
		_, _ = w.WriteString("\r\n0\r\n\r\n")
	} else {
		fmt.Fprintf(w, "Content-Length: %d\r\n\r\n", len(body))
		_, _ = w.Write(body)
	}
	if err := w.Flush(); err != nil {
		return 0, nil, fmt.Errorf("writing the body: %w", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	return res.StatusCode, got, err
}

// TestTooLongBodyAnswered sends 20 MiB to a JSON route through the real
// listener, whole before reading: every attempt (5 of each kind) gets the
// 400, never a connection reset.
func TestTooLongBodyAnswered(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t, emulatortestEnv("production"))
	tok, _ := ta.token(t, "ada@example.com")
	body := bytes.Repeat([]byte(" "), 20<<20)
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			for i := range 5 {
				status, got, err := postWhole(ta.URL, "/api/jobs", tok, body, chunked)
				if err != nil || status != 400 || string(got) != tooLongBodyAnswer {
					t.Fatalf("attempt %d: %d %s %v\nwant 400 %s", i, status, got, err, tooLongBodyAnswer)
				}
			}
		})
	}
}

// endless is a body without end that counts what was read from it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	e.n += int64(len(p))
	return len(p), nil
}

// TestTooLongBodyDiscardBound: a body declared longer than maxDiscardBody
// is not read at all, one of unknown length is read up to the bound; both
// are answered with Connection: close.
func TestTooLongBodyDiscardBound(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t, emulatortestEnv("production"))
	tok, _ := ta.token(t, "ada@example.com")
	for _, tc := range []struct {
		name     string
		length   int64
		wantRead int64
	}{
		{"declared", maxDiscardBody + 1, 0},
		{"chunked", -1, maxDiscardBody + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &endless{}
			req := httptest.NewRequest("POST", "/api/jobs", io.LimitReader(src, 1<<40))
			req.ContentLength = tc.length
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			ta.app.ServeHTTP(rec, req)
			if rec.Code != 400 || rec.Body.String() != tooLongBodyAnswer || rec.Header().Get("Connection") != "close" {
				t.Errorf("%d Connection=%q %s", rec.Code, rec.Header().Get("Connection"), rec.Body)
			}
			if src.n != tc.wantRead {
				t.Errorf("read %d bytes, want %d", src.n, tc.wantRead)
			}
		})
	}
}

// wantBodyRefused checks readJSONBody's 400 for a body it cannot use:
// E-std VALIDATION_ERROR with the reason under details.fields[""].
func wantBodyRefused(t *testing.T, r response, reason string) {
	t.Helper()
	want := `{"code":"VALIDATION_ERROR","message":"Invalid request body","statusCode":400,"details":{"fields":{"":` + strconv.Quote(reason) + `}}}`
	if got, _ := withoutStack(r.body); r.status != 400 || got != want {
		t.Errorf("got %d %s\nwant 400 %s", r.status, got, want)
	}
}
