package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func getStats(t *testing.T, h *harness, query string) (stats struct {
	Totals       Counters       `json:"totals"`
	HitRate      float64        `json:"hit_rate"`
	CacheEntries int            `json:"cache_entries"`
	Gateways     []gatewayStats `json:"gateways"`
	Logs         []*Log         `json:"logs"`
	Upstream     map[string]string
}) {
	t.Helper()
	r := mustDo(t, http.MethodGet, h.srv.URL+"/_edge/gateway"+query, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /_edge/gateway: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &stats); err != nil {
		t.Fatal(err)
	}
	return stats
}

func TestCountersAndLogRecords(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	url := h.url("cached", "openai", "chat/completions")
	body := chatBody("gpt-4o-mini", "count me")
	miss := mustPost(t, url, body, HeaderMetadata, `{"user":"u1","n":2,"ok":true}`)
	h.clock.Advance(time.Minute)
	hit := mustPost(t, url, body)
	mustPost(t, h.url("nocache", "openai", "chat/completions"), chatBody("gpt-4o-mini", "fail"))
	mustPost(t, h.url("auth", "openai", "chat/completions"), body)

	stats := getStats(t, h, "")
	// gpt-4o-mini at $0.15 / $0.60 per million tokens; the fake reports 10 in, 5 out.
	price := (10*0.15 + 5*0.60) / 1e6
	want := Counters{Requests: 4, Hits: 1, Misses: 2, Errors: 2, TokensIn: 10, TokensOut: 5, TokensSaved: 15, Cost: price, CostSaved: price}
	if diff := cmp.Diff(want, stats.Totals, cmpopts.EquateApprox(0, 1e-15)); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if stats.HitRate != 1.0/3 || stats.CacheEntries != 1 || stats.Upstream["openai"] != "builtin" {
		t.Errorf("hit_rate %v, cache_entries %d, upstream %v", stats.HitRate, stats.CacheEntries, stats.Upstream)
	}
	var ids []string
	for _, g := range stats.Gateways {
		ids = append(ids, g.ID)
	}
	if diff := cmp.Diff([]string{"anytok", "auth", "cached", "nocache"}, ids); diff != "" {
		t.Errorf("gateways (-want +got):\n%s", diff)
	}
	if g := stats.Gateways[2]; g.CacheTTL != 3600 || !g.Configured || g.Counters.Hits != 1 || g.Counters.Misses != 1 {
		t.Errorf("cached gateway = %+v", g)
	}
	if len(stats.Logs) != 4 || stats.Logs[0].StatusCode != http.StatusUnauthorized {
		t.Fatalf("logs (newest first) = %d records, first %+v", len(stats.Logs), stats.Logs[0])
	}

	// The MISS record, fetched by its cf-aig-log-id.
	r := mustDo(t, http.MethodGet, h.srv.URL+"/_edge/gateway/logs/"+miss.header.Get(HeaderLogID), "")
	var env struct {
		Success bool `json:"success"`
		Result  Log  `json:"result"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || !env.Success {
		t.Fatalf("%s: %v", r.body, err)
	}
	wantMiss := Log{
		ID: miss.header.Get(HeaderLogID), Provider: "openai", Model: "gpt-4o-mini", ModelType: "text-generation",
		Path: "chat/completions", RequestType: "provider", RequestContentType: "application/json",
		StatusCode: 200, ResponseContentType: "application/json", Success: true, Cached: false,
		TokensIn: 10, TokensOut: 5, Metadata: json.RawMessage(`{"user":"u1","n":2,"ok":true}`), Cost: price,
		RequestSize: len(body), RequestHead: body, RequestHeadComplete: true,
		ResponseSize: len(miss.body), ResponseHead: string(miss.body), ResponseHeadComplete: true,
		CreatedAt: testStart, Gateway: "cached",
	}
	if diff := cmp.Diff(wantMiss, env.Result, cmpopts.EquateApprox(0, 1e-15)); diff != "" {
		t.Errorf("MISS log record (-want +got):\n%s", diff)
	}
	hitLog, ok := h.svc.Log(hit.header.Get(HeaderLogID))
	if !ok || !hitLog.Cached || hitLog.Cost != 0 || hitLog.TokensIn != 10 || !hitLog.CreatedAt.Equal(testStart.Add(time.Minute)) || hitLog.Metadata != nil {
		t.Errorf("HIT log record = %+v", hitLog)
	}

	t.Run("unknown log id", func(t *testing.T) {
		r := mustDo(t, http.MethodGet, h.srv.URL+"/_edge/gateway/logs/NOPE", "")
		want := `{"success":false,"errors":[{"code":7003,"message":"log not found: NOPE"}],"messages":[],"result":null}`
		if r.status != 404 || strings.TrimSpace(string(r.body)) != want {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("filter and limit", func(t *testing.T) {
		s := getStats(t, h, "?gateway=cached&limit=1")
		if len(s.Gateways) != 1 || s.Gateways[0].ID != "cached" || len(s.Logs) != 1 || s.Logs[0].ID != hit.header.Get(HeaderLogID) {
			t.Errorf("filtered stats: %+v", s)
		}
	})
	t.Run("bad limit", func(t *testing.T) {
		r := mustDo(t, http.MethodGet, h.srv.URL+"/_edge/gateway?limit=-1", "")
		want := `{"success":false,"errors":[{"code":10001,"message":"limit must be a non-negative integer"}],"messages":[],"result":null}`
		if r.status != 400 || strings.TrimSpace(string(r.body)) != want {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

func TestCollectLogFalse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := mustPost(t, h.url("cached", "openai", "chat/completions"), chatBody("gpt-4o-mini", "quiet"), HeaderCollectLog, "false")
	wantStatus(t, r, http.StatusOK, CacheMiss)
	if _, ok := h.svc.Log(r.header.Get(HeaderLogID)); ok {
		t.Error("a record was kept despite cf-aig-collect-log: false")
	}
	if total, _ := h.svc.Counters(); total.Requests != 1 || total.Misses != 1 {
		t.Errorf("counters = %+v, want the request counted", total)
	}
}

func TestLogRingIsBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.Limits.LogRecords = 3 })
	var ids []string
	for i := range 5 {
		r := mustPost(t, h.url("nocache", "openai", "embeddings"), `{"model":"text-embedding-3-small","input":"`+strings.Repeat("a", i+1)+`"}`)
		ids = append(ids, r.header.Get(HeaderLogID))
	}
	var got []string
	for _, l := range h.svc.Logs(10, "") {
		got = append(got, l.ID)
	}
	if diff := cmp.Diff([]string{ids[4], ids[3], ids[2]}, got); diff != "" {
		t.Errorf("kept records (-want +got):\n%s", diff)
	}
	if total, _ := h.svc.Counters(); total.Requests != 5 {
		t.Errorf("requests = %d, want 5", total.Requests)
	}
}

func TestCustomCost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		name, header string
		want         float64
		custom       bool
	}{
		{"per token", `{"per_token_in":0.001,"per_token_out":0.002}`, 10*0.001 + 5*0.002, true},
		{"total", `{"total_cost":0.5}`, 0.5, true},
		{"malformed uses the table", `{"per_token_in":`, (10*0.15 + 5*0.60) / 1e6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustPost(t, h.url("nocache", "openai", "chat/completions"), chatBody("gpt-4o-mini", tc.name), HeaderCustomCost, tc.header)
			l, ok := h.svc.Log(r.header.Get(HeaderLogID))
			if !ok || l.CustomCost != tc.custom || !cmp.Equal(l.Cost, tc.want, cmpopts.EquateApprox(0, 1e-15)) {
				t.Errorf("cost %v custom %v, want %v %v", l.Cost, l.CustomCost, tc.want, tc.custom)
			}
		})
	}
}

func TestCostTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		model   string
		in, out int
		want    float64
	}{
		{"gpt-4o-mini", 1e6, 1e6, 0.75},
		{"gpt-4o-mini-2024-07-18", 1e6, 0, 0.15},
		{"gpt-4o", 1e6, 0, 2.50},
		{"@cf/baai/bge-base-en-v1.5", 1e6, 0, 0.067},
		{"unpriced-model", 1e6, 1e6, 0},
	} {
		t.Run(tc.model, func(t *testing.T) {
			if got := cost(DefaultPrices, tc.model, tc.in, tc.out); !cmp.Equal(got, tc.want, cmpopts.EquateApprox(0, 1e-12)) {
				t.Errorf("cost = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLogIDIsULID(t *testing.T) {
	t.Parallel()
	a := newLogID(testStart)
	b := newLogID(testStart.Add(time.Millisecond))
	if len(a) != 26 || strings.Trim(a, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != "" {
		t.Fatalf("id %q is not a ULID", a)
	}
	// The first 10 characters encode the millisecond time: ids sort by time.
	if a[:10] >= b[:10] {
		t.Errorf("time prefixes %q, %q do not sort", a[:10], b[:10])
	}
	// 2030-01-01T00:00:00Z = 1893456000000 ms.
	if a[:10] != "01Q3DCBD00" {
		t.Errorf("time prefix = %q, want 01Q3DCBD00", a[:10])
	}
}
