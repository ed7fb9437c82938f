package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ollama/ollama/envconfig"

	"jobmatch-edge/runtime"
)

// Options configure the Workers AI service. Zero values take the defaults.
type Options struct {
	// Backend is auto (default), ollama or builtin.
	Backend string
	// OllamaURL is the Ollama server (default: OLLAMA_HOST if set, else
	// http://127.0.0.1:11434).
	OllamaURL string
	// ModelMap maps Workers AI model ids to Ollama models, merged over the
	// catalog's defaults.
	ModelMap map[string]string
	// Models are extra catalog entries (e.g. TestOnly ones).
	Models []Model
	Clock  runtime.Clock
	Logger *slog.Logger
	// HTTPClient talks to Ollama (default: a client of its own).
	HTTPClient *http.Client
	// NewRequestID makes the request ids runs report (default: random UUIDs).
	NewRequestID func() string
	// ProbeTimeout bounds the start-up probe of Ollama (default 2 s).
	ProbeTimeout time.Duration
}

// Gateway is what the AI Gateway offers the binding: Run with
// options.gateway set goes through it. The gateway must call back into
// Service.Run without options.gateway (or into Service.RunDirect).
type Gateway interface {
	RunWorkersAI(ctx context.Context, model string, input json.RawMessage, o runtime.AIGatewayOptions) (out json.RawMessage, logID string, err error)
}

// Service is the Workers AI binding and its REST routes.
type Service struct {
	opts    Options
	log     *slog.Logger
	clock   runtime.Clock
	models  *models
	backend Backend
	status  string
	ownHTTP *http.Client

	mu      sync.Mutex
	last    runtime.AIRunInfo
	gateway Gateway
}

var _ runtime.AI = (*Service)(nil)

// Open builds the service. With Backend auto it probes Ollama once (version
// and tags) and uses it when it answers and holds every mapped model,
// otherwise the built-in backend; it logs which and why.
func Open(ctx context.Context, o Options) (*Service, error) {
	if o.Backend == "" {
		o.Backend = BackendAuto
	}
	if o.Clock == nil {
		o.Clock = runtime.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.NewRequestID == nil {
		o.NewRequestID = newUUID
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 2 * time.Second
	}
	if o.OllamaURL == "" {
		o.OllamaURL = envconfig.Host().String()
	}
	ms, err := newModels(o.Models, o.ModelMap)
	if err != nil {
		return nil, err
	}
	s := &Service{opts: o, log: o.Logger, clock: o.Clock, models: ms}
	switch o.Backend {
	case BackendBuiltin:
		s.backend, s.status = builtinBackend{}, "builtin (deterministic, no model weights)"
		s.log.InfoContext(ctx, "workers ai backend", "backend", BackendBuiltin)
		return s, nil
	case BackendOllama, BackendAuto:
	default:
		return nil, fmt.Errorf("ai: unknown backend %q (want auto, ollama or builtin)", o.Backend)
	}

	hc := o.HTTPClient
	if hc == nil {
		s.ownHTTP = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		hc = s.ownHTTP
	}
	ol, err := newOllama(o.OllamaURL, hc)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, o.ProbeTimeout)
	version, have, perr := ol.probe(pctx)
	cancel()
	var missing []string
	if perr == nil {
		missing = missingModels(ms.ollamaModels(true), have)
	}

	if o.Backend == BackendOllama {
		s.backend = ol
		s.status = "ollama at " + ol.url
		switch {
		case perr != nil:
			s.status += " (not answering: run `ollama serve`)"
			s.log.WarnContext(ctx, "workers ai backend: Ollama does not answer; calls will fail until it does",
				"backend", BackendOllama, "url", ol.url, "err", perr, "fix", "run `ollama serve`")
		case len(missing) > 0:
			s.status += fmt.Sprintf(" %s (missing %s: run %s)", version, strings.Join(missing, ", "), pullHint(missing))
			s.log.WarnContext(ctx, "workers ai backend: Ollama lacks mapped models", "backend", BackendOllama,
				"url", ol.url, "version", version, "missing", missing, "fix", pullHint(missing))
		default:
			s.status += " " + version
			s.log.InfoContext(ctx, "workers ai backend", "backend", BackendOllama, "url", ol.url, "version", version)
		}
		return s, nil
	}

	// auto
	switch {
	case perr != nil:
		s.backend = builtinBackend{}
		s.status = fmt.Sprintf("builtin (auto: Ollama not answering at %s)", ol.url)
		s.log.InfoContext(ctx, "workers ai backend: auto chose builtin, Ollama does not answer",
			"backend", BackendBuiltin, "url", ol.url, "err", perr)
	case len(missing) > 0:
		s.backend = builtinBackend{}
		s.status = fmt.Sprintf("builtin (auto: Ollama %s at %s lacks %s; run %s)", version, ol.url, strings.Join(missing, ", "), pullHint(missing))
		s.log.InfoContext(ctx, "workers ai backend: auto chose builtin, Ollama lacks mapped models",
			"backend", BackendBuiltin, "url", ol.url, "version", version, "missing", missing, "fix", pullHint(missing))
	default:
		s.backend = ol
		s.status = fmt.Sprintf("ollama at %s %s (auto)", ol.url, version)
		s.log.InfoContext(ctx, "workers ai backend: auto chose ollama", "backend", BackendOllama, "url", ol.url, "version", version)
	}
	return s, nil
}

// Backend names the backend in use: "ollama" or "builtin".
func (s *Service) Backend() string { return s.backend.Name() }

// Status describes the backend in use and why, for the start banner.
func (s *Service) Status() string { return s.status }

// Models lists the catalog in use (Workers AI and OpenAI entries), sorted by id.
func (s *Service) Models() []Model {
	var out []Model
	for _, id := range s.models.allIDs() {
		m, _ := s.models.lookup(id)
		out = append(out, m)
	}
	return out
}

// SetGateway connects the AI Gateway, so that Run with options.gateway goes
// through it. Without one, such runs go straight to the backend and report
// no gateway log id.
func (s *Service) SetGateway(g Gateway) {
	s.mu.Lock()
	s.gateway = g
	s.mu.Unlock()
}

// Close releases idle connections to Ollama.
func (s *Service) Close() error {
	if s.ownHTTP != nil {
		s.ownHTTP.CloseIdleConnections()
	}
	return nil
}

// LastRequestID is the request id of the last run (env.AI.lastRequestId).
// Concurrent callers should use runtime.AIOptions.Info instead.
func (s *Service) LastRequestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.RequestID
}

// AIGatewayLogID is the gateway log id of the last run (env.AI.aiGatewayLogId),
// "" when it did not go through a gateway.
func (s *Service) AIGatewayLogID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.GatewayLogID
}

// Run implements runtime.AI: it validates input against the model's schema,
// runs it on the backend, and returns the Workers AI output object.
func (s *Service) Run(ctx context.Context, model string, input any, opts runtime.AIOptions) (json.RawMessage, error) {
	info := runtime.AIRunInfo{RequestID: s.opts.NewRequestID()}
	out, err := s.run(ctx, model, input, opts, &info)
	s.mu.Lock()
	s.last = info
	s.mu.Unlock()
	if opts.Info != nil {
		*opts.Info = info
	}
	return out, err
}

// RunDirect runs without going through a gateway, whatever opts.Gateway
// says (for the AI Gateway's workers-ai provider).
func (s *Service) RunDirect(ctx context.Context, model string, input any, opts runtime.AIOptions) (json.RawMessage, error) {
	opts.Gateway = nil
	return s.Run(ctx, model, input, opts)
}

func (s *Service) run(ctx context.Context, model string, input any, opts runtime.AIOptions, info *runtime.AIRunInfo) (json.RawMessage, error) {
	if opts.Gateway != nil {
		s.mu.Lock()
		g := s.gateway
		s.mu.Unlock()
		if g != nil {
			raw, err := json.Marshal(input)
			if r, ok := input.(json.RawMessage); ok {
				raw, err = r, nil
			}
			if err != nil {
				return nil, badInput("input is not JSON: %v", err)
			}
			out, logID, err := g.RunWorkersAI(ctx, model, raw, *opts.Gateway)
			info.GatewayLogID = logID
			return out, err
		}
	}
	m, in, err := s.prepare(model, input)
	if err != nil {
		return nil, err
	}
	start := s.clock.Now()
	var out any
	switch m.Task {
	case TaskEmbeddings:
		var e embedInput
		if e, err = validateEmbed(m, in); err != nil {
			return nil, err
		}
		var vecs [][]float32
		if vecs, err = s.backend.Embed(ctx, m, e.texts, e.pooling); err != nil {
			return nil, err
		}
		out = embeddingOutput{Shape: [2]int{len(vecs), m.Dimensions}, Data: vecs, Pooling: e.pooling}
	default:
		var req ChatRequest
		if req, err = validateChat(in); err != nil {
			return nil, err
		}
		var res ChatResult
		if res, err = s.backend.Chat(ctx, m, req, s.clock.Now()); err != nil {
			return nil, err
		}
		out = generationOutput{Response: res.Text, Usage: usageOf(res)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("ai: encoding %s output: %w", m.ID, err)
	}
	s.log.DebugContext(ctx, "ai run", "model", m.ID, "backend", s.backend.Name(), "request_id", info.RequestID,
		"duration", s.clock.Now().Sub(start))
	return b, nil
}

// prepare finds a Workers AI model and decodes the input object.
func (s *Service) prepare(model string, input any) (Model, map[string]any, error) {
	m, ok := s.models.lookup(model)
	if !ok || m.OpenAI {
		return Model{}, nil, noSuchModel(model)
	}
	in, err := decodeInput(input)
	return m, in, err
}

// Embed embeds texts with a catalog model (Workers AI or OpenAI entry) on
// the backend in use, with mean pooling. It is what the AI Gateway's
// built-in OpenAI upstream calls for /embeddings.
func (s *Service) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	m, ok := s.models.lookup(model)
	if !ok || m.Task != TaskEmbeddings {
		return nil, noSuchModel(model)
	}
	if len(texts) == 0 {
		return nil, badInput("minItems at '/input' not met: 0 < 1")
	}
	if len(texts) > m.MaxBatch {
		return nil, badInput("maxItems at '/input' not met: %d > %d", len(texts), m.MaxBatch)
	}
	return s.backend.Embed(ctx, m, texts, PoolingMean)
}

// Chat answers a chat request with a catalog model (Workers AI or OpenAI
// entry) on the backend in use. MaxTokens 0 means the default (256). It is
// what the AI Gateway's built-in OpenAI upstream calls for /chat/completions.
func (s *Service) Chat(ctx context.Context, model string, req ChatRequest) (ChatResult, error) {
	m, ok := s.models.lookup(model)
	if !ok || m.Task != TaskGeneration {
		return ChatResult{}, noSuchModel(model)
	}
	if len(req.Messages) == 0 {
		return ChatResult{}, badInput("minItems at '/messages' not met: 0 < 1")
	}
	if req.MaxTokens <= 0 {
		req.MaxTokens = defaultMaxTokens
	}
	return s.backend.Chat(ctx, m, req, s.clock.Now())
}

// embeddingOutput is a bge model's output.
type embeddingOutput struct {
	Shape   [2]int      `json:"shape"`
	Data    [][]float32 `json:"data"`
	Pooling string      `json:"pooling"`
}

// Usage is a text-generation model's token usage.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func usageOf(r ChatResult) Usage {
	return Usage{PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens, TotalTokens: r.PromptTokens + r.CompletionTokens}
}

// generationOutput is a text-generation model's output.
type generationOutput struct {
	Response string `json:"response"`
	Usage    Usage  `json:"usage"`
}

// newUUID returns a random version 4 UUID, the form of Workers AI request ids.
func newUUID() string { return uuid.NewString() }
