package d1

import (
	"context"
	"errors"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

var testStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

type testDB struct {
	*Database
	svc   *Service
	clock *runtime.FakeClock
}

// mustOpen opens a service on a temp dir with one database "main".
func mustOpen(t testing.TB, edit ...func(*Options)) *testDB {
	t.Helper()
	clock := runtime.NewFakeClock(testStart)
	o := Options{Dir: t.TempDir(), Clock: clock}
	for _, f := range edit {
		f(&o)
	}
	svc, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	db, err := svc.EnsureDatabase(Info{UUID: "00000000-0000-4000-8000-000000000001", Name: "main"})
	if err != nil {
		t.Fatalf("EnsureDatabase: %v", err)
	}
	return &testDB{Database: db, svc: svc, clock: clock}
}

// mustExec runs statements that must succeed.
func mustExec(t testing.TB, db runtime.D1Database, sqls ...string) {
	t.Helper()
	for _, s := range sqls {
		if _, err := db.Prepare(s).Run(context.Background()); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// errText is err's message, "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// wantErr checks err's exact message and that it is a *runtime.D1Error.
func wantErr(t testing.TB, err error, want string) {
	t.Helper()
	if got := errText(err); got != want {
		t.Fatalf("error = %q\nwant    %q", got, want)
	}
	if want != "" {
		var de *runtime.D1Error
		if !errors.As(err, &de) {
			t.Fatalf("error %T is not a *runtime.D1Error", err)
		}
	}
}

func mustCount(t testing.TB, db runtime.D1Database, table string) int64 {
	t.Helper()
	v, err := db.Prepare("SELECT count(*) AS n FROM "+table).FirstColumn(context.Background(), "n")
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return v.(int64)
}
