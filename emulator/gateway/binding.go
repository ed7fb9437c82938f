package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"

	"jobmatch-edge/runtime"
)

// RunWorkersAI runs a Workers AI model through gateway o.ID, as
// env.AI.run(model, input, {gateway: {id, skipCache, cacheTtl, cacheKey}})
// does (cloudflare-semantics.md §4.1, §5.2): the gateway's cache, log
// record and counters apply, the call is the workers-ai provider's
// /{model}, and the log id (cf-aig-log-id, env.AI.aiGatewayLogId) is
// returned with the output. Errors are the provider's, as *runtime.Error.
//
// It is what emulator/ai's Service.SetGateway takes; the gateway's
// workers-ai provider calls the binding back without gateway options.
func (s *Service) RunWorkersAI(ctx context.Context, model string, input json.RawMessage, o runtime.AIGatewayOptions) (json.RawMessage, string, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if o.SkipCache {
		h.Set(HeaderSkipCache, "true")
	}
	if o.CacheTTL != 0 {
		h.Set(HeaderCacheTTL, strconv.Itoa(o.CacheTTL))
	}
	if o.CacheKey != "" {
		h.Set(HeaderCacheKey, o.CacheKey)
	}
	id := o.ID
	if id == "" {
		id = "default"
	}
	in := &inbound{
		account: s.opts.AccountID, gateway: id, provider: ProviderWorkersAI, endpoint: model,
		method: http.MethodPost, header: h, body: input, binding: true,
	}
	rec := httptest.NewRecorder()
	var early *runtime.Error
	if int64(len(input)) > s.opts.Limits.MaxRequestBody {
		early = errBodyTooLarge.Withf("request body larger than %d bytes", s.opts.Limits.MaxRequestBody)
	}
	s.serve(rec, ctx, in, early)
	logID := rec.Header().Get(HeaderLogID)
	var env struct {
		Success bool                `json:"success"`
		Result  json.RawMessage     `json:"result"`
		Errors  []runtime.ErrorItem `json:"errors"`
		Error   []runtime.ErrorItem `json:"error"` // the gateway's own envelope
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		return nil, logID, runtime.NewError(http.StatusBadGateway, runtime.CodeInternal,
			"edge: the gateway answered a binding run with a body that is not JSON").With(err)
	}
	if rec.Code >= 200 && rec.Code < 300 && env.Success {
		return env.Result, logID, nil
	}
	items := append(env.Errors, env.Error...)
	if len(items) == 0 {
		items = []runtime.ErrorItem{{Code: runtime.CodeInternal, Message: http.StatusText(rec.Code)}}
	}
	return nil, logID, runtime.NewError(rec.Code, items[0].Code, items[0].Message)
}
