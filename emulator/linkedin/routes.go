package linkedin

import (
	"crypto/sha256"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"jobmatch-edge/runtime"
)

// Routes registers the stand-in's endpoints on mux, under Prefix.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"/oauth/v2/authorization", s.handleAuthorize)          // GET www.linkedin.com/oauth/v2/authorization
	mux.HandleFunc("POST "+Prefix+"/oauth/v2/authorization", s.handleAuthorizeDecision) // the consent page's form (LinkedIn's own UI)
	mux.HandleFunc("POST "+Prefix+"/oauth/v2/accessToken", s.handleAccessToken)         // POST www.linkedin.com/oauth/v2/accessToken
	mux.HandleFunc("GET "+Prefix+"/v2/userinfo", s.handleUserinfo)                      // GET api.linkedin.com/v2/userinfo
	mux.HandleFunc("GET "+Prefix+"/media/{file}", s.handleMedia)                        // the member's picture (media.licdn.com)
}

// oauthError is the error body of LinkedIn's OAuth endpoints.
type oauthError struct {
	status      int
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func missingParam(name string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", fmt.Sprintf("A required parameter %q is missing", name)}
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	w.Header().Set("Cache-Control", "no-store")
	runtime.WriteJSON(w, e.status, e)
}

// apiError is the error body of api.linkedin.com.
type apiError struct {
	Status           int    `json:"status"`
	ServiceErrorCode int    `json:"serviceErrorCode"`
	Code             string `json:"code"`
	Message          string `json:"message"`
}

var (
	errInvalidToken = apiError{http.StatusUnauthorized, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token"}
	errExpiredToken = apiError{http.StatusUnauthorized, 65600, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"}
	errNoUserinfo   = apiError{http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: userinfo.GET.NO_VERSION"}
)

// authorization is a checked authorization request.
type authorization struct {
	clientID, redirectURI, state, loginHint string
	scopes                                  []string
}

// checkAuthorization validates an authorization request. A bad client_id or
// redirect_uri is answered on the spot (direct); any other problem goes
// back to redirect_uri as error and error_description (redirect), as OAuth
// 2.0 (RFC 6749 §4.1.2.1) and LinkedIn do.
func (s *Service) checkAuthorization(q url.Values) (a authorization, direct, redirect *oauthError) {
	a = authorization{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), state: q.Get("state"), loginHint: q.Get("login_hint")}
	switch {
	case a.clientID == "":
		return a, missingParam("client_id"), nil
	case a.clientID != s.opts.ClientID:
		return a, &oauthError{http.StatusBadRequest, "invalid_request", fmt.Sprintf("The passed in client_id is invalid %q", a.clientID)}, nil
	case a.redirectURI == "":
		return a, missingParam("redirect_uri"), nil
	case !s.redirectAllowed(a.redirectURI):
		return a, &oauthError{http.StatusBadRequest, "invalid_request", "The redirect_uri does not match the registered value"}, nil
	}
	rt := q.Get("response_type")
	switch {
	case rt == "":
		return a, nil, missingParam("response_type")
	case rt != "code":
		return a, nil, &oauthError{http.StatusBadRequest, "unsupported_response_type", fmt.Sprintf("The response_type %q is not supported", rt)}
	case a.state == "":
		return a, nil, missingParam("state")
	}
	scope := q.Get("scope")
	if strings.TrimSpace(scope) == "" {
		return a, nil, missingParam("scope")
	}
	for _, sc := range strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == ',' }) {
		if !knownScopes[sc] {
			return a, nil, &oauthError{http.StatusBadRequest, "unauthorized_scope_error", fmt.Sprintf("Scope %q is not authorized for your application", sc)}
		}
		a.scopes = append(a.scopes, sc)
	}
	sort.Strings(a.scopes)
	return a, nil, nil
}

// handleAuthorize is the authorization page: it approves at once as the
// demo member, or shows the consent page for prompt=consent.
func (s *Service) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a, direct, redir := s.checkAuthorization(q)
	switch {
	case direct != nil:
		writeOAuthError(w, direct)
	case redir != nil:
		s.redirect(w, r, a.redirectURI, "error", redir.Error, "error_description", redir.Description, "state", a.state)
	case q.Get("prompt") == "consent":
		s.consentPage(w, a)
	default:
		s.approve(w, r, a)
	}
}

// handleAuthorizeDecision is the consent page's Allow or Cancel.
func (s *Service) handleAuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed form body"})
		return
	}
	a, direct, redir := s.checkAuthorization(r.PostForm)
	switch {
	case direct != nil:
		writeOAuthError(w, direct)
	case redir != nil:
		s.redirect(w, r, a.redirectURI, "error", redir.Error, "error_description", redir.Description, "state", a.state)
	case r.PostForm.Get("decision") != "allow":
		s.redirect(w, r, a.redirectURI, "error", "user_cancelled_authorize", "error_description", "The user cancelled the authorization", "state", a.state)
	default:
		s.approve(w, r, a)
	}
}

func (s *Service) approve(w http.ResponseWriter, r *http.Request, a authorization) {
	g := &grant{clientID: a.clientID, redirectURI: a.redirectURI, scopes: a.scopes, member: s.memberFor(a.loginHint)}
	code, err := s.issueCode(g)
	if err != nil {
		s.opts.Logger.ErrorContext(r.Context(), "linkedin: issuing a code", "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "The server encountered an unexpected error"})
		return
	}
	s.opts.Logger.InfoContext(r.Context(), "linkedin: authorization granted", "member", g.member.Sub, "client_id", a.clientID, "scope", strings.Join(a.scopes, " "))
	s.redirect(w, r, a.redirectURI, "code", code, "state", a.state)
}

// redirect answers 302 to base with the given query pairs appended.
func (s *Service) redirect(w http.ResponseWriter, r *http.Request, base string, pairs ...string) {
	var b strings.Builder
	b.WriteString(base)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString(sep + url.QueryEscape(pairs[i]) + "=" + url.QueryEscape(pairs[i+1]))
		sep = "&"
	}
	http.Redirect(w, r, b.String(), http.StatusFound)
}

var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LinkedIn (edge stand-in)</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;color:#1d2226}
button{font-size:1rem;padding:.5rem 1.5rem;border-radius:2rem;border:1px solid #0a66c2;margin-right:.5rem}
.allow{background:#0a66c2;color:#fff}.cancel{background:#fff;color:#0a66c2}</style></head>
<body><h1>LinkedIn <small>(edge stand-in)</small></h1>
<p>The app <b>{{.ClientID}}</b> asks to sign you in as <b>{{.Name}}</b> ({{.Email}}) and to use your: {{.Scopes}}.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="scope" value="{{.Scopes}}">
<p><label>Member email <input type="email" name="login_hint" value="{{.Email}}"></label></p>
<button class="allow" name="decision" value="allow">Allow</button>
<button class="cancel" name="decision" value="cancel">Cancel</button>
</form></body></html>
`))

func (s *Service) consentPage(w http.ResponseWriter, a authorization) {
	m := s.memberFor(a.loginHint)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = consentTmpl.Execute(w, map[string]string{
		"Action": Prefix + "/oauth/v2/authorization", "ClientID": a.clientID, "RedirectURI": a.redirectURI,
		"State": a.state, "Scopes": strings.Join(a.scopes, " "),
		"Name": m.GivenName + " " + m.FamilyName, "Email": m.Email,
	})
}

// tokenResponse is the token endpoint's success body, in LinkedIn's order.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	TokenType   string `json:"token_type"`
}

// handleAccessToken exchanges an authorization code for an access token.
func (s *Service) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed form body"})
		return
	}
	f := r.PostForm
	for _, p := range []string{"grant_type", "code", "client_id", "client_secret", "redirect_uri"} {
		if p == "code" && f.Get("grant_type") != "authorization_code" {
			writeOAuthError(w, &oauthError{http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("The grant_type %q is not supported", f.Get("grant_type"))})
			return
		}
		if f.Get(p) == "" {
			writeOAuthError(w, missingParam(p))
			return
		}
	}
	if f.Get("client_id") != s.opts.ClientID || f.Get("client_secret") != s.opts.ClientSecret {
		writeOAuthError(w, &oauthError{http.StatusUnauthorized, "invalid_client", "Client authentication failed"})
		return
	}
	g, ok := s.takeCode(f.Get("code"))
	switch {
	case !ok:
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Unable to retrieve access token: authorization code not found"})
		return
	case !s.opts.Clock.Now().Before(g.expires):
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Unable to retrieve access token: authorization code expired"})
		return
	case g.clientID != f.Get("client_id") || g.redirectURI != f.Get("redirect_uri"):
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "invalid_request",
			"Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists"})
		return
	}
	tok, ttl, err := s.issueToken(g)
	if err != nil {
		s.opts.Logger.ErrorContext(r.Context(), "linkedin: issuing a token", "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "The server encountered an unexpected error"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	runtime.WriteJSON(w, http.StatusOK, tokenResponse{tok, int64(ttl.Seconds()), strings.Join(g.scopes, ","), "Bearer"})
}

// Locale is userinfo's locale claim as LinkedIn sends it.
type Locale struct {
	Country  string `json:"country"`
	Language string `json:"language"`
}

// Userinfo is the OpenID userinfo body, in the order LinkedIn sends it;
// profile claims need the profile scope, email claims the email scope.
type Userinfo struct {
	Sub           string  `json:"sub"`
	EmailVerified *bool   `json:"email_verified,omitempty"`
	Name          string  `json:"name,omitempty"`
	Locale        *Locale `json:"locale,omitempty"`
	GivenName     string  `json:"given_name,omitempty"`
	FamilyName    string  `json:"family_name,omitempty"`
	Email         string  `json:"email,omitempty"`
	Picture       string  `json:"picture,omitempty"`
}

// handleUserinfo answers the member's OpenID claims for a Bearer token.
func (s *Service) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g, found := s.token(strings.TrimSpace(tok))
	switch {
	case !ok || !found:
		runtime.WriteJSON(w, http.StatusUnauthorized, errInvalidToken)
		return
	case !s.opts.Clock.Now().Before(g.expires):
		runtime.WriteJSON(w, http.StatusUnauthorized, errExpiredToken)
		return
	case !g.hasScope("openid"):
		runtime.WriteJSON(w, http.StatusForbidden, errNoUserinfo)
		return
	}
	m := g.member
	u := Userinfo{Sub: m.Sub}
	if g.hasScope("profile") {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u.Name = strings.TrimSpace(m.GivenName + " " + m.FamilyName)
		u.Locale = &Locale{Country: m.Country, Language: m.Language}
		u.GivenName, u.FamilyName = m.GivenName, m.FamilyName
		u.Picture = scheme + "://" + r.Host + Prefix + "/media/" + m.Sub + ".svg"
	}
	if g.hasScope("email") {
		v := m.EmailVerified
		u.EmailVerified, u.Email = &v, m.Email
	}
	runtime.WriteJSON(w, http.StatusOK, u)
}

// handleMedia serves a member picture: the member's initials on a colour
// derived from the sub.
func (s *Service) handleMedia(w http.ResponseWriter, r *http.Request) {
	sub, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if !ok || sub == "" {
		http.NotFound(w, r)
		return
	}
	m := s.opts.Member
	initials := firstRune(m.GivenName) + firstRune(m.FamilyName)
	h := sha256.Sum256([]byte(sub))
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">`+
		`<rect width="100" height="100" fill="#%02x%02x%02x"/>`+
		`<text x="50" y="62" font-family="sans-serif" font-size="36" fill="#fff" text-anchor="middle">%s</text></svg>`,
		h[0]/2, h[1]/2, h[2]/2, template.HTMLEscapeString(initials))
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

func isAbsoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
