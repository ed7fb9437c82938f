package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/emulator/gateway"
	"jobmatch-edge/runtime"
)

// jobmatchGateway is the gateway JobMatch's development env routes OpenAI
// through (AI_GATEWAY_SLUG), cached for an hour in fixtures/wrangler.toml.
const jobmatchGateway = "jobmatch-ai-gateway-dev"

// JobMatch's application-variant request (jobmatch-contract.md §4.6), cut short.
const variantRequest = `{"model":"gpt-4o-mini","temperature":0.7,"max_tokens":3000,"response_format":{"type":"json_object"},` +
	`"messages":[{"role":"system","content":"You are an expert resume writer. Return JSON."},` +
	`{"role":"user","content":"Job: Senior Go Engineer at Acme. Required skills: Go, Kubernetes, PostgreSQL. Candidate: Ada, 8 years of Go."}]}`

type e2eReply struct {
	status int
	header http.Header
	body   []byte
}

func e2ePost(t *testing.T, c *http.Client, url, body string, headers ...string) e2eReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-jobmatch")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return e2eReply{res.StatusCode, res.Header, b}
}

func gatewayURL(base, gw, provider, path string) string {
	return base + "/v1/" + emulatortest.AccountID + "/" + gw + "/" + provider + "/" + path
}

func wantReply(t *testing.T, r e2eReply, status int, cache string) {
	t.Helper()
	if r.status != status || r.header.Get(gateway.HeaderCacheStatus) != cache {
		t.Fatalf("status %d, cache %q; want %d, %q; body %s", r.status, r.header.Get(gateway.HeaderCacheStatus), status, cache, r.body)
	}
}

// TestEndToEnd runs the gateway inside a whole emulator (JobMatch's
// development config, the real Workers AI service on its builtin backend).
// The subtests share one emulator, in order.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	for _, st := range []struct {
		name string
		run  func(*testing.T, *emulatortest.Emu)
	}{
		{"openai chat MISS, HIT, expiry, counters", testOpenAIChat},
		{"openai embeddings", testBuiltinEmbeddings},
		{"workers-ai provider", testWorkersAIProvider},
		{"binding run with options.gateway", testBindingRunWithGatewayOption},
		{"Env.Fetch reaches the gateway at AI_GATEWAY_URL in-process", testFetchReachesGatewayInProcess},
	} {
		t.Run(st.name, func(t *testing.T) { st.run(t, emu) })
	}
}

func testOpenAIChat(t *testing.T, emu *emulatortest.Emu) {
	url := gatewayURL(emu.URL, jobmatchGateway, "openai", "chat/completions")

	miss := e2ePost(t, emu.Client, url, variantRequest)
	wantReply(t, miss, http.StatusOK, gateway.CacheMiss)
	var got struct {
		Object  string `json:"object"`
		Model   string `json:"model"`
		Created int64  `json:"created"`
		Choices []struct {
			Message struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(miss.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Object != "chat.completion" || got.Model != "gpt-4o-mini" || got.Created != emulatortest.Start.Unix() ||
		len(got.Choices) != 1 || got.Choices[0].Message.Role != "assistant" || got.Choices[0].Message.Content == "" {
		t.Fatalf("chat completion = %s", miss.body)
	}
	if !json.Valid([]byte(got.Choices[0].Message.Content)) {
		t.Errorf("json_object content is not JSON: %s", got.Choices[0].Message.Content)
	}
	u := got.Usage
	if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v", u)
	}

	hit := e2ePost(t, emu.Client, url, variantRequest)
	wantReply(t, hit, http.StatusOK, gateway.CacheHit)
	if !bytes.Equal(miss.body, hit.body) {
		t.Error("HIT body differs from the MISS body")
	}

	// One hour later (cache_ttl = 3600) the entry has expired.
	emu.Clock.Advance(time.Hour)
	wantReply(t, e2ePost(t, emu.Client, url, variantRequest), http.StatusOK, gateway.CacheMiss)

	// Counters at /_edge/gateway.
	res, err := emu.Client.Get(emu.URL + "/_edge/gateway?gateway=" + jobmatchGateway)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var stats struct {
		Gateways []struct {
			ID       string           `json:"id"`
			CacheTTL int              `json:"cache_ttl"`
			Counters gateway.Counters `json:"counters"`
		} `json:"gateways"`
	}
	if err := json.NewDecoder(res.Body).Decode(&stats); err != nil {
		t.Fatal(err)
	}
	if len(stats.Gateways) != 1 {
		t.Fatalf("gateways = %+v", stats.Gateways)
	}
	g := stats.Gateways[0]
	c := g.Counters
	if g.CacheTTL != 3600 || c.Requests != 3 || c.Hits != 1 || c.Misses != 2 ||
		c.TokensSaved != int64(u.TotalTokens) || c.CostSaved <= 0 || c.TokensIn != 2*int64(u.PromptTokens) {
		t.Errorf("stats = %+v (usage %+v)", g, u)
	}
}

func testBuiltinEmbeddings(t *testing.T, emu *emulatortest.Emu) {
	r := e2ePost(t, emu.Client, gatewayURL(emu.URL, jobmatchGateway, "openai", "embeddings"),
		`{"model":"text-embedding-3-small","input":["go engineer","kubernetes operator"]}`)
	wantReply(t, r, http.StatusOK, gateway.CacheMiss)
	var got struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || len(got.Data) != 2 {
		t.Fatalf("%s: %v", r.body, err)
	}
	for i, d := range got.Data {
		var norm float64
		for _, x := range d.Embedding {
			norm += x * x
		}
		if d.Index != i || len(d.Embedding) != 768 || norm < 0.99 || norm > 1.01 {
			t.Errorf("data[%d]: index %d, %d dims, |v|^2 = %v", i, d.Index, len(d.Embedding), norm)
		}
	}
}

func testWorkersAIProvider(t *testing.T, emu *emulatortest.Emu) {
	url := gatewayURL(emu.URL, jobmatchGateway, "workers-ai", "@cf/baai/bge-base-en-v1.5")
	r := e2ePost(t, emu.Client, url, `{"text":["hello world"]}`)
	wantReply(t, r, http.StatusOK, gateway.CacheMiss)
	var env struct {
		Success bool `json:"success"`
		Result  struct {
			Shape []int `json:"shape"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || !env.Success || len(env.Result.Shape) != 2 || env.Result.Shape[1] != 768 {
		t.Fatalf("%s: %v", r.body, err)
	}
	wantReply(t, e2ePost(t, emu.Client, url, `{"text":["hello world"]}`), http.StatusOK, gateway.CacheHit)

	// Workers AI's own validation error, in the v4 envelope, never cached.
	for range 2 {
		bad := e2ePost(t, emu.Client, url, `{"nope":1}`)
		wantReply(t, bad, http.StatusBadRequest, gateway.CacheMiss)
		var failed struct {
			Success bool                `json:"success"`
			Errors  []runtime.ErrorItem `json:"errors"`
		}
		if err := json.Unmarshal(bad.body, &failed); err != nil || failed.Success || len(failed.Errors) != 1 || failed.Errors[0].Code != runtime.CodeAIBadInput {
			t.Fatalf("%s: %v", bad.body, err)
		}
	}
}

func TestRestartKeepsCacheEndToEnd(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	url := gatewayURL(emu.URL, jobmatchGateway, "openai", "chat/completions")
	first := e2ePost(t, emu.Client, url, variantRequest)
	wantReply(t, first, http.StatusOK, gateway.CacheMiss)
	emu.Close(t)

	again := emulatortest.New(t, emulatortest.WithDir(emu.Dir))
	second := e2ePost(t, again.Client, gatewayURL(again.URL, jobmatchGateway, "openai", "chat/completions"), variantRequest)
	wantReply(t, second, http.StatusOK, gateway.CacheHit)
	if !bytes.Equal(first.body, second.body) {
		t.Error("after restart the HIT body differs")
	}
}

func testFetchReachesGatewayInProcess(t *testing.T, emu *emulatortest.Emu) {
	// What the API builds from AI_GATEWAY_URL (.dev.vars: this listener),
	// CLOUDFLARE_ACCOUNT_ID and AI_GATEWAY_SLUG; that origin is served
	// in-process, without a socket.
	origin := strings.TrimRight(emu.Env.Var("AI_GATEWAY_URL"), "/")
	if origin == "" {
		t.Fatal("AI_GATEWAY_URL is not set in the development env")
	}
	base := origin + "/v1/" + emu.Env.Var("CLOUDFLARE_ACCOUNT_ID") + "/" + emu.Env.Var("AI_GATEWAY_SLUG") + "/openai"
	for _, want := range []string{gateway.CacheMiss, gateway.CacheHit} {
		r := e2ePost(t, emu.Env.Fetch, base+"/chat/completions", strings.Replace(variantRequest, `"temperature":0.7`, `"temperature":0.3`, 1))
		wantReply(t, r, http.StatusOK, want)
	}
}

func testBindingRunWithGatewayOption(t *testing.T, emu *emulatortest.Emu) {
	if emu.Env.AI == nil {
		t.Fatal("no AI binding")
	}
	input := map[string]any{"text": []string{"binding through the gateway"}}
	var logIDs []string
	for range 2 {
		var info runtime.AIRunInfo
		if _, err := emu.Env.AI.Run(t.Context(), "@cf/baai/bge-base-en-v1.5", input,
			runtime.AIOptions{Gateway: &runtime.AIGatewayOptions{ID: jobmatchGateway}, Info: &info}); err != nil {
			t.Fatal(err)
		}
		logIDs = append(logIDs, info.GatewayLogID)
	}
	first, ok1 := emu.Gateway.Log(logIDs[0])
	second, ok2 := emu.Gateway.Log(logIDs[1])
	if !ok1 || !ok2 || first.Cached || !second.Cached || second.Provider != "workers-ai" {
		t.Fatalf("log records for %v: %+v / %+v", logIDs, first, second)
	}
}

func TestAuthenticatedGatewayFromConfig(t *testing.T) {
	t.Parallel()
	const toml = `
name = "w"
[ai]
binding = "AI"
[vars]
CF_AIG_TOKEN = "from-secret"
[edge.gateways.locked]
cache_ttl = 60
authenticated = true
[edge.gateways.explicit]
authenticated = true
token = "configured"
`
	emu := emulatortest.New(t, emulatortest.WithConfig(toml), emulatortest.WithEnv(""), emulatortest.WithInMemory(),
		emulatortest.WithOptions(func(o *emulator.Options) { o.AccountID = emulatortest.AccountID }))
	const unauthorized = `{"success":false,"error":[{"code":2009,"message":"Unauthorized"}]}`
	for _, tc := range []struct {
		name, gw, token string
		status          int
	}{
		{"missing", "locked", "", 401},
		{"token from CF_AIG_TOKEN", "locked", "Bearer from-secret", 200},
		{"wrong", "locked", "Bearer configured", 401},
		{"configured token", "explicit", "Bearer configured", 200},
		{"unconfigured gateway is open", "other", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.token != "" {
				hdr = []string{gateway.HeaderAuthorization, tc.token}
			}
			r := e2ePost(t, emu.Client, gatewayURL(emu.URL, tc.gw, "openai", "chat/completions"), variantRequest, hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 401 && string(r.body) != unauthorized {
				t.Errorf("body = %s, want %s", r.body, unauthorized)
			}
		})
	}
}
