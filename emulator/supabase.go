package emulator

import (
	"fmt"
	"net/url"
	"strings"

	"jobmatch-edge/emulator/supabase"
)

// openAuth starts the Supabase Auth stand-in at /auth/v1 and routes the
// configured SUPABASE_URL's host in-process, so the API's token checks never
// leave the process when Supabase is emulated.
func (e *Emulator) openAuth() error {
	vars := e.env.Vars
	secret := vars["SUPABASE_JWT_SECRET"]
	if secret == "" {
		// No stand-in without a secret: the API then talks to whatever
		// SUPABASE_URL names.
		e.log.Info("Supabase Auth stand-in disabled: no SUPABASE_JWT_SECRET secret")
		return nil
	}
	base := strings.TrimRight(vars["SUPABASE_URL"], "/")
	svc, err := supabase.Open(supabase.Options{
		Dir: e.dir(""), InMemory: e.opts.InMemory, Sync: e.opts.Sync,
		Clock: e.opts.Clock, Logger: e.log.With("svc", "auth"),
		JWTSecret: secret, AnonKey: vars["SUPABASE_ANON_KEY"], ServiceRoleKey: vars["SUPABASE_SERVICE_ROLE_KEY"],
		Issuer: base + "/auth/v1", BcryptCost: e.opts.BcryptCost,
	})
	if err != nil {
		return fmt.Errorf("opening Supabase Auth stand-in: %w", err)
	}
	e.Auth = svc
	e.onClose(svc.Close)
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		e.fetch.AddHost(u.Host)
	}
	return nil
}
