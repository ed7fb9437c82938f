package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

func TestRunWorkersAIThroughGateway(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.AccountID = testAccount })
	const model = "@cf/meta/llama-3.1-8b-instruct"
	input := json.RawMessage(`{"prompt":"binding"}`)
	ctx := t.Context()

	out, logID1, err := h.svc.RunWorkersAI(ctx, model, input, runtime.AIGatewayOptions{ID: "cached"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"response":"echo: binding","usage":{"completion_tokens":5,"prompt_tokens":10,"total_tokens":15}}`; compactJSON(t, string(out)) != want {
		t.Errorf("output = %s, want %s", out, want)
	}
	_, logID2, err := h.svc.RunWorkersAI(ctx, model, input, runtime.AIGatewayOptions{ID: "cached"})
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h.ai, 1) // the second run was a HIT
	l1, ok1 := h.svc.Log(logID1)
	l2, ok2 := h.svc.Log(logID2)
	if !ok1 || !ok2 || l1.Cached || !l2.Cached || l2.RequestType != "binding" || l2.Model != model {
		t.Fatalf("log records: %+v / %+v", l1, l2)
	}
	// The binding's run and the REST path share the cache (same key).
	r := mustPost(t, h.url("cached", "workers-ai", model), string(input))
	wantStatus(t, r, http.StatusOK, CacheHit)

	t.Run("options", func(t *testing.T) {
		in := json.RawMessage(`{"prompt":"binding options"}`)
		for _, step := range []struct {
			name     string
			o        runtime.AIGatewayOptions
			advance  time.Duration
			wantCall bool // the model ran (a MISS)
		}{
			{"cacheTtl on an uncached gateway stores", runtime.AIGatewayOptions{ID: "nocache", CacheTTL: 60}, 0, true},
			{"within the TTL: HIT", runtime.AIGatewayOptions{ID: "nocache", CacheTTL: 60}, 59 * time.Second, false},
			{"skipCache goes to the model", runtime.AIGatewayOptions{ID: "nocache", CacheTTL: 60, SkipCache: true}, 0, true},
			{"past the TTL: MISS", runtime.AIGatewayOptions{ID: "nocache", CacheTTL: 60}, 60 * time.Second, true},
			{"cacheKey replaces the key", runtime.AIGatewayOptions{ID: "nocache", CacheKey: "bk"}, 0, true},
			{"same cacheKey: HIT", runtime.AIGatewayOptions{ID: "nocache", CacheKey: "bk"}, time.Minute, false},
			{"no options on an uncached gateway", runtime.AIGatewayOptions{ID: "nocache"}, 0, true},
		} {
			before := h.ai.calls.Load()
			h.clock.Advance(step.advance)
			if _, _, err := h.svc.RunWorkersAI(ctx, model, in, step.o); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if called := h.ai.calls.Load() > before; called != step.wantCall {
				t.Errorf("%s: model ran = %v, want %v", step.name, called, step.wantCall)
			}
		}
	})
	t.Run("error", func(t *testing.T) {
		_, logID, err := h.svc.RunWorkersAI(ctx, model, json.RawMessage(`{"prompt":"fail"}`), runtime.AIGatewayOptions{ID: "cached"})
		want := runtime.NewError(400, runtime.CodeAIBadInput, "Bad input: fail on request")
		var ce *runtime.Error
		if !errors.As(err, &ce) || ce.Status != 400 || ce.Code != want.Code || ce.Message != want.Message || logID == "" {
			t.Errorf("err = %#v (log %q), want %v", err, logID, want)
		}
	})
	t.Run("authenticated gateway does not ask the binding for a token", func(t *testing.T) {
		if _, _, err := h.svc.RunWorkersAI(ctx, model, json.RawMessage(`{"prompt":"auth"}`), runtime.AIGatewayOptions{ID: "auth"}); err != nil {
			t.Errorf("err = %v", err)
		}
	})
}
