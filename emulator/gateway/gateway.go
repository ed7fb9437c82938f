package gateway

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"jobmatch-edge/runtime"
)

// Settings configure one gateway id (the dashboard's gateway settings).
type Settings struct {
	// CacheTTL is the gateway's default cache TTL ("Cache Responses");
	// 0 disables caching unless a request asks for it.
	CacheTTL time.Duration
	// Authenticated requires cf-aig-authorization: Bearer <Token>.
	Authenticated bool
	// Token is what cf-aig-authorization must carry. Empty on an
	// authenticated gateway: any non-empty bearer token is accepted.
	Token string
}

// Limits bound what the gateway keeps and accepts. Zero values take the defaults.
type Limits struct {
	LogRecords     int   // log records kept in memory (DefaultLogRecords)
	MaxRequestBody int64 // bytes (DefaultMaxRequestBody)
	// MaxDiscardBody is how much of a body over MaxRequestBody is read and
	// discarded before the 413 (DefaultMaxDiscardBody).
	MaxDiscardBody int64
	MaxCachedBody  int // bytes (DefaultMaxCachedBody)
	HeadBytes      int // request_head/response_head size (DefaultHeadBytes)
	// HotBytes bounds the decoded entries kept in memory over Badger
	// (DefaultHotBytes); negative: none, every read goes to Badger.
	HotBytes int
}

// Options configure Open.
type Options struct {
	Dir      string // Badger directory (<state>/gateway); unused when InMemory
	InMemory bool
	Sync     bool // fsync every cache write
	Clock    runtime.Clock
	Logger   *slog.Logger

	// AccountID is the account binding runs (RunWorkersAI) are cached
	// under; HTTP requests carry theirs in the path.
	AccountID string

	// AI returns the Workers AI binding at call time (it may be wired after
	// the gateway). The builtin openai upstream and the workers-ai provider
	// run on it.
	AI func() runtime.AI

	// OpenAIUpstream is where the openai provider goes: "builtin" (the
	// default: Workers AI models on AI), "ollama" (OllamaURL + /v1), or a
	// base URL such as https://api.openai.com/v1.
	OpenAIUpstream string
	OllamaURL      string // default DefaultOllamaURL
	// OllamaChatModel and OllamaEmbedModel replace the model of chat and
	// embedding requests sent to Ollama (defaults llama3.2, nomic-embed-text).
	OllamaChatModel  string
	OllamaEmbedModel string
	// HTTPClient reaches HTTP upstreams (default: a pooled client, no timeout;
	// cf-aig-request-timeout bounds a request).
	HTTPClient *http.Client

	// Gateways holds the settings per gateway id; any other id gets Default.
	Gateways map[string]Settings
	Default  Settings

	// Prices prices tokens for the cost estimates (default DefaultPrices).
	Prices map[string]Price

	// ConsoleGuard wraps the /_edge/gateway routes (the emulator's API
	// token check). Nil: no guard.
	ConsoleGuard func(http.Handler) http.Handler

	Limits Limits
}

// Service is the emulated AI Gateway: the proxy, its cache, log records and
// counters.
type Service struct {
	opts      Options
	clock     runtime.Clock
	log       *slog.Logger
	cache     *cache
	journal   *journal
	providers map[string]provider
	upstream  string // what the openai provider goes to, for the console
}

// Open opens the cache under opts.Dir (or in memory), removes entries
// expired by the clock, and sets up the providers.
func Open(opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = runtime.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Prices == nil {
		opts.Prices = DefaultPrices
	}
	if opts.ConsoleGuard == nil {
		opts.ConsoleGuard = func(h http.Handler) http.Handler { return h }
	}
	l := &opts.Limits
	if l.LogRecords <= 0 {
		l.LogRecords = DefaultLogRecords
	}
	if l.MaxRequestBody <= 0 {
		l.MaxRequestBody = DefaultMaxRequestBody
	}
	if l.MaxDiscardBody <= 0 {
		l.MaxDiscardBody = DefaultMaxDiscardBody
	}
	if l.MaxCachedBody <= 0 {
		l.MaxCachedBody = DefaultMaxCachedBody
	}
	if l.HeadBytes <= 0 {
		l.HeadBytes = DefaultHeadBytes
	}
	if l.HotBytes == 0 {
		l.HotBytes = DefaultHotBytes
	}
	if !opts.InMemory && opts.Dir == "" {
		return nil, errors.New("gateway: Options.Dir is required unless InMemory")
	}
	s := &Service{opts: opts, clock: opts.Clock, log: opts.Logger, journal: newJournal(l.LogRecords)}
	openai, upstream, err := s.openAIProvider()
	if err != nil {
		return nil, err
	}
	s.upstream = upstream
	wai := &workersAI{ai: opts.AI, compat: &aiCompat{
		ai: opts.AI, clock: opts.Clock,
		chatModel:  func(m string) string { return m },
		embedModel: func(m string, _ *int) (string, *httpError) { return m, nil },
		fail:       envelopeError,
	}}
	s.providers = map[string]provider{
		ProviderOpenAI:    openai,
		ProviderWorkersAI: wai,
		ProviderCompat:    &compatProvider{openai: openai, workersAI: wai},
	}
	if s.cache, err = openCache(opts); err != nil {
		return nil, err
	}
	if n, err := s.cache.purge(s.clock.Now()); err != nil {
		_ = s.cache.close()
		return nil, err
	} else if n > 0 {
		s.log.Info("gateway cache: removed expired entries", "count", n)
	}
	return s, nil
}

func (s *Service) openAIProvider() (provider, string, error) {
	up := s.opts.OpenAIUpstream
	client := s.opts.HTTPClient
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		client = &http.Client{Transport: t}
	}
	switch up {
	case "", "builtin":
		return &builtinOpenAI{compat: &aiCompat{
			ai: s.opts.AI, clock: s.clock,
			chatModel:  func(string) string { return BuiltinChatModel },
			embedModel: builtinEmbedModel,
			fail:       openAIError,
		}}, "builtin", nil
	case "ollama":
		base := strings.TrimRight(s.opts.OllamaURL, "/")
		if base == "" {
			base = DefaultOllamaURL
		}
		chat, embed := s.opts.OllamaChatModel, s.opts.OllamaEmbedModel
		if chat == "" {
			chat = DefaultOllamaChatModel
		}
		if embed == "" {
			embed = DefaultOllamaEmbedModel
		}
		return &httpUpstream{base: base + "/v1", client: client, model: ollamaModels(chat, embed)}, "ollama " + base + "/v1", nil
	}
	u, err := url.Parse(up)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("gateway: --openai-upstream %q: want builtin, ollama or an http(s) base URL such as https://api.openai.com/v1", up)
	}
	base := strings.TrimRight(up, "/")
	return &httpUpstream{base: base, client: client}, base, nil
}

// Close closes the cache.
func (s *Service) Close() error {
	if s.cache == nil {
		return nil
	}
	err := s.cache.close()
	s.cache = nil
	return err
}

// settings returns the settings of a gateway id.
func (s *Service) settings(id string) Settings {
	if g, ok := s.opts.Gateways[id]; ok {
		return g
	}
	return s.opts.Default
}

// Upstream describes where the openai provider goes ("builtin", "ollama
// <url>", or the base URL), for the start banner.
func (s *Service) Upstream() string { return s.upstream }

// Logs returns up to limit log records, newest first (all gateways when
// gatewayID is empty).
func (s *Service) Logs(limit int, gatewayID string) []*Log { return s.journal.recent(limit, gatewayID) }

// Log returns one log record by id (cf-aig-log-id), while it is still kept.
func (s *Service) Log(id string) (*Log, bool) { return s.journal.get(id) }

// Counters returns the totals and the counters per gateway id.
func (s *Service) Counters() (Counters, map[string]Counters) { return s.journal.counters() }
