package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"jobmatch-edge/emulator/emulatortest"
)

// testApp is the API mounted on a whole emulator.
type testApp struct {
	*emulatortest.Emu
	app *App
}

func newTestApp(t testing.TB, opts ...emulatortest.Option) *testApp {
	t.Helper()
	emu := emulatortest.New(t, opts...)
	app, err := New(emu.Env, Options{})
	if err != nil {
		t.Fatal(err)
	}
	emu.Handle("/", app)
	return &testApp{Emu: emu, app: app}
}

// token returns an access token for a new local user and the user's id.
func (ta *testApp) token(t testing.TB, email string) (string, string) {
	t.Helper()
	s, err := ta.Auth.Token(email, "password123")
	if err != nil {
		t.Fatal(err)
	}
	return s.AccessToken, s.User.ID
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// do sends method path with optional JSON body and header pairs.
func (ta *testApp) do(t *testing.T, method, path string, body any, headers ...string) response {
	t.Helper()
	return ta.doWith(t, ta.Client, method, path, body, headers...)
}

// doWith is do through the given client.
func (ta *testApp) doWith(t *testing.T, client *http.Client, method, path string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, ta.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, data}
}

func auth(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
