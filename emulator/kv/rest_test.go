package kv_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

// The JobMatch development namespaces (fixtures/wrangler.toml).
const (
	rateLimits = "cd10223d61025a049ce9a30a19a0ed51"
	unknownNS  = "ffffffffffffffffffffffffffffffff"
)

// req is one REST call, relative to the account URL.
type req struct {
	method, path string
	body         []byte
	header       http.Header
}

func send(t *testing.T, emu *emulatortest.Emu, r req) (*http.Response, []byte) {
	t.Helper()
	hr, err := http.NewRequestWithContext(t.Context(), r.method, emu.AccountURL()+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		hr.Header[k] = v
	}
	if r.body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := emu.Client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// expectJSON sends r and compares status and the whole JSON body.
func expectJSON(t *testing.T, emu *emulatortest.Emu, r req, wantStatus int, wantBody string) []byte {
	t.Helper()
	resp, body := send(t, emu, r)
	if resp.StatusCode != wantStatus {
		t.Errorf("%s %s: status %d, want %d; body %s", r.method, r.path, resp.StatusCode, wantStatus, body)
	}
	var got, want any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s %s: body is not JSON: %s", r.method, r.path, body)
	}
	if err := json.Unmarshal([]byte(wantBody), &want); err != nil {
		t.Fatalf("bad want JSON %s: %v", wantBody, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %s body (-want +got):\n%s", r.method, r.path, diff)
	}
	return body
}

func okEnvelope(result string) string {
	return `{"success":true,"errors":[],"messages":[],"result":` + result + `}`
}

func errEnvelope(code int, message string) string {
	m, _ := json.Marshal(message)
	return fmt.Sprintf(`{"success":false,"errors":[{"code":%d,"message":%s}],"messages":[],"result":null}`, code, m)
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func multipartBody(t *testing.T, parts map[string]string) ([]byte, http.Header) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, v := range parts {
		if err := mw.WriteField(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}
}

const nsBase = "/storage/kv/namespaces"

func TestRESTNamespaces(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	all := `[
		{"id":"6fa55ddd5d15f78323ca6698cdf84d48","title":"AI_GATEWAY_CACHE","supports_url_encoding":true},
		{"id":"3cb4d509bd546d19e948e9b3772cd523","title":"EMBEDDINGS_CACHE","supports_url_encoding":true},
		{"id":"fce1eb25e2d09c828fc393daac48282f","title":"JOB_ANALYSIS_CACHE","supports_url_encoding":true},
		{"id":"198251d90aa756d4272315d72c9bf1f7","title":"OAUTH_STATES","supports_url_encoding":true},
		{"id":"cd10223d61025a049ce9a30a19a0ed51","title":"RATE_LIMITS","supports_url_encoding":true},
		{"id":"8b8cb59100b27f67d55eb2d0693530a4","title":"SESSIONS","supports_url_encoding":true}]`
	expectJSON(t, emu, req{method: "GET", path: nsBase + "?per_page=100"}, 200,
		`{"success":true,"errors":[],"messages":[],"result":`+all+`,
		  "result_info":{"page":1,"per_page":100,"count":6,"total_count":6,"total_pages":1}}`)
	expectJSON(t, emu, req{method: "GET", path: nsBase + "?per_page=4&page=2&order=id&direction=desc"}, 200,
		`{"success":true,"errors":[],"messages":[],"result":[
		  {"id":"3cb4d509bd546d19e948e9b3772cd523","title":"EMBEDDINGS_CACHE","supports_url_encoding":true},
		  {"id":"198251d90aa756d4272315d72c9bf1f7","title":"OAUTH_STATES","supports_url_encoding":true}],
		  "result_info":{"page":2,"per_page":4,"count":2,"total_count":6,"total_pages":2}}`)
	expectJSON(t, emu, req{method: "GET", path: nsBase + "?page=3&per_page=4"}, 200,
		`{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"page":3,"per_page":4,"count":0,"total_count":6,"total_pages":2}}`)

	resp, body := send(t, emu, req{method: "POST", path: nsBase, body: jsonBody(map[string]string{"title": "Mine"})})
	var created struct{ Result struct{ ID string } }
	must(t, json.Unmarshal(body, &created))
	id := created.Result.ID
	if resp.StatusCode != 200 || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	expectJSON(t, emu, req{method: "GET", path: nsBase + "/" + id}, 200,
		okEnvelope(`{"id":"`+id+`","title":"Mine","supports_url_encoding":true}`))
	for _, tc := range []struct {
		name       string
		r          req
		wantStatus int
		wantBody   string
	}{
		{"create duplicate", req{method: "POST", path: nsBase, body: jsonBody(map[string]string{"title": "RATE_LIMITS"})}, 400,
			errEnvelope(10014, "a namespace with this account ID and title already exists")},
		{"create without title", req{method: "POST", path: nsBase, body: []byte(`{}`)}, 400,
			errEnvelope(10019, "request is missing a title definition")},
		{"create malformed", req{method: "POST", path: nsBase, body: []byte(`{"title":`)}, 400,
			errEnvelope(10001, "Malformed JSON in request body")},
		{"get", req{method: "GET", path: nsBase + "/" + id}, 200,
			okEnvelope(`{"id":"` + id + `","title":"Mine","supports_url_encoding":true}`)},
		{"rename", req{method: "PUT", path: nsBase + "/" + id, body: jsonBody(map[string]string{"title": "Renamed"})}, 200,
			okEnvelope(`{"id":"` + id + `","title":"Renamed","supports_url_encoding":true}`)},
		{"rename to a taken title", req{method: "PUT", path: nsBase + "/" + id, body: jsonBody(map[string]string{"title": "SESSIONS"})}, 400,
			errEnvelope(10014, "a namespace with this account ID and title already exists")},
		{"rename unknown", req{method: "PUT", path: nsBase + "/" + unknownNS, body: jsonBody(map[string]string{"title": "X"})}, 404,
			errEnvelope(10013, "rename namespace: 'namespace not found'")},
		{"delete", req{method: "DELETE", path: nsBase + "/" + id}, 200, okEnvelope(`null`)},
		{"get deleted", req{method: "GET", path: nsBase + "/" + id}, 404, errEnvelope(10013, "get namespace: 'namespace not found'")},
		{"delete again", req{method: "DELETE", path: nsBase + "/" + id}, 404, errEnvelope(10013, "remove namespace: 'namespace not found'")},
		{"malformed id", req{method: "GET", path: nsBase + "/not-an-id"}, 404,
			errEnvelope(7003, "Could not route to /accounts/"+emulatortest.AccountID+"/storage/kv/namespaces/not-an-id, perhaps your object identifier is invalid?")},
		{"method without a route", req{method: "PATCH", path: nsBase + "/" + rateLimits}, 404,
			errEnvelope(7003, "Could not route to /accounts/"+emulatortest.AccountID+"/storage/kv/namespaces/"+rateLimits+", perhaps your object identifier is invalid?")},
	} {
		t.Run(tc.name, func(t *testing.T) { expectJSON(t, emu, tc.r, tc.wantStatus, tc.wantBody) })
	}
}

func TestRESTValues(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	now := emulatortest.Start.Unix()
	values := nsBase + "/" + rateLimits + "/values/"
	expectJSON(t, emu, req{method: "PUT", path: values + "greeting?expiration_ttl=120", body: []byte("hello"),
		header: http.Header{"Content-Type": {"application/octet-stream"}}}, 200, okEnvelope(`{}`))

	resp, body := send(t, emu, req{method: "GET", path: values + "greeting"})
	if resp.StatusCode != 200 || string(body) != "hello" ||
		resp.Header.Get("expiration") != fmt.Sprint(now+120) || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("GET value: %d %q expiration=%q type=%q", resp.StatusCode, body, resp.Header.Get("expiration"), resp.Header.Get("Content-Type"))
	}
	expectJSON(t, emu, req{method: "GET", path: nsBase + "/" + rateLimits + "/metadata/greeting"}, 200, okEnvelope(`null`))

	mp, hdr := multipartBody(t, map[string]string{"value": "with meta", "metadata": `{"plan": "pro", "n": [1, 2]}`})
	expectJSON(t, emu, req{method: "PUT", path: values + "user%3A1?expiration=" + fmt.Sprint(now+3600), body: mp, header: hdr}, 200, okEnvelope(`{}`))
	expectJSON(t, emu, req{method: "GET", path: nsBase + "/" + rateLimits + "/metadata/user:1"}, 200, okEnvelope(`{"plan":"pro","n":[1,2]}`))
	entry, err := emu.Env.KV["RATE_LIMITS"].Get(t.Context(), "user:1")
	must(t, err)
	if diff := cmp.Diff(runtime.KVEntry{Value: []byte("with meta"), Metadata: json.RawMessage(`{"plan":"pro","n":[1,2]}`), Expiration: now + 3600}, entry); diff != "" {
		t.Errorf("written over REST, read by the binding (-want +got):\n%s", diff)
	}

	expectJSON(t, emu, req{method: "DELETE", path: values + "greeting"}, 200, okEnvelope(`{}`))
	expectJSON(t, emu, req{method: "DELETE", path: values + "greeting"}, 200, okEnvelope(`{}`))
	expectJSON(t, emu, req{method: "GET", path: values + "greeting"}, 404, errEnvelope(10009, "get: 'key not found'"))
	expectJSON(t, emu, req{method: "GET", path: nsBase + "/" + rateLimits + "/metadata/greeting"}, 404, errEnvelope(10009, "get: 'key not found'"))

	// Expiry over REST follows the same clock.
	expectJSON(t, emu, req{method: "PUT", path: values + "short?expiration_ttl=60", body: []byte("x")}, 200, okEnvelope(`{}`))
	emu.Clock.Advance(59 * time.Second)
	if resp, _ := send(t, emu, req{method: "GET", path: values + "short"}); resp.StatusCode != 200 {
		t.Errorf("GET at 59 s: %d, want 200", resp.StatusCode)
	}
	emu.Clock.Advance(time.Second)
	expectJSON(t, emu, req{method: "GET", path: values + "short"}, 404, errEnvelope(10009, "get: 'key not found'"))

	// The latest expiration a put takes (2^53-1) is stored as given, not
	// rounded or clamped: the value header and the key list agree.
	const latest = "9007199254740991"
	expectJSON(t, emu, req{method: "PUT", path: values + "far?expiration=" + latest, body: []byte("x")}, 200, okEnvelope(`{}`))
	if resp, _ := send(t, emu, req{method: "GET", path: values + "far"}); resp.Header.Get("expiration") != latest {
		t.Errorf("GET far: expiration header %q, want %s", resp.Header.Get("expiration"), latest)
	}
	_, list := send(t, emu, req{method: "GET", path: nsBase + "/" + rateLimits + "/keys?prefix=far"})
	if !strings.Contains(string(list), `{"name":"far","expiration":`+latest+`}`) {
		t.Errorf("key list %s does not show expiration %s", list, latest)
	}
}

func TestRESTKeyEncoding(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	values := nsBase + "/" + rateLimits + "/values/"
	for _, tc := range []struct {
		name, path, key string
	}{
		{"raw slash", "a/b", "a/b"},
		{"encoded slash", "c%2Fd", "c/d"},
		{"encoded percent sign", "%252F", "%2F"},
		{"trailing slash", "dir%2F", "dir/"},
		{"space, question mark, unicode", url.PathEscape("日本 語?#"), "日本 語?#"},
		{"plus stays plus", "a+b", "a+b"},
		{"rate limit key", url.PathEscape("rate:user:u-1:GET:/api/jobs"), "rate:user:u-1:GET:/api/jobs"},
		{"encoded dot segments", "a%2F..%2Fc", "a/../c"},
		{"encoded double slash", "a%2F%2Fb", "a//b"},
		{"encoded dot dot segment", "x/%2E%2E/y", "x/../y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectJSON(t, emu, req{method: "PUT", path: values + tc.path, body: []byte(tc.name)}, 200, okEnvelope(`{}`))
			got, err := emu.Env.KV["RATE_LIMITS"].Get(t.Context(), tc.key)
			if err != nil || string(got.Value) != tc.name {
				t.Fatalf("binding Get(%q) = %q, %v", tc.key, got.Value, err)
			}
			resp, body := send(t, emu, req{method: "GET", path: values + tc.path})
			if resp.StatusCode != 200 || string(body) != tc.name {
				t.Errorf("GET %s = %d %q", tc.path, resp.StatusCode, body)
			}
		})
	}
}

func TestRESTValidation(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	now := emulatortest.Start.Unix()
	ns := nsBase + "/" + rateLimits
	values := ns + "/values/"
	noValue, noValueHdr := multipartBody(t, map[string]string{"metadata": `{}`})
	badMeta, badMetaHdr := multipartBody(t, map[string]string{"value": "v", "metadata": `{"a":`})
	bigMeta, bigMetaHdr := multipartBody(t, map[string]string{"value": "v", "metadata": `"` + strings.Repeat("m", 1023) + `"`})
	for _, tc := range []struct {
		name       string
		r          req
		wantStatus int
		wantBody   string
	}{
		{"ttl 30", req{method: "PUT", path: values + "k?expiration_ttl=30", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.")},
		{"ttl not a number", req{method: "PUT", path: values + "k?expiration_ttl=abc", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of abc. Please specify integer greater than 0.")},
		{"ttl 0", req{method: "PUT", path: values + "k?expiration_ttl=0", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of 0. Please specify integer greater than 0.")},
		{"ttl 60.5", req{method: "PUT", path: values + "k?expiration_ttl=60.5", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of 60.5. Please specify integer greater than 0.")},
		{"ttl 60s", req{method: "PUT", path: values + "k?expiration_ttl=60s", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of 60s. Please specify integer greater than 0.")},
		{"ttl past 2^53", req{method: "PUT", path: values + fmt.Sprintf("k?expiration_ttl=%d", 1<<53-now), body: []byte("v")}, 400,
			errEnvelope(10001, fmt.Sprintf("Invalid expiration_ttl of %d. Please specify an integer less than %d.", 1<<53-now, 1<<53-now))},
		{"ttl past int64", req{method: "PUT", path: values + "k?expiration_ttl=99999999999999999999", body: []byte("v")}, 400,
			errEnvelope(10001, fmt.Sprintf("Invalid expiration_ttl of 99999999999999999999. Please specify an integer less than %d.", 1<<53-now))},
		{"ttl far below int64", req{method: "PUT", path: values + "k?expiration_ttl=-99999999999999999999", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of -99999999999999999999. Please specify integer greater than 0.")},
		{"ttl wins over expiration", req{method: "PUT", path: values + "k?expiration_ttl=60&expiration=1", body: []byte("v")}, 200, okEnvelope(`{}`)},
		{"expiration now", req{method: "PUT", path: values + fmt.Sprintf("k?expiration=%d", now), body: []byte("v")}, 400,
			errEnvelope(10001, fmt.Sprintf("Invalid expiration of %d. Please specify integer greater than the current number of seconds since the UNIX epoch.", now))},
		{"expiration too soon", req{method: "PUT", path: values + fmt.Sprintf("k?expiration=%d", now+30), body: []byte("v")}, 400,
			errEnvelope(10001, fmt.Sprintf("Invalid expiration of %d. Expiration times must be at least 60 seconds in the future.", now+30))},
		{"expiration after 2038 is fine over REST", req{method: "PUT", path: values + "k?expiration=4102444800", body: []byte("v")}, 200, okEnvelope(`{}`)},
		{"expiration not an integer", req{method: "PUT", path: values + fmt.Sprintf("k?expiration=%d.5", now+3600), body: []byte("v")}, 400,
			errEnvelope(10001, fmt.Sprintf("Invalid expiration of %d.5. Please specify integer greater than the current number of seconds since the UNIX epoch.", now+3600))},
		{"expiration 2^53", req{method: "PUT", path: values + "k?expiration=9007199254740992", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration of 9007199254740992. Please specify an integer less than 9007199254740992.")},
		{"expiration past int64", req{method: "PUT", path: values + "k?expiration=99999999999999999999", body: []byte("v")}, 400,
			errEnvelope(10001, "Invalid expiration of 99999999999999999999. Please specify an integer less than 9007199254740992.")},
		{"bulk write ttl 60.5", req{method: "PUT", path: ns + "/bulk", body: []byte(`[{"key":"a","value":"v","expiration_ttl":60.5}]`)}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of 60.5. Please specify integer greater than 0.")},
		{"bulk write expiration 1e30", req{method: "PUT", path: ns + "/bulk", body: []byte(`[{"key":"a","value":"v","expiration":1e30}]`)}, 400,
			errEnvelope(10001, "Invalid expiration of 1e30. Please specify integer greater than the current number of seconds since the UNIX epoch.")},
		{"key of 513 bytes", req{method: "PUT", path: values + strings.Repeat("k", 513), body: []byte("v")}, 414,
			errEnvelope(10001, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
		{"get key of 513 bytes", req{method: "GET", path: values + strings.Repeat("k", 513)}, 414,
			errEnvelope(10001, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
		{"empty key", req{method: "PUT", path: values, body: []byte("v")}, 400, errEnvelope(10001, "Key name cannot be empty.")},
		{"dot key", req{method: "GET", path: values + "%2E"}, 400, errEnvelope(10001, `"." is not allowed as a key name.`)},
		{"dot dot key", req{method: "DELETE", path: values + "%2E%2E"}, 400, errEnvelope(10001, `".." is not allowed as a key name.`)},
		{"value over 25 MiB", req{method: "PUT", path: values + "k", body: make([]byte, 25<<20+1)}, 413,
			errEnvelope(10001, "Value length of 26214401 exceeds limit of 26214400.")},
		{"metadata over 1024 bytes", req{method: "PUT", path: values + "k", body: bigMeta, header: bigMetaHdr}, 413,
			errEnvelope(10001, "Metadata length of 1025 exceeds limit of 1024.")},
		{"metadata not JSON", req{method: "PUT", path: values + "k", body: badMeta, header: badMetaHdr}, 400,
			errEnvelope(10001, "Metadata is not valid JSON.")},
		{"multipart without value", req{method: "PUT", path: values + "k", body: noValue, header: noValueHdr}, 400,
			errEnvelope(10001, "Missing value part in multipart/form-data request")},
		{"list limit 1001", req{method: "GET", path: ns + "/keys?limit=1001"}, 400,
			errEnvelope(10001, "Invalid key_count_limit of 1001. Please specify an integer less than 1000.")},
		{"bulk get of 101 keys", req{method: "POST", path: ns + "/bulk/get", body: jsonBody(map[string]any{"keys": make([]string, 101)})}, 400,
			errEnvelope(10001, "You can request a maximum of 100 keys")},
		{"bulk get of no keys", req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":[]}`)}, 400,
			errEnvelope(10001, "You must request a minimum of 1 key")},
		{"bulk get arrayBuffer", req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":["k"],"type":"arrayBuffer"}`)}, 400,
			errEnvelope(10001, `"arrayBuffer" is not a valid type. Use "json" or "text"`)},
		{"bulk get empty key", req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":["k",""]}`)}, 400,
			errEnvelope(10001, "Key names must not be empty")},
		{"bulk write ttl 30", req{method: "PUT", path: ns + "/bulk", body: []byte(`[{"key":"a","value":"v"},{"key":"b","value":"v","expiration_ttl":30}]`)}, 400,
			errEnvelope(10001, "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.")},
		{"bulk write dot key", req{method: "PUT", path: ns + "/bulk", body: []byte(`[{"key":".","value":"v"}]`)}, 400,
			errEnvelope(10001, `Illegal key name ".". Please use a different name.`)},
		{"bulk write bad base64", req{method: "PUT", path: ns + "/bulk", body: []byte(`[{"key":"a","value":"***","base64":true}]`)}, 400,
			errEnvelope(10001, `Could not decode the base64 value of key "a"`)},
		{"bulk write of 10,001 pairs", req{method: "PUT", path: ns + "/bulk", body: bulkOf(10001)}, 413,
			errEnvelope(10001, "You can write a maximum of 10000 keys")},
		{"bulk delete of 10,001 keys", req{method: "POST", path: ns + "/bulk/delete", body: jsonBody(make([]string, 10001))}, 413,
			errEnvelope(10001, "You can delete a maximum of 10000 keys")},
		{"bulk delete empty key", req{method: "POST", path: ns + "/bulk/delete", body: []byte(`["a",""]`)}, 400,
			errEnvelope(10001, "Key names must not be empty")},
		{"bulk delete not an array", req{method: "POST", path: ns + "/bulk/delete", body: []byte(`{"a":1}`)}, 400,
			errEnvelope(10001, "Malformed JSON in request body")},
	} {
		t.Run(tc.name, func(t *testing.T) { expectJSON(t, emu, tc.r, tc.wantStatus, tc.wantBody) })
	}
	// Nothing of a refused bulk write was written.
	if _, err := emu.Env.KV["RATE_LIMITS"].Get(t.Context(), "a"); err == nil {
		t.Error("a refused bulk write stored its first pair")
	}
}

func bulkOf(n int) []byte {
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{"key": fmt.Sprintf("bulk-%05d", i), "value": "v"}
	}
	return jsonBody(items)
}

func TestRESTUnknownNamespace(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	ns := nsBase + "/" + unknownNS
	for _, tc := range []struct {
		name    string
		r       req
		message string
	}{
		{"get value", req{method: "GET", path: ns + "/values/k"}, "get: 'namespace not found'"},
		{"put value", req{method: "PUT", path: ns + "/values/k", body: []byte("v")}, "put: 'namespace not found'"},
		{"delete value", req{method: "DELETE", path: ns + "/values/k"}, "remove key: 'namespace not found'"},
		{"metadata", req{method: "GET", path: ns + "/metadata/k"}, "get: 'namespace not found'"},
		{"list keys", req{method: "GET", path: ns + "/keys"}, "list keys: 'namespace not found'"},
		{"bulk get", req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":["k"]}`)}, "bulk get keys: 'namespace not found'"},
		{"bulk write", req{method: "PUT", path: ns + "/bulk", body: []byte(`[]`)}, "put: 'namespace not found'"},
		{"bulk delete", req{method: "POST", path: ns + "/bulk/delete", body: []byte(`["k"]`)}, "remove key: 'namespace not found'"},
		{"legacy bulk delete", req{method: "DELETE", path: ns + "/bulk", body: []byte(`["k"]`)}, "remove key: 'namespace not found'"},
		{"get namespace", req{method: "GET", path: ns}, "get namespace: 'namespace not found'"},
	} {
		t.Run(tc.name, func(t *testing.T) { expectJSON(t, emu, tc.r, 404, errEnvelope(10013, tc.message)) })
	}
}

func TestRESTAccountAndToken(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t, emulatortest.WithOptions(func(o *emulator.Options) { o.APIToken = "s3cret" }))
	auth := http.Header{"Authorization": {"Bearer s3cret"}}
	other := "/client/v4/accounts/0000000000000000000000000000000f"
	for _, tc := range []struct {
		name       string
		url        string
		header     http.Header
		wantStatus int
		wantBody   string
	}{
		{"no token", emu.AccountURL() + nsBase, nil, 403, errEnvelope(10000, "Authentication error")},
		{"wrong token", emu.AccountURL() + nsBase, http.Header{"Authorization": {"Bearer nope"}}, 403, errEnvelope(10000, "Authentication error")},
		{"unknown account, values", emu.URL + other + nsBase + "/" + rateLimits + "/values/k", auth, 403, errEnvelope(10000, "Authentication error")},
		{"unknown account, keys", emu.URL + other + nsBase + "/" + rateLimits + "/keys", auth, 403, errEnvelope(10000, "Authentication error")},
		{"malformed account", emu.URL + "/client/v4/accounts/xyz" + nsBase, auth, 400,
			errEnvelope(7003, "Could not route to /accounts/xyz/storage/kv/namespaces, perhaps your object identifier is invalid?")},
		{"missing key with the token", emu.AccountURL() + nsBase + "/" + rateLimits + "/values/k", auth, 404, errEnvelope(10009, "get: 'key not found'")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hr, err := http.NewRequestWithContext(t.Context(), "GET", tc.url, nil)
			must(t, err)
			hr.Header = tc.header
			resp, err := emu.Client.Do(hr)
			must(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tc.wantStatus, body)
			}
			var got, want any
			must(t, json.Unmarshal(body, &got))
			must(t, json.Unmarshal([]byte(tc.wantBody), &want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRESTKeysAndBulk(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	now := emulatortest.Start.Unix()
	ns := nsBase + "/" + rateLimits
	items := []map[string]any{
		{"key": "user:b", "value": "plain"},
		{"key": "user:a", "value": base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}), "base64": true},
		{"key": "user:c", "value": `{"score":7}`, "expiration_ttl": 120, "metadata": map[string]any{"v": 2}},
		{"key": "user:d", "value": "abs", "expiration": now + 600},
	}
	for i := range 21 {
		items = append(items, map[string]any{"key": fmt.Sprintf("page:%02d", i), "value": "p"})
	}
	expectJSON(t, emu, req{method: "PUT", path: ns + "/bulk", body: jsonBody(items)}, 200,
		okEnvelope(`{"successful_key_count":25,"unsuccessful_keys":[]}`))
	got, err := emu.Env.KV["RATE_LIMITS"].Get(t.Context(), "user:a")
	must(t, err)
	if !bytes.Equal(got.Value, []byte{0, 1, 2, 255}) {
		t.Errorf("base64 pair stored as %v", got.Value)
	}

	expectJSON(t, emu, req{method: "GET", path: ns + "/keys?prefix=user:"}, 200,
		`{"success":true,"errors":[],"messages":[],"result":[
		  {"name":"user:a"},{"name":"user:b"},
		  {"name":"user:c","expiration":`+fmt.Sprint(now+120)+`,"metadata":{"v":2}},
		  {"name":"user:d","expiration":`+fmt.Sprint(now+600)+`}],
		  "result_info":{"count":4,"cursor":""}}`)
	// Paging with the REST cursor: 10 + 10 + 1.
	var names []string
	cursor := ""
	for page := 0; ; page++ {
		_, body := send(t, emu, req{method: "GET", path: ns + "/keys?prefix=page:&limit=10&cursor=" + url.QueryEscape(cursor)})
		var env struct {
			Result     []runtime.KVKey
			ResultInfo struct {
				Count  int
				Cursor string
			} `json:"result_info"`
		}
		must(t, json.Unmarshal(body, &env))
		if env.ResultInfo.Count != len(env.Result) {
			t.Errorf("result_info.count %d for %d keys", env.ResultInfo.Count, len(env.Result))
		}
		for _, k := range env.Result {
			names = append(names, k.Name)
		}
		if env.ResultInfo.Cursor == "" {
			if page != 2 {
				t.Errorf("finished after %d pages, want 3", page+1)
			}
			break
		}
		cursor = env.ResultInfo.Cursor
	}
	if len(names) != 21 || names[0] != "page:00" || names[20] != "page:20" {
		t.Errorf("paged keys = %v", names)
	}

	expectJSON(t, emu, req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":["user:b","missing","user:b","user:c"]}`)}, 200,
		okEnvelope(`{"values":{"user:b":"plain","missing":null,"user:c":"{\"score\":7}"}}`))
	expectJSON(t, emu, req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":["user:c","missing"],"type":"json","withMetadata":true}`)}, 200,
		okEnvelope(`{"values":{"user:c":{"value":{"score":7},"metadata":{"v":2},"expiration":`+fmt.Sprint(now+120)+`},"missing":null}}`))
	expectJSON(t, emu, req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":["user:b"],"withMetadata":true}`)}, 200,
		okEnvelope(`{"values":{"user:b":{"value":"plain","metadata":null}}}`))
	expectJSON(t, emu, req{method: "POST", path: ns + "/bulk/get", body: []byte(`{"keys":["user:b"],"type":"json"}`)}, 400,
		errEnvelope(10001, "At least one of the requested keys corresponds to a non-json value"))

	expectJSON(t, emu, req{method: "POST", path: ns + "/bulk/delete", body: []byte(`["user:a","user:b","never-there"]`)}, 200,
		okEnvelope(`{"successful_key_count":3,"unsuccessful_keys":[]}`))
	expectJSON(t, emu, req{method: "DELETE", path: ns + "/bulk", body: []byte(`["user:c"]`)}, 200,
		okEnvelope(`{"successful_key_count":1,"unsuccessful_keys":[]}`))
	expectJSON(t, emu, req{method: "GET", path: ns + "/keys?prefix=user:"}, 200,
		`{"success":true,"errors":[],"messages":[],"result":[{"name":"user:d","expiration":`+fmt.Sprint(now+600)+`}],"result_info":{"count":1,"cursor":""}}`)
}

func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	ctx := t.Context()
	now := emulatortest.Start.Unix()
	type pair struct {
		val  string
		meta string
		exp  int64
	}
	want := map[string]pair{}
	for i := range 1000 {
		k := fmt.Sprintf("restart/%04d", i)
		p := pair{val: strings.Repeat(fmt.Sprint(i), 1+i%50), meta: fmt.Sprintf(`{"i":%d}`, i)}
		o := runtime.KVPutOptions{Metadata: json.RawMessage(p.meta)}
		switch i % 3 {
		case 0:
			o.ExpirationTTL, p.exp = int64(60+i), now+int64(60+i)
		case 1:
			o.Expiration, p.exp = now+7200, now+7200
		}
		must(t, emu.Env.KV["EMBEDDINGS_CACHE"].Put(ctx, k, []byte(p.val), o))
		want[k] = p
	}
	big := bytes.Repeat([]byte("large "), 100_000)
	must(t, emu.Env.KV["SESSIONS"].Put(ctx, "big", big, runtime.KVPutOptions{}))
	created, err := emu.KV.CreateNamespace("Created at runtime")
	must(t, err)
	dir := emu.Dir
	emu.Close(t)

	emu = emulatortest.New(t, emulatortest.WithDir(dir))
	for k, p := range want {
		e, err := emu.Env.KV["EMBEDDINGS_CACHE"].Get(ctx, k)
		if err != nil {
			t.Fatalf("after restart, Get(%s): %v", k, err)
		}
		if diff := cmp.Diff(runtime.KVEntry{Value: []byte(p.val), Metadata: json.RawMessage(p.meta), Expiration: p.exp}, e); diff != "" {
			t.Fatalf("after restart, %s (-want +got):\n%s", k, diff)
		}
	}
	list, err := emu.Env.KV["EMBEDDINGS_CACHE"].List(ctx, runtime.KVListOptions{Prefix: "restart/"})
	must(t, err)
	if len(list.Keys) != 1000 || !list.ListComplete {
		t.Errorf("after restart, list has %d keys (complete %v)", len(list.Keys), list.ListComplete)
	}
	e, err := emu.Env.KV["SESSIONS"].Get(ctx, "big")
	if err != nil || !bytes.Equal(e.Value, big) {
		t.Errorf("large value after restart: %d bytes, %v", len(e.Value), err)
	}
	if ns, ok := emu.KV.Namespace(created.ID); !ok || ns.Info().Title != "Created at runtime" {
		t.Errorf("namespace created at runtime lost: %v", ok)
	}
	// Expiry still follows the clock after the restart.
	emu.Clock.Advance(61 * time.Second)
	if _, err := emu.Env.KV["EMBEDDINGS_CACHE"].Get(ctx, "restart/0000"); err == nil {
		t.Error("restart/0000 (ttl 60) still visible 61 s later")
	}
}
