package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"jobmatch-edge/runtime"
)

// ErrUnauthorized is the answer of an authenticated gateway to a request
// without a valid cf-aig-authorization (cloudflare-semantics.md §5.4).
var ErrUnauthorized = runtime.NewError(http.StatusUnauthorized, runtime.CodeGatewayUnauthorized, "Unauthorized")

// writeGatewayError writes the AI Gateway's own error envelope, which names
// its array "error" (singular): {"success":false,"error":[{code,message}]}.
func writeGatewayError(w http.ResponseWriter, e *runtime.Error) {
	body, _ := json.Marshal(struct {
		Success bool                `json:"success"`
		Error   []runtime.ErrorItem `json:"error"`
	}{false, []runtime.ErrorItem{{Code: e.Code, Message: e.Message}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// Errors the gateway itself answers with besides ErrUnauthorized.
// Differs from Cloudflare: the real gateway's codes for these are not
// documented; these reuse the generic v4 codes of runtime/codes.go.
var (
	errUnknownProvider  = runtime.NewError(http.StatusBadRequest, runtime.CodeNoRoute, "")
	errBodyTooLarge     = runtime.NewError(http.StatusRequestEntityTooLarge, runtime.CodeValidation, "")
	errBadRequestBody   = runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "could not read request body")
	errUpstreamFailed   = runtime.NewError(http.StatusBadGateway, runtime.CodeInternal, "")
	errUpstreamTimedOut = runtime.NewError(http.StatusGatewayTimeout, runtime.CodeInternal, "")
)

// policy is what the cache does for one request.
type policy struct {
	ttl  time.Duration // 0: do not store
	skip bool          // do not read
	key  []byte
}

// cachePolicy applies §5.2: the gateway default TTL, cf-aig-cache-ttl
// (60 s to one month; a value out of bounds is ignored), cf-aig-skip-cache,
// and cf-aig-cache-key (5 minutes when the gateway does not cache), with
// the legacy header names.
func cachePolicy(h http.Header, gw Settings) (policy, string) {
	p := policy{ttl: gw.CacheTTL}
	var note string
	if v := headerValue(h, HeaderCacheTTL, HeaderLegacyCacheTTL); v != "" {
		secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		d := time.Duration(secs) * time.Second
		if err == nil && d >= MinCacheTTL && d <= MaxCacheTTL {
			p.ttl = d
		} else {
			// Differs from Cloudflare: no error is documented for a TTL out
			// of bounds; the header is ignored and the gateway default applies.
			note = fmt.Sprintf("cf-aig-cache-ttl %q ignored: want whole seconds from %d to %d", v, int(MinCacheTTL/time.Second), int(MaxCacheTTL/time.Second))
		}
	}
	if v := headerValue(h, HeaderSkipCache, HeaderLegacySkipCache); strings.EqualFold(strings.TrimSpace(v), "true") {
		p.skip = true
	}
	if h.Get(HeaderCacheKey) != "" && p.ttl == 0 {
		p.ttl = CustomKeyTTL
	}
	return p, note
}

func headerValue(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// requestHead is what the gateway reads from a JSON request body.
type requestHead struct {
	Model  string `json:"model"`
	Stream bool   `json:"stream"`
}

func peekRequest(body []byte) requestHead {
	var h requestHead
	if len(body) > 0 && (body[0] == '{' || body[0] == ' ' || body[0] == '\n' || body[0] == '\t' || body[0] == '\r') {
		_ = json.Unmarshal(body, &h)
	}
	return h
}

// inbound is one request to the gateway, from HTTP or from the binding.
type inbound struct {
	account, gateway, provider, endpoint string
	method, rawQuery                     string
	header                               http.Header
	body                                 []byte
	// binding marks a call from env.AI.run(..., {gateway}): it is
	// authenticated by the account already, so cf-aig-authorization is
	// not asked for.
	binding bool
	// step is the index of this request in a universal-endpoint array.
	step      int
	universal bool
}

// handleProxy serves /v1/{account_id}/{gateway_id}/{provider}/{path...}.
func (s *Service) handleProxy(w http.ResponseWriter, r *http.Request) {
	in := &inbound{
		account: r.PathValue("account_id"), gateway: r.PathValue("gateway_id"),
		provider: r.PathValue("provider"), endpoint: r.PathValue("rest"),
		method: r.Method, rawQuery: r.URL.RawQuery, header: r.Header,
	}
	body, early := s.readBody(w, r)
	in.body = body
	s.serve(w, r.Context(), in, early)
}

// readBody reads a request body of at most Limits.MaxRequestBody bytes. A
// larger body is an errBodyTooLarge, and is read on and discarded first, up
// to Limits.MaxDiscardBody bytes in all: a client that sends its whole body
// before reading the answer (many do) would otherwise still be writing when
// the connection closes, and get a reset instead of the 413. Go's server
// discards only 256 KiB of an unread body. A body too long to discard is
// answered at once with Connection: close.
func (s *Service) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *runtime.Error) {
	limit, discard := s.opts.Limits.MaxRequestBody, s.opts.Limits.MaxDiscardBody
	tooLarge := errBodyTooLarge.Withf("request body larger than %d bytes", limit)
	if n := r.ContentLength; n > limit {
		if n > discard || drain(r.Body, n) != nil {
			w.Header().Set("Connection", "close")
		}
		return nil, tooLarge
	} else if n >= 0 {
		// One allocation when the length is declared.
		b := make([]byte, n)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return nil, errBadRequestBody.With(err)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errBadRequestBody.With(err)
	}
	if int64(len(b)) <= limit {
		return b, nil
	}
	if drain(r.Body, discard-int64(len(b))) != nil {
		w.Header().Set("Connection", "close")
	}
	return nil, tooLarge
}

// errNotDrained reports a body longer than what drain may read.
var errNotDrained = errors.New("request body not drained")

// drain reads and discards body to its end, reading at most max bytes.
func drain(body io.Reader, max int64) error {
	n, err := io.Copy(io.Discard, io.LimitReader(body, max+1))
	if err == nil && n > max {
		err = errNotDrained
	}
	return err
}

// serve runs one request through the gateway: authentication, the cache,
// the provider, the log record. A non-nil early error is answered (and
// logged) before anything else.
func (s *Service) serve(w http.ResponseWriter, ctx context.Context, in *inbound, early *runtime.Error) {
	start := s.clock.Now()
	gw := s.settings(in.gateway)
	l := &Log{
		ID:                 newLogID(start),
		Gateway:            in.gateway,
		Provider:           in.provider,
		Path:               in.endpoint,
		RequestType:        "provider",
		RequestContentType: in.header.Get("Content-Type"),
		Metadata:           parseMetadata(in.header.Get(HeaderMetadata)),
		CreatedAt:          start.UTC(),
	}
	switch {
	case in.binding:
		l.RequestType = "binding"
	case in.universal:
		l.RequestType = "universal"
		l.Step = in.step
	}
	o := outcome{keep: !strings.EqualFold(in.header.Get(HeaderCollectLog), "false")}
	w.Header().Set(HeaderLogID, l.ID)
	defer func() {
		l.Duration = s.clock.Now().Sub(start).Milliseconds()
		l.Success = l.StatusCode >= 200 && l.StatusCode < 300
		s.journal.record(l, o)
		if !s.log.Enabled(ctx, slog.LevelDebug) {
			return
		}
		s.log.DebugContext(ctx, "gateway request", "gateway", in.gateway, "provider", in.provider, "path", in.endpoint,
			"model", l.Model, "status", l.StatusCode, "cached", l.Cached, "log_id", l.ID)
	}()
	fail := func(e *runtime.Error) {
		l.StatusCode = e.Status
		l.ResponseContentType = "application/json"
		writeGatewayError(w, e)
	}

	if gw.Authenticated && !in.binding && !authorized(in.header.Get(HeaderAuthorization), gw.Token) {
		fail(ErrUnauthorized)
		return
	}
	if early != nil {
		fail(early)
		return
	}
	prov, ok := s.providers[in.provider]
	if !ok {
		fail(errUnknownProvider.Withf("edge: unknown provider %q (edge serves openai, workers-ai and compat)", in.provider))
		return
	}
	l.RequestSize = len(in.body)
	l.RequestHead, l.RequestHeadComplete = head(in.body, s.opts.Limits.HeadBytes)
	req := peekRequest(in.body)
	l.Model = req.Model
	if in.provider == ProviderWorkersAI && !strings.HasPrefix(in.endpoint, "v1/") {
		l.Model = in.endpoint
	}
	l.ModelType = modelType(in.endpoint, l.Model)

	pol, note := cachePolicy(in.header, gw)
	if note != "" {
		s.log.WarnContext(ctx, note, "gateway", in.gateway, "log_id", l.ID)
	}
	if req.Stream {
		// Differs from Cloudflare: streamed responses are proxied but never cached.
		pol.ttl = 0
	}
	if ck := in.header.Get(HeaderCacheKey); ck != "" {
		pol.key = customCacheKey(in.account, in.gateway, ck)
	} else {
		pol.key = cacheKey(in.account, in.gateway, in.provider, methodEndpoint(in.method, in.endpoint, in.rawQuery),
			l.Model, in.header.Get("Authorization"), in.body)
	}

	if pol.ttl > 0 && !pol.skip {
		ent, ok, err := s.cache.get(pol.key, start)
		if err != nil {
			s.log.ErrorContext(ctx, "gateway cache read failed", "err", err)
		}
		if ok {
			s.writeHit(w, ent, l, &o)
			return
		}
	}

	c := &call{method: in.method, endpoint: in.endpoint, rawQuery: in.rawQuery, header: upstreamHeader(in.header), body: in.body}
	timeout := in.header.Get(HeaderTimeout)
	resp, timedOut, err := s.send(ctx, prov, c, timeout)
	if err != nil {
		if timedOut {
			fail(errUpstreamTimedOut.Withf("edge: %s did not answer within cf-aig-request-timeout %s ms", in.provider, timeout).With(err))
		} else {
			fail(errUpstreamFailed.Withf("edge: %s upstream unreachable: %v", in.provider, err).With(err))
		}
		return
	}
	defer resp.Body.Close()
	o.served = true
	s.writeUpstream(ctx, w, in.header.Get(HeaderCustomCost), resp, l, &o, pol, req.Stream)
}

// send calls the provider; a timeout (cf-aig-request-timeout, in ms) runs
// until the response headers arrive, as Cloudflare counts it to the first byte.
func (s *Service) send(ctx context.Context, p provider, c *call, timeout string) (*http.Response, bool, error) {
	ms, err := strconv.ParseInt(strings.TrimSpace(timeout), 10, 64)
	if timeout == "" || err != nil || ms <= 0 {
		resp, err := p.serve(ctx, c)
		return resp, false, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	var fired atomic.Bool
	errTimeout := errors.New("cf-aig-request-timeout exceeded")
	t := time.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
		fired.Store(true)
		cancel(errTimeout)
	})
	resp, err := p.serve(ctx, c)
	if !t.Stop() && fired.Load() {
		// The timer went off first. An HTTP upstream reports it as an error;
		// an in-process one answers with an error of its own. A success that
		// raced the timer stands.
		if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
			_ = resp.Body.Close()
			err = context.Cause(ctx)
		}
		if err != nil {
			cancel(nil)
			return nil, true, err
		}
	}
	if err != nil {
		cancel(nil)
		return nil, false, err
	}
	// The body keeps the context until it is read; release it after.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return resp, false, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// writeHit answers from the cache.
func (s *Service) writeHit(w http.ResponseWriter, ent *entry, l *Log, o *outcome) {
	h := w.Header()
	for k, vs := range ent.Header {
		h[k] = vs[:len(vs):len(vs)] // shared with the cache: an append must copy
	}
	h.Set(HeaderCacheStatus, CacheHit)
	h.Set("Content-Length", strconv.Itoa(len(ent.Body)))
	w.WriteHeader(ent.Status)
	_, _ = w.Write(ent.Body)
	l.Cached = true
	l.StatusCode = ent.Status
	if ent.Model != "" {
		l.Model = ent.Model
	}
	l.TokensIn, l.TokensOut = ent.TokensIn, ent.TokensOut
	l.ResponseContentType = ent.Header.Get("Content-Type")
	l.ResponseSize = len(ent.Body)
	l.ResponseHead, l.ResponseHeadComplete = ent.head, ent.headComplete
	o.saved = cost(s.opts.Prices, l.Model, l.TokensIn, l.TokensOut)
}

// writeUpstream relays a provider response: buffered (and stored when the
// policy says so) for a successful non-streamed answer, streamed with a
// flush after every read otherwise.
func (s *Service) writeUpstream(ctx context.Context, w http.ResponseWriter, customCost string, resp *http.Response, l *Log, o *outcome, pol policy, streamReq bool) {
	h := w.Header()
	for k, vs := range resp.Header {
		if !skipResponseHeader(k) {
			h[k] = vs
		}
	}
	h.Set(HeaderCacheStatus, CacheMiss)
	l.StatusCode = resp.StatusCode
	l.ResponseContentType = resp.Header.Get("Content-Type")
	sse := strings.HasPrefix(l.ResponseContentType, "text/event-stream")
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300

	if !ok || sse || streamReq {
		s.stream(w, resp, l)
		return
	}
	limit := s.opts.Limits.MaxCachedBody
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		// The provider broke off: relay what came, uncached.
		l.StatusCode = http.StatusBadGateway
		writeGatewayError(w, errUpstreamFailed.Withf("edge: reading the %s response: %v", l.Provider, err))
		return
	}
	if len(body) > limit {
		h.Del("Content-Length")
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		n, _ := io.Copy(w, resp.Body)
		l.ResponseSize = len(body) + int(n)
		l.ResponseHead, l.ResponseHeadComplete = head(body, s.opts.Limits.HeadBytes)
		return
	}
	l.ResponseSize = len(body)
	l.ResponseHead, l.ResponseHeadComplete = head(body, s.opts.Limits.HeadBytes)
	if u := responseUsage(body); u != nil {
		l.TokensIn, l.TokensOut = u.PromptTokens, u.CompletionTokens
	}
	if m := responseModel(body); m != "" && l.Model == "" {
		l.Model = m
	}
	o.cost = s.requestCost(customCost, l)
	if pol.ttl > 0 {
		ent := &entry{
			ExpiresAt: l.CreatedAt.Add(pol.ttl),
			Status:    resp.StatusCode,
			Header:    cacheableHeader(resp.Header),
			Model:     l.Model,
			TokensIn:  l.TokensIn,
			TokensOut: l.TokensOut,
			Body:      body,
		}
		if err := s.cache.put(pol.key, ent); err != nil {
			s.log.ErrorContext(ctx, "gateway cache write failed", "err", err)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// stream copies the body as it comes, flushing after every read.
func (s *Service) stream(w http.ResponseWriter, resp *http.Response, l *Log) {
	w.Header().Del("Content-Length")
	w.WriteHeader(resp.StatusCode)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	buf := make([]byte, 32<<10)
	var first bytes.Buffer
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if first.Len() < s.opts.Limits.HeadBytes {
				first.Write(buf[:min(n, s.opts.Limits.HeadBytes-first.Len())])
			}
			l.ResponseSize += n
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			_ = rc.Flush()
		}
		if err != nil {
			break
		}
	}
	l.ResponseHead = first.String()
	l.ResponseHeadComplete = l.ResponseSize <= s.opts.Limits.HeadBytes
}

// requestCost prices a provider answer: cf-aig-custom-cost when given
// ({"per_token_in","per_token_out"} or {"total_cost"}), the price table otherwise.
func (s *Service) requestCost(custom string, l *Log) float64 {
	if custom != "" {
		var cc struct {
			PerTokenIn  *float64 `json:"per_token_in"`
			PerTokenOut *float64 `json:"per_token_out"`
			TotalCost   *float64 `json:"total_cost"`
		}
		if json.Unmarshal([]byte(custom), &cc) == nil {
			switch {
			case cc.TotalCost != nil:
				l.CustomCost, l.Cost = true, *cc.TotalCost
				return l.Cost
			case cc.PerTokenIn != nil || cc.PerTokenOut != nil:
				var in, out float64
				if cc.PerTokenIn != nil {
					in = *cc.PerTokenIn
				}
				if cc.PerTokenOut != nil {
					out = *cc.PerTokenOut
				}
				l.CustomCost = true
				l.Cost = in*float64(l.TokensIn) + out*float64(l.TokensOut)
				return l.Cost
			}
		}
	}
	l.Cost = cost(s.opts.Prices, l.Model, l.TokensIn, l.TokensOut)
	return l.Cost
}

// authorized checks cf-aig-authorization: "Bearer <token>".
func authorized(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || strings.TrimSpace(got) == "" {
		return false
	}
	return token == "" || got == token
}

// upstreamHeader is the client's headers minus the gateway's own.
func upstreamHeader(in http.Header) http.Header {
	out := make(http.Header, len(in))
	for k, vs := range in {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "cf-aig-") || lk == HeaderLegacySkipCache || lk == HeaderLegacyCacheTTL {
			continue
		}
		out[k] = vs
	}
	return out
}

func skipResponseHeader(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Connection", "Keep-Alive", "Transfer-Encoding", "Trailer", "Upgrade", "Proxy-Authenticate", "Content-Length":
		return true
	}
	return strings.HasPrefix(strings.ToLower(k), "cf-aig-")
}

// cacheableHeader keeps the response headers worth replaying on a hit.
func cacheableHeader(in http.Header) http.Header {
	out := http.Header{}
	for k, vs := range in {
		switch http.CanonicalHeaderKey(k) {
		case "Date", "Set-Cookie", "Content-Encoding":
			continue
		}
		if !skipResponseHeader(k) {
			out[k] = vs
		}
	}
	return out
}

func methodEndpoint(method, endpoint, query string) string {
	s := method + " " + endpoint
	if query != "" {
		s += "?" + query
	}
	return s
}

// head returns the first n bytes of b as text and whether that is all of b.
func head(b []byte, n int) (string, bool) {
	if len(b) <= n {
		return string(b), true
	}
	return string(b[:n]), false
}

// modelType classifies a request for the log record.
func modelType(endpoint, model string) string {
	switch {
	case strings.HasSuffix(endpoint, "embeddings") || strings.Contains(model, "bge-") || strings.Contains(model, "embed"):
		return "embedding"
	case strings.HasSuffix(endpoint, "chat/completions") || strings.HasSuffix(endpoint, "completions") || strings.Contains(model, "instruct"):
		return "text-generation"
	}
	return ""
}

// parseMetadata keeps cf-aig-metadata when it is a flat JSON object of
// strings, numbers and booleans (§5.3); anything else is dropped.
func parseMetadata(v string) json.RawMessage {
	if v == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(v), &m) != nil {
		return nil
	}
	for _, x := range m {
		switch x.(type) {
		case string, float64, bool:
		default:
			return nil
		}
	}
	return json.RawMessage(v)
}

// responseUsage reads token usage from an OpenAI body ({usage}) or a
// Workers AI envelope ({result:{usage}}).
func responseUsage(body []byte) *usage {
	var b struct {
		Usage  *usage `json:"usage"`
		Result *struct {
			Usage *usage `json:"usage"`
		} `json:"result"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	if b.Usage != nil {
		return b.Usage
	}
	if b.Result != nil {
		return b.Result.Usage
	}
	return nil
}

func responseModel(body []byte) string {
	var b struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Model
}
