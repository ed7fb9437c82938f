package gateway

import (
	"net/http"
	"strconv"
	"testing"
)

func TestUniversalEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	url := h.srv.URL + "/v1/" + testAccount + "/cached"
	fallback := `[
		{"provider":"workers-ai","endpoint":"@cf/nope/model","headers":{"Authorization":"Bearer cf"},"query":{"prompt":"x"}},
		{"provider":"openai","endpoint":"chat/completions","headers":{"Authorization":"Bearer sk"},"query":` + chatBody("gpt-4o-mini", "universal") + `}
	]`
	for _, tc := range []struct {
		name, body string
		status     int
		step       string
		cache      string
		wantObject string
	}{
		{"first step fails, second answers", fallback, 200, "1", CacheMiss, "chat.completion"},
		{"repeat: the second step is a HIT", fallback, 200, "1", CacheHit, "chat.completion"},
		{"one step as an object", `{"provider":"openai","endpoint":"/embeddings","query":{"model":"text-embedding-3-small","input":"u"}}`, 200, "0", CacheMiss, "list"},
		{"every step fails: the last failure", `[{"provider":"workers-ai","endpoint":"@cf/nope/a","query":{"prompt":"x"}},{"provider":"openai","endpoint":"chat/completions","query":` + chatBody("gpt-4o-mini", "fail") + `}]`, 400, "1", CacheMiss, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustPost(t, url, tc.body)
			wantStatus(t, r, tc.status, tc.cache)
			if got := r.header.Get(HeaderStep); got != tc.step {
				t.Errorf("cf-aig-step = %q, want %q", got, tc.step)
			}
			if tc.wantObject != "" && r.json(t)["object"] != tc.wantObject {
				t.Errorf("body = %s", r.body)
			}
			if l, ok := h.svc.Log(r.header.Get(HeaderLogID)); !ok || l.RequestType != "universal" || strconv.Itoa(l.Step) != tc.step {
				t.Errorf("log record = %+v", l)
			}
		})
	}
	for _, tc := range []struct{ name, body string }{
		{"not JSON", `[`},
		{"empty array", `[]`},
		{"step without provider", `[{"endpoint":"chat/completions","query":{}}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustPost(t, url, tc.body)
			want := `{"success":false,"error":[{"code":10001,"message":"edge: the universal endpoint takes a JSON array of {provider, endpoint, headers, query} steps"}]}`
			if r.status != http.StatusBadRequest || string(r.body) != want {
				t.Errorf("%d %s, want 400 %s", r.status, r.body, want)
			}
		})
	}
	t.Run("authenticated gateway", func(t *testing.T) {
		r := mustPost(t, h.srv.URL+"/v1/"+testAccount+"/auth", fallback)
		if r.status != http.StatusUnauthorized || string(r.body) != `{"success":false,"error":[{"code":2009,"message":"Unauthorized"}]}` {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}
