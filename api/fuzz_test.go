package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// FuzzAPIBodies sends arbitrary bytes as the body of every POST, PUT and
// PATCH route of the API, authenticated: never a panic or a 5xx, and every
// answer is JSON; an error is E-std {code, message, statusCode, ...} or
// E-local {error, ...}. Route parameters take the id of a job, a skill or
// the user, or an unknown id. The per-user and IP limits are reset around
// each request so every body reaches its handler.
func FuzzAPIBodies(f *testing.F) {
	ta := newTestApp(f)
	tok, uid := ta.token(f, "fuzz@example.com")
	create := func(path, body, member string) string {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		ta.app.ServeHTTP(rec, req)
		var row map[string]json.RawMessage
		_ = json.Unmarshal(rec.Body.Bytes(), &row)
		if member != "" {
			_ = json.Unmarshal(row[member], &row)
		}
		var id string
		if json.Unmarshal(row["id"], &id) != nil || id == "" {
			f.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		return id
	}
	ids := []string{
		create("/api/jobs", `{"title":"Go Engineer","company":"Acme"}`, ""),
		create("/api/skills", `{"name":"Go"}`, "skill"),
		uid,
		"00000000-0000-4000-8000-000000000000",
	}
	type route struct{ method, path string }
	var routes []route
	for _, r := range ta.app.e.Routes() {
		if (r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH") && isAPIPath(r.Path) {
			routes = append(routes, route{r.Method, r.Path})
		}
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].path+routes[i].method < routes[j].path+routes[j].method })
	if len(routes) == 0 {
		f.Fatal("no routes")
	}
	param := regexp.MustCompile(`:[A-Za-z]+`)
	seeds := []string{
		``, `{}`, `[]`, `null`, `"x"`, `1e400`, `{"a":1e400}`, `{"title":"a","salaryMin":1e400}`, `{} trailing`, `{"title":`,
		`{"title":"Go Engineer","company":"Acme","salaryMin":1,"requiredSkills":["Go"]}`,
		`{"name":"Go","level":"expert"}`, `{"jobId":"x"}`, `{"isSaved":true,"isArchived":"no"}`,
		`{"first_name":"Ada","last_name":null,"title":"Engineer"}`,
		`{"title":"Eng","company":"Acme","start_date":"2020-01-01","is_current":true}`,
		`{"school":"MIT","degree":"BSc","gpa":4.0}`, `{"status":"submitted","variants":[{"id":"v1","name":"x"}]}`,
	}
	for i := range routes {
		for k, s := range seeds {
			f.Add(uint8(i), uint8(k), []byte(s)) // the ids in turn
		}
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, ri, ii uint8, body []byte) {
		rt := routes[int(ri)%len(routes)]
		path := param.ReplaceAllString(rt.path, ids[int(ii)%len(ids)])
		// Every request counts afresh: its own IP, and no per-user record.
		key := "rate:user:" + uid + ":" + rt.method + ":" + path
		if err := ta.Env.KV["RATE_LIMITS"].Delete(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(rt.method, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("CF-Connecting-IP", "fuzz-"+strconv.FormatInt(n.Add(1), 10))
		rec := httptest.NewRecorder()
		ta.app.ServeHTTP(rec, req)
		res := rec.Body.Bytes()
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, path, body, rec.Code, res)
		}
		if rec.Code == http.StatusNoContent || (rec.Code < 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json")) {
			return
		}
		if !json.Valid(res) {
			t.Fatalf("%s %s %q: %d, not JSON: %q", rt.method, path, body, rec.Code, res)
		}
		if rec.Code < 400 {
			return
		}
		var e struct {
			Code       *string `json:"code"`
			Message    *string `json:"message"`
			StatusCode *int    `json:"statusCode"`
			Error      *string `json:"error"`
		}
		_ = json.Unmarshal(res, &e)
		std := e.Code != nil && e.Message != nil && e.StatusCode != nil && *e.StatusCode == rec.Code
		if !std && e.Error == nil {
			t.Fatalf("%s %s %q: %d, not an error envelope: %s", rt.method, path, body, rec.Code, res)
		}
	})
}
