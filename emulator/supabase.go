package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"jobmatch-edge/emulator/cfapi"
	"jobmatch-edge/emulator/supabase"
	"jobmatch-edge/runtime"
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

// handleToken is POST /_edge/token {email, password?}: a session for a
// local user, created if needed (backs `edge token` while a server runs).
func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		runtime.WriteError(w, err)
		return
	}
	if body.Email == "" {
		runtime.WriteError(w, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "email is required"))
		return
	}
	sess, err := e.Auth.Token(body.Email, body.Password)
	if err != nil {
		runtime.WriteError(w, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, err.Error()))
		return
	}
	runtime.WriteResult(w, sess)
}
