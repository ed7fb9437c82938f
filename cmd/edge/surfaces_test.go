package main

import (
	"strings"
	"testing"

	"jobmatch-edge/emulator/emulatortest"
)

// rawExchange is emulatortest.Exchange's status and body.
func rawExchange(t *testing.T, addr, request, body string) (int, string) {
	t.Helper()
	resp, data, _ := emulatortest.Exchange(t, addr, request, body)
	return resp.StatusCode, data
}

// TestServeWorkerAndS3AnswerMalformedRequestsInTheirWords: through a real
// `edge serve`, the JobMatch API answers paths the router cannot take
// (and a stalled body) in its own envelope, and the S3 listener answers a
// target that does not parse in S3's XML.
func TestServeWorkerAndS3AnswerMalformedRequestsInTheirWords(t *testing.T) {
	s := startServe(t, env(), "--state-dir", t.TempDir(), "--body-idle-timeout", "200ms")
	main := strings.TrimPrefix(s.URL, "http://")
	for _, tc := range []struct{ target, path string }{
		{"/api//x", "/api//x"},
		{"/api/a/../jobs", "/api/a/../jobs"},
		{"/api/%zz?limit=1", "/api/%zz"},
	} {
		status, body := rawExchange(t, main, "GET "+tc.target+" HTTP/1.1\r\nConnection: close", "")
		want := `{"code":"NOT_FOUND","message":"Route GET ` + tc.path + ` not found","statusCode":404}`
		if status != 404 || body != want {
			t.Errorf("GET %s = %d %s\nwant 404 %s", tc.target, status, body, want)
		}
	}
	token, _ := signUp(t, s.URL, "stalled@example.com", "stalled-password")
	status, body := rawExchange(t, main, "POST /api/jobs HTTP/1.1\r\nAuthorization: Bearer "+token+
		"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked", "5\r\n{\"a\":\r\n")
	if want := `{"code":"REQUEST_TIMEOUT","message":"Request timeout: the request body was not received in time","statusCode":408}` + "\n"; status != 408 || body != want {
		t.Errorf("stalled POST /api/jobs = %d %s\nwant 408 %s", status, body, want)
	}

	s3 := strings.TrimPrefix(s.s3URL(t), "http://")
	status, body = rawExchange(t, s3, "GET /jobmatch-ai-dev-avatars/%zz HTTP/1.1\r\nConnection: close", "")
	if want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>InvalidURI</Code><Message>Couldn&apos;t parse the specified URI.</Message></Error>"; status != 400 || body != want {
		t.Errorf("S3 GET /…/%%zz = %d %s\nwant 400 %s", status, body, want)
	}
}
