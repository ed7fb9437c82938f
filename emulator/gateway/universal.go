package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"jobmatch-edge/runtime"
)

// HeaderStep names the step of a universal request that answered.
const HeaderStep = "cf-aig-step"

// universalStep is one entry of a universal-endpoint request
// (cloudflare-semantics.md §5.1).
type universalStep struct {
	Provider string            `json:"provider"`
	Endpoint string            `json:"endpoint"`
	Headers  map[string]string `json:"headers"`
	Query    json.RawMessage   `json:"query"`
}

var errBadUniversal = runtime.NewError(http.StatusBadRequest, runtime.CodeValidation,
	"edge: the universal endpoint takes a JSON array of {provider, endpoint, headers, query} steps")

// handleUniversal serves POST /v1/{account_id}/{gateway_id}: a JSON array
// of steps (or one step), tried in order until one answers 2xx. The answer
// carries cf-aig-step with the index of the step that gave it; when every
// step fails, the last failure is returned.
// Differs from Cloudflare: a step's answer is buffered (a streamed step is
// relayed whole), and step config (requestTimeout, maxAttempts, retryDelay,
// backoff) is ignored.
func (s *Service) handleUniversal(w http.ResponseWriter, r *http.Request) {
	account, gw := r.PathValue("account_id"), r.PathValue("gateway_id")
	base := &inbound{account: account, gateway: gw, method: http.MethodPost, header: r.Header, universal: true}
	body, early := s.readBody(w, r)
	if early != nil {
		s.serve(w, r.Context(), base, early)
		return
	}
	var err error
	var steps []universalStep
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var one universalStep
		err = json.Unmarshal(trimmed, &one)
		steps = []universalStep{one}
	} else {
		err = json.Unmarshal(trimmed, &steps)
	}
	if err == nil && len(steps) == 0 {
		err = io.ErrUnexpectedEOF
	}
	for _, st := range steps {
		if err == nil && (st.Provider == "" || st.Endpoint == "") {
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil {
		s.serve(w, r.Context(), base, errBadUniversal.With(err))
		return
	}
	var last *httptest.ResponseRecorder
	for i, st := range steps {
		// Step headers win over the request's (§5.1: provider-level over request-level).
		h := r.Header.Clone()
		for k, v := range st.Headers {
			h.Set(k, v)
		}
		in := &inbound{
			account: account, gateway: gw, provider: st.Provider,
			endpoint: strings.TrimPrefix(st.Endpoint, "/"), method: http.MethodPost,
			header: h, body: st.Query, universal: true, step: i,
		}
		rec := httptest.NewRecorder()
		s.serve(rec, r.Context(), in, nil)
		rec.Header().Set(HeaderStep, strconv.Itoa(i))
		last = rec
		if rec.Code >= 200 && rec.Code < 300 {
			break
		}
	}
	for k, vs := range last.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(last.Code)
	_, _ = w.Write(last.Body.Bytes())
}
