package gateway

import (
	"net/http"
	"sort"
	"strconv"

	"jobmatch-edge/runtime"
)

// Routes registers the gateway on the main listener, at the real host's
// paths (https://gateway.ai.cloudflare.com/v1/...), and its console routes.
func (s *Service) Routes(mux *http.ServeMux) {
	// https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/{provider}/{provider path}
	// (developers.cloudflare.com/ai-gateway/usage/providers/), any method.
	mux.HandleFunc("/v1/{account_id}/{gateway_id}/{provider}/{rest...}", s.handleProxy)
	// Universal endpoint: POST https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}
	// with a JSON array of steps (developers.cloudflare.com/ai-gateway/usage/universal/).
	mux.HandleFunc("POST /v1/{account_id}/{gateway_id}", s.handleUniversal)

	// Console (no Cloudflare equivalent beyond the dashboard's analytics and
	// logs): counters, the cache settings of each gateway, recent log records.
	mux.Handle("GET /_edge/gateway", s.opts.ConsoleGuard(http.HandlerFunc(s.handleStats)))
	// One log record by cf-aig-log-id (the binding's env.AI.gateway(id).getLog(logId)).
	mux.Handle("GET /_edge/gateway/logs/{id}", s.opts.ConsoleGuard(http.HandlerFunc(s.handleGetLog)))
}

// gatewayStats is one gateway's entry in the console's answer.
type gatewayStats struct {
	ID            string   `json:"id"`
	CacheTTL      int      `json:"cache_ttl"` // seconds, 0 = caching off by default
	Authenticated bool     `json:"authentication"`
	Configured    bool     `json:"configured"` // declared in [edge.gateways]
	HitRate       float64  `json:"hit_rate"`
	Counters      Counters `json:"counters"`
}

// handleStats answers GET /_edge/gateway[?gateway=ID][&limit=N]: the
// totals, per-gateway counters and settings, and the newest log records.
func (s *Service) handleStats(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			runtime.WriteError(w, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "limit must be a non-negative integer"))
			return
		}
		limit = n
	}
	only := r.URL.Query().Get("gateway")
	total, per := s.journal.counters()
	ids := map[string]bool{}
	for id := range s.opts.Gateways {
		ids[id] = true
	}
	for id := range per {
		ids[id] = true
	}
	gateways := []gatewayStats{}
	for id := range ids {
		if only != "" && id != only {
			continue
		}
		set, configured := s.opts.Gateways[id]
		if !configured {
			set = s.opts.Default
		}
		c := per[id]
		gateways = append(gateways, gatewayStats{
			ID: id, CacheTTL: int(set.CacheTTL.Seconds()), Authenticated: set.Authenticated,
			Configured: configured, HitRate: hitRate(c), Counters: c,
		})
	}
	sort.Slice(gateways, func(i, j int) bool { return gateways[i].ID < gateways[j].ID })
	entries, err := s.cache.count()
	if err != nil {
		runtime.WriteError(w, err)
		return
	}
	runtime.WriteJSON(w, http.StatusOK, map[string]any{
		"upstream":      map[string]string{ProviderOpenAI: s.upstream},
		"totals":        total,
		"hit_rate":      hitRate(total),
		"cache_entries": entries,
		"gateways":      gateways,
		"logs":          s.journal.recent(limit, only),
		"prices":        s.opts.Prices,
	})
}

func hitRate(c Counters) float64 {
	if c.Hits+c.Misses == 0 {
		return 0
	}
	return float64(c.Hits) / float64(c.Hits+c.Misses)
}

// handleGetLog answers GET /_edge/gateway/logs/{id}.
func (s *Service) handleGetLog(w http.ResponseWriter, r *http.Request) {
	l, ok := s.journal.get(r.PathValue("id"))
	if !ok {
		runtime.WriteError(w, runtime.NewError(http.StatusNotFound, runtime.CodeNoRoute, "log not found: "+r.PathValue("id")))
		return
	}
	runtime.WriteResult(w, l)
}
