package emulator

import (
	"fmt"
	"net/url"
	"time"

	"jobmatch-edge/emulator/gateway"
	"jobmatch-edge/runtime"
)

// openGateway opens the AI Gateway: its cache in Badger under
// <state>/gateway (in memory with InMemory), the settings of each gateway
// id from [edge.gateways.<id>] (JobMatch's jobmatch-ai-gateway-dev caches
// for an hour), the openai provider's upstream from --openai-upstream, and
// the Workers AI binding behind the builtin upstream and the workers-ai
// provider. Gateway ids not configured are served uncached and
// unauthenticated. Workers AI runs with options.gateway go through it.
func (e *Emulator) openGateway() error {
	gws := map[string]gateway.Settings{}
	for id, g := range e.opts.Config.Edge.Gateways {
		set := gateway.Settings{
			CacheTTL:      time.Duration(g.CacheTTL) * time.Second,
			Authenticated: g.Authenticated,
			Token:         g.Token,
		}
		if set.Authenticated && set.Token == "" {
			// JobMatch sends cf-aig-authorization: Bearer {CF_AIG_TOKEN}.
			set.Token = e.env.Vars["CF_AIG_TOKEN"]
		}
		gws[id] = set
	}
	chat, embed := "", ""
	if m := e.opts.AIModelMap; m != nil {
		chat, embed = m[gateway.BuiltinChatModel], m[gateway.BuiltinEmbeddingModel]
	}
	log := e.log.With("svc", "gateway")
	svc, err := gateway.Open(gateway.Options{
		Dir: e.dir("gateway"), InMemory: e.opts.InMemory, Sync: e.opts.Sync,
		Clock: e.opts.Clock, Logger: log, AccountID: e.opts.AccountID,
		AI:             e.gatewayAI,
		OpenAIUpstream: e.opts.OpenAIUpstream, OllamaURL: e.opts.OllamaURL,
		OllamaChatModel: chat, OllamaEmbedModel: embed,
		Gateways:     gws,
		ConsoleGuard: e.guardConsole,
	})
	if err != nil {
		return fmt.Errorf("opening AI Gateway: %w", err)
	}
	e.Gateway = svc
	e.onClose(svc.Close)
	if e.AI != nil {
		e.AI.SetGateway(svc)
	}
	// The app reaches the gateway at AI_GATEWAY_URL (JobMatch's .dev.vars
	// names this listener): that host is served in-process. Without it the
	// app talks to the real gateway.ai.cloudflare.com, over the network.
	if u, err := url.Parse(e.env.Vars["AI_GATEWAY_URL"]); err == nil && u.Host != "" {
		e.fetch.AddHost(u.Host)
	}
	log.Info("ai gateway ready", "openai_upstream", svc.Upstream(), "gateways", len(gws))
	return nil
}

// gatewayAI is the Workers AI binding the gateway runs models on: the
// service itself (served even without an [ai] binding), else the env's.
func (e *Emulator) gatewayAI() runtime.AI {
	if e.AI != nil {
		return e.AI
	}
	return e.env.AI
}
