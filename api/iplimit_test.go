package api

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// limiterCheck counts one /api request from ip in l, as the global limiter
// does, and returns its answer.
func limiterCheck(t *testing.T, l *ipLimiter, now time.Time, ip string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/nope", nil)
	req.Header.Set("CF-Connecting-IP", ip)
	rec := httptest.NewRecorder()
	if err := l.check(echo.New().NewContext(req, rec), now, 100, time.Minute); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestIPLimiterMemoryBounded floods the limiter with distinct
// CF-Connecting-IP values: it never keeps more than maxIPRecords, drops
// records whose window has passed, keeps long values at a bounded size,
// and limits one IP as before.
func TestIPLimiterMemoryBounded(t *testing.T) {
	t.Parallel()
	l := newIPLimiter()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	req := httptest.NewRequest("GET", "/api/nope", nil)
	c := echo.New().NewContext(req, httptest.NewRecorder())
	for i := range 100000 {
		req.Header.Set("CF-Connecting-IP", "10."+strconv.Itoa(i>>16)+"."+strconv.Itoa(i>>8&255)+"."+strconv.Itoa(i&255))
		if err := l.check(c, now.Add(time.Duration(i)*time.Microsecond), 100, time.Minute); err != nil {
			t.Fatal(err)
		}
		if n := l.size(); i%1000 == 999 && n > maxIPRecords {
			t.Fatalf("after %d IPs: %d records, want at most %d", i+1, n, maxIPRecords)
		}
	}
	if n, h := l.size(), len(l.byExpiry); n != maxIPRecords || h != n {
		t.Fatalf("after the flood: %d records, %d in the expiry heap, want %d", n, h, maxIPRecords)
	}

	// Past every window, the next request drops them all.
	now = now.Add(time.Minute + time.Second)
	limiterCheck(t, l, now, "192.0.2.1")
	if n := l.size(); n != 1 {
		t.Fatalf("after the windows passed: %d records, want 1", n)
	}

	// One IP is limited exactly as before: 100 pass, the 101st gets the 429.
	for i := 1; i < 100; i++ {
		if r := limiterCheck(t, l, now, "192.0.2.1"); r.Header().Get("X-RateLimit-Remaining") != strconv.Itoa(99-i) {
			t.Fatalf("request %d: remaining %q", i+1, r.Header().Get("X-RateLimit-Remaining"))
		}
	}
	r := limiterCheck(t, l, now.Add(20*time.Second), "192.0.2.1")
	if want := `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 40 seconds.","statusCode":429}`; r.Code != 429 || r.Body.String() != want {
		t.Errorf("101st: %d %s\nwant 429 %s", r.Code, r.Body, want)
	}
	// At exactly 60 s the record is still there, and still full.
	if r := limiterCheck(t, l, now.Add(time.Minute), "192.0.2.1"); r.Code != 429 {
		t.Errorf("at 60 s: %d", r.Code)
	}
	if r := limiterCheck(t, l, now.Add(time.Minute+time.Millisecond), "192.0.2.1"); r.Code != 200 || r.Header().Get("X-RateLimit-Remaining") != "99" {
		t.Errorf("after 60 s: %d remaining %q", r.Code, r.Header().Get("X-RateLimit-Remaining"))
	}

	// Long header values are kept as a digest: distinct ones stay distinct.
	long := func(i int) string { return fmt.Sprintf("%d%s", i, strings.Repeat("x", 64<<10)) }
	later := now.Add(time.Hour)
	for i := range 1000 {
		limiterCheck(t, l, later, long(i))
	}
	limiterCheck(t, l, later, long(0))
	keyBytes := 0
	l.mu.Lock()
	for k, rec := range l.recs {
		keyBytes += len(k)
		if k == ipKey(long(0)) && rec.count != 2 {
			t.Errorf("long value counted %d times, want 2", rec.count)
		}
	}
	l.mu.Unlock()
	if n := l.size(); n != 1000 || keyBytes > 1000*(1+32) {
		t.Errorf("1000 long values: %d records, %d key bytes", n, keyBytes)
	}
}

// TestIPLimiterKeepsCallbackWindow: a record counted by the LinkedIn
// callback's 15-minute limiter is not dropped when the 60-second window of
// the global limiter passes.
func TestIPLimiterKeepsCallbackWindow(t *testing.T) {
	t.Parallel()
	l := newIPLimiter()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e := echo.New()
	for range 10 {
		req := httptest.NewRequest("GET", "/api/auth/linkedin/callback", nil)
		req.Header.Set("CF-Connecting-IP", "203.0.113.9")
		if err := l.check(e.NewContext(req, httptest.NewRecorder()), now, 10, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	limiterCheck(t, l, now.Add(2*time.Minute), "192.0.2.1") // sweeps
	req := httptest.NewRequest("GET", "/api/auth/linkedin/callback", nil)
	req.Header.Set("CF-Connecting-IP", "203.0.113.9")
	rec := httptest.NewRecorder()
	if err := l.check(e.NewContext(req, rec), now.Add(2*time.Minute), 10, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if want := `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 780 seconds.","statusCode":429}`; rec.Code != 429 || rec.Body.String() != want {
		t.Errorf("11th callback after 2 min: %d %s\nwant 429 %s", rec.Code, rec.Body, want)
	}
	limiterCheck(t, l, now.Add(15*time.Minute+time.Millisecond), "192.0.2.1")
	if n := l.size(); n != 1 {
		t.Errorf("after 15 min: %d records, want 1", n)
	}
}
