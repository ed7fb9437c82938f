package emulator

// surfaces lists the surfaces of services that are wired, beyond the REST API.
func (e *Emulator) surfaces(base string) []Surface {
	var out []Surface
	acct := base + "/client/v4/accounts/" + e.opts.AccountID
	if e.AI != nil {
		out = append(out, Surface{"Workers AI REST", acct + "/ai/run/{model}, " + acct + "/ai/v1/*"})
	}
	if e.Gateway != nil {
		out = append(out, Surface{"AI Gateway", base + "/v1/" + e.opts.AccountID + "/{gateway_id}/{openai|workers-ai|compat}/..."})
	}
	if e.Auth != nil {
		out = append(out, Surface{"Supabase Auth", base + "/auth/v1"})
	}
	if e.linkedIn {
		out = append(out, Surface{"LinkedIn stand-in", base + "/_edge/linkedin/"})
	}
	out = append(out, Surface{"Console", base + "/_edge/health, /_edge/tail, /_edge/gateway, /_edge/stats"})
	return out
}
