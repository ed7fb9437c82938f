package kv_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"jobmatch-edge/emulator/kv"
	"jobmatch-edge/runtime"
)

var start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	testNS      = "0123456789abcdef0123456789abcdef"
	testAccount = "280c58ea17d9fe3235c33bd0a52a256b"
)

// mustOpen opens a Service on a temp dir with a fake clock at start and one
// namespace, testNS.
func mustOpen(t testing.TB, opts ...func(*kv.Options)) (*kv.Service, *kv.Namespace, *runtime.FakeClock) {
	t.Helper()
	clock := runtime.NewFakeClock(start)
	o := kv.Options{Dir: t.TempDir(), Clock: clock}
	for _, f := range opts {
		f(&o)
	}
	svc, err := kv.Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ns, err := svc.EnsureNamespace(testNS, "TEST")
	if err != nil {
		t.Fatalf("EnsureNamespace: %v", err)
	}
	return svc, ns, clock
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks the error a Worker would see (Error()) and what the REST
// API would answer (status, code, message of the wrapped *runtime.Error).
type wantErr struct {
	text    string // err.Error(); "" for no error
	status  int
	code    int
	message string
}

func checkErr(t *testing.T, err error, want wantErr) {
	t.Helper()
	if want.text == "" {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("err = nil, want %q", want.text)
	}
	if err.Error() != want.text {
		t.Errorf("err.Error() = %q\n                 want %q", err.Error(), want.text)
	}
	var e *runtime.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v does not wrap *runtime.Error", err)
	}
	if e.Status != want.status || e.Code != want.code || e.Message != want.message {
		t.Errorf("REST error = %d %d %q, want %d %d %q", e.Status, e.Code, e.Message, want.status, want.code, want.message)
	}
}

// failedErr is a backend refusal: "KV <op> failed: <status> <message>".
func failedErr(op string, status int, message string) wantErr {
	return wantErr{text: "KV " + op + " failed: " + strconv.Itoa(status) + " " + message, status: status, code: 10001, message: message}
}

// typeErr is a check workerd makes itself: the message alone, 400 over REST.
func typeErr(message string) wantErr {
	return wantErr{text: message, status: 400, code: 10001, message: message}
}
