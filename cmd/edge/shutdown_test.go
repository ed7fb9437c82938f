package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// devD1ID is the jobmatch-dev database of fixtures/wrangler.toml.
const devD1ID = "8140efd5-9912-4e31-981d-0566f1efe9dc"

// A SIGTERM while a D1 query that never ends runs: edge serve drains for
// drainTimeout, cancels the request (D1 interrupts the statement, the
// client gets D1's answer), closes the stores and exits well within
// drainTimeout + 5 s; the state dir then serves again.
func TestServeExitsWhileARunawayD1QueryRuns(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, env(), "--state-dir", dir, "--no-api")
	api := s.URL + "/client/v4/accounts/" + e2eAccount

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }}
	body := `{"sql":"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"}`
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
		"POST", api+"/d1/database/"+devD1ID+"/query", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		answered <- answer{status: resp.StatusCode, body: string(data), err: err}
	}()
	<-wrote
	// A second connection answered: the listener accepts connections in
	// order, so the server holds the first one, and Shutdown leaves a new
	// connection to its request.
	if resp := e2eDo(t, "GET", s.URL+"/_edge/health", nil); resp.status != http.StatusOK {
		t.Fatalf("health: %d", resp.status)
	}

	start := time.Now()
	stopped := make(chan struct{})
	go func() { s.stop(t); close(stopped) }() // cancels run's context, as SIGTERM does
	limit := drainTimeout + 5*time.Second
	select {
	case <-stopped:
	case <-time.After(limit):
		t.Fatalf("edge serve still running %v after the signal\nstderr:\n%s", limit, s.stderr)
	}
	t.Logf("exited %v after the signal", time.Since(start).Round(time.Millisecond))

	var a answer
	select {
	case a = <-answered:
	case <-time.After(limit):
		t.Fatal("the runaway query's client got no answer")
	}
	var reply struct {
		Success bool `json:"success"`
		Errors  []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if a.err != nil || json.Unmarshal([]byte(a.body), &reply) != nil || a.status != http.StatusBadRequest || reply.Success ||
		len(reply.Errors) != 1 || reply.Errors[0].Code != 7500 || reply.Errors[0].Message != "interrupted: SQLITE_INTERRUPT" {
		t.Errorf("runaway query's answer: %d %s (%v), want 400 with 7500 interrupted: SQLITE_INTERRUPT", a.status, a.body, a.err)
	}
	if !strings.Contains(s.stderr.String(), "stores closed cleanly") {
		t.Errorf("shutdown log:\n%s", s.stderr)
	}

	// The database is intact and the state dir free: a new server opens it.
	again := startServe(t, env(), "--state-dir", dir, "--no-api")
	rows := d1Query(t, again.URL+"/client/v4/accounts/"+e2eAccount, "PRAGMA quick_check")
	if len(rows) != 1 || rows[0]["quick_check"] != "ok" {
		t.Errorf("quick_check after restart: %v", rows)
	}
}
