package emulator

import (
	"fmt"
	"net/url"
	"strings"

	"jobmatch-edge/emulator/linkedin"
)

// openLinkedIn starts the LinkedIn stand-in under /_edge/linkedin/ for the
// app the configuration names (LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET,
// LINKEDIN_REDIRECT_URI as its registered redirect URL). The API finds it
// through its LINKEDIN_AUTH_URL and LINKEDIN_API_URL vars; when those point
// at the stand-in, their host is routed in-process.
func (e *Emulator) openLinkedIn() error {
	vars := e.env.Vars
	if vars["LINKEDIN_CLIENT_ID"] == "" || vars["LINKEDIN_CLIENT_SECRET"] == "" {
		e.log.Info("LinkedIn stand-in disabled: no LINKEDIN_CLIENT_ID / LINKEDIN_CLIENT_SECRET secret")
		return nil
	}
	var redirects []string
	if r := vars["LINKEDIN_REDIRECT_URI"]; r != "" {
		redirects = []string{r}
	}
	svc, err := linkedin.New(linkedin.Options{
		Clock: e.opts.Clock, Logger: e.log.With("svc", "linkedin"),
		ClientID: vars["LINKEDIN_CLIENT_ID"], ClientSecret: vars["LINKEDIN_CLIENT_SECRET"],
		RedirectURIs: redirects,
	})
	if err != nil {
		return fmt.Errorf("opening LinkedIn stand-in: %w", err)
	}
	svc.Routes(e.mux)
	e.linkedIn = true
	for _, name := range []string{"LINKEDIN_AUTH_URL", "LINKEDIN_API_URL"} {
		if u, err := url.Parse(vars[name]); err == nil && u.Host != "" && strings.HasPrefix(u.Path, linkedin.Prefix+"/") {
			e.fetch.AddHost(u.Host)
		}
	}
	return nil
}
