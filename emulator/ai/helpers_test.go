package ai

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

// testNow is the fake clock's time in these tests.
var testNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// mustBuiltin opens a service on the builtin backend with sequential
// request ids req-1, req-2, ...
func mustBuiltin(t testing.TB) *Service {
	t.Helper()
	n := 0
	s, err := Open(t.Context(), Options{
		Backend: BackendBuiltin, Clock: runtime.NewFakeClock(testNow),
		NewRequestID: func() string { n++; return "req-" + strconv.Itoa(n) },
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// wantError asserts err is a *runtime.Error with exactly this status, code and message.
func wantError(t *testing.T, err error, status, code int, message string) {
	t.Helper()
	var e *runtime.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *runtime.Error %d/%d %q", err, err, status, code, message)
	}
	if e.Status != status || e.Code != code || e.Message != message {
		t.Fatalf("err = %d/%d %q\nwant  %d/%d %q", e.Status, e.Code, e.Message, status, code, message)
	}
}

type embedOut struct {
	Shape   []int       `json:"shape"`
	Data    [][]float64 `json:"data"`
	Pooling string      `json:"pooling"`
}

type genOut struct {
	Response string `json:"response"`
	Usage    Usage  `json:"usage"`
}

func mustDecode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func asError(err error, target **runtime.Error) bool { return errors.As(err, target) }
