package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// LinkedIn OAuth (contract §2.5). The LinkedIn endpoints are configuration:
// LINKEDIN_AUTH_URL is the base of /authorization and /accessToken,
// LINKEDIN_API_URL the base of /userinfo; unset, they are LinkedIn's.
const (
	defaultLinkedInAuthURL = "https://www.linkedin.com/oauth/v2"
	defaultLinkedInAPIURL  = "https://api.linkedin.com/v2"

	oauthStateTTL        = 600 // seconds, the KV TTL of oauth:{state}
	oauthStateExpiration = 10 * time.Minute

	// defaultAppURL is APP_URL when unset, as CORS defaults it.
	defaultAppURL = "http://localhost:5173"
)

// linkedinRoutes registers /api/auth/linkedin/initiate and /callback.
func (a *App) linkedinRoutes() {
	a.e.GET("/api/auth/linkedin/initiate", a.handleLinkedInInitiate, a.authenticate, a.rateLimit)
	a.e.GET("/api/auth/linkedin/callback", a.handleLinkedInCallback, a.callbackIPLimit)
}

// callbackIPLimit is the callback's ipRateLimiter(10, 15 min). It shares the
// IP map with the global limiter, so each callback request counts twice.
func (a *App) callbackIPLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := a.ips.check(c, a.clock.Now(), 10, 15*time.Minute); err != nil || c.Response().Committed {
			return err
		}
		return next(c)
	}
}

func (a *App) linkedinURL(name, def string) string {
	if v := strings.TrimRight(a.env.Var(name), "/"); v != "" {
		return v
	}
	return def
}

// oauthState is the OAUTH_STATES value, in the original's key order.
type oauthState struct {
	UserID    string `json:"userId"`
	Provider  string `json:"provider"`
	CreatedAt string `json:"createdAt"`
}

// handleLinkedInInitiate is GET /api/auth/linkedin/initiate.
func (a *App) handleLinkedInInitiate(c echo.Context) error {
	uid := userID(c)
	clientID := a.env.Var("LINKEDIN_CLIENT_ID")
	if clientID == "" {
		return &HTTPError{Status: http.StatusServiceUnavailable, Code: "LINKEDIN_NOT_CONFIGURED", Message: "LinkedIn integration is not configured"}
	}
	// Differs from the original: the user's row is created here if it does
	// not exist yet (as GET /api/profile would), so the callback's import has
	// a row to fill.
	if err := a.ensureUserRow(c); err != nil {
		return err
	}
	now := a.clock.Now()
	state := uuid.NewString() + "-" + strconv.FormatInt(now.UnixMilli(), 36)
	val, _ := json.Marshal(oauthState{UserID: uid, Provider: "linkedin", CreatedAt: isoTime(now)})
	if err := a.oauth.Put(c.Request().Context(), "oauth:"+state, val, runtime.KVPutOptions{ExpirationTTL: oauthStateTTL}); err != nil {
		return err
	}
	authURL := a.linkedinURL("LINKEDIN_AUTH_URL", defaultLinkedInAuthURL) + "/authorization?" + searchParams{
		{"response_type", "code"},
		{"client_id", clientID},
		{"redirect_uri", a.env.Var("LINKEDIN_REDIRECT_URI")},
		{"state", state},
		{"scope", "openid profile email"},
	}.String()
	a.consoleLog(c, "[OAuth] LinkedIn auth initiated for user %s, state stored in KV", uid)
	return writeJSON(c, http.StatusOK, struct {
		AuthURL   string `json:"authUrl"`
		State     string `json:"state"`
		ExpiresAt string `json:"expiresAt"`
	}{authURL, state, isoTime(now.Add(oauthStateExpiration))})
}

// handleLinkedInCallback is GET /api/auth/linkedin/callback: it always
// answers 302 to {APP_URL}/profile, with linkedin=success or
// linkedin=error&error_code=….
func (a *App) handleLinkedInCallback(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.Request().URL.Query()
	if e := q.Get("error"); e != "" {
		a.linkedinWarn(c, "LinkedIn OAuth error: %s %s", e, queryOrUndefined(q, "error_description"))
		if e == "user_cancelled_authorize" {
			return a.linkedinRedirectError(c, "user_cancelled")
		}
		return a.linkedinRedirectError(c, "oauth_error")
	}
	if issues := validateCallback(q); len(issues) > 0 {
		data, _ := json.Marshal(issues)
		a.linkedinWarn(c, "Invalid callback parameters: ZodError: %s", data)
		return a.linkedinRedirectError(c, "invalid_parameters")
	}
	code, state := q.Get("code"), q.Get("state")

	stateKey := "oauth:" + state
	ent, err := a.oauth.Get(ctx, stateKey)
	switch {
	case errors.Is(err, runtime.ErrKVKeyNotFound):
		a.linkedinWarn(c, "[OAuth] Invalid or expired state token: %s", stateLogPrefix(state, 20))
		return a.linkedinRedirectError(c, "invalid_state")
	case err != nil:
		return a.linkedinInternalError(c, err)
	}
	var sd oauthState
	if err := json.Unmarshal(ent.Value, &sd); err != nil {
		return a.linkedinInternalError(c, fmt.Errorf("SyntaxError: %w", err))
	}
	if sd.Provider != "linkedin" {
		a.linkedinWarn(c, "[OAuth] State token provider mismatch")
		return a.linkedinRedirectError(c, "invalid_state")
	}
	uid := sd.UserID
	if err := a.oauth.Delete(ctx, stateKey); err != nil {
		return a.linkedinInternalError(c, err)
	}
	a.consoleLog(c, "[OAuth] State token verified and deleted for user %s", uid)

	token, err := a.exchangeLinkedInCode(c, code)
	if err != nil {
		return a.linkedinInternalError(c, err)
	}
	if token == "" {
		a.consoleError(c, "[OAuth] Token exchange failed")
		return a.linkedinRedirectError(c, "token_exchange_failed")
	}
	info, ok, err := a.fetchLinkedInUserinfo(c, token)
	if err != nil {
		return a.linkedinInternalError(c, err)
	}
	if !ok {
		a.consoleError(c, "[OAuth] Profile fetch failed")
		return a.linkedinRedirectError(c, "profile_fetch_failed")
	}
	if err := a.importLinkedInProfile(c, uid, info); err != nil {
		return a.linkedinInternalError(c, err)
	}
	a.consoleLog(c, "Successfully imported LinkedIn data for user %s", uid)
	return a.linkedinRedirect(c, [2]string{"linkedin", "success"})
}

// exchangeLinkedInCode posts the code to {LINKEDIN_AUTH_URL}/accessToken.
// It returns "" when the exchange failed (logged), and an error only for
// missing credentials, which the original throws.
func (a *App) exchangeLinkedInCode(c echo.Context, code string) (string, error) {
	clientID, secret, redirectURI := a.env.Var("LINKEDIN_CLIENT_ID"), a.env.Var("LINKEDIN_CLIENT_SECRET"), a.env.Var("LINKEDIN_REDIRECT_URI")
	if clientID == "" || secret == "" || redirectURI == "" {
		return "", errors.New("LinkedIn credentials not configured")
	}
	body := searchParams{
		{"grant_type", "authorization_code"},
		{"code", code},
		{"client_id", clientID},
		{"client_secret", secret},
		{"redirect_uri", redirectURI},
	}.String()
	req, err := http.NewRequestWithContext(c.Request().Context(), http.MethodPost,
		a.linkedinURL("LINKEDIN_AUTH_URL", defaultLinkedInAuthURL)+"/accessToken", strings.NewReader(body))
	if err != nil {
		a.consoleError(c, "Token exchange error: %v", err)
		return "", nil
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.env.Fetch.Do(req)
	if err != nil {
		a.consoleError(c, "Token exchange error: TypeError: fetch failed: %v", err)
		return "", nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		a.consoleError(c, "Token exchange error: %v", err)
		return "", nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.consoleError(c, "Token exchange failed: %d %s", resp.StatusCode, data)
		return "", nil
	}
	var tok struct {
		AccessToken any `json:"access_token"`
	}
	if err := json.Unmarshal(data, &tok); err != nil {
		a.consoleError(c, "Token exchange error: SyntaxError: %v", err)
		return "", nil
	}
	s, _ := tok.AccessToken.(string)
	return s, nil
}

// linkedinUserinfo is what the import uses of the OpenID userinfo claims.
type linkedinUserinfo struct {
	sub, givenName, familyName, email, picture, locale string
}

// fetchLinkedInUserinfo gets {LINKEDIN_API_URL}/userinfo with the token; ok
// is false when the fetch failed (logged); err is what the original throws
// later, reading a null body.
func (a *App) fetchLinkedInUserinfo(c echo.Context, token string) (info linkedinUserinfo, ok bool, err error) {
	req, rerr := http.NewRequestWithContext(c.Request().Context(), http.MethodGet,
		a.linkedinURL("LINKEDIN_API_URL", defaultLinkedInAPIURL)+"/userinfo", nil)
	if rerr != nil {
		a.consoleError(c, "Profile fetch error: %v", rerr)
		return info, false, nil
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := a.env.Fetch.Do(req)
	if err != nil {
		a.consoleError(c, "Profile fetch error: TypeError: fetch failed: %v", err)
		return info, false, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.consoleError(c, "UserInfo fetch failed: %d", resp.StatusCode)
		return info, false, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		a.consoleError(c, "Profile fetch error: %v", err)
		return info, false, nil
	}
	var parsed any
	if err := json.Unmarshal(data, &parsed); err != nil {
		a.consoleError(c, "Profile fetch error: SyntaxError: %v", err)
		return info, false, nil
	}
	if parsed == nil {
		return info, false, errors.New("TypeError: Cannot read properties of null (reading 'given_name')")
	}
	claims, _ := parsed.(map[string]any) // another JSON value has no claims
	str := func(k string) string { s, _ := claims[k].(string); return s }
	info = linkedinUserinfo{sub: str("sub"), givenName: str("given_name"), familyName: str("family_name"),
		email: str("email"), picture: str("picture")}
	switch l := claims["locale"].(type) {
	case string:
		info.locale = l
	case map[string]any:
		// LinkedIn sends {"country":"US","language":"en"}; stored as en_US.
		lang, _ := l["language"].(string)
		country, _ := l["country"].(string)
		info.locale = lang
		if lang != "" && country != "" {
			info.locale = lang + "_" + country
		} else if lang == "" {
			info.locale = country
		}
	}
	return info, true, nil
}

// importLinkedInProfile updates the user's row with the LinkedIn claims.
func (a *App) importLinkedInProfile(c echo.Context, uid string, info linkedinUserinfo) error {
	now := isoTime(a.clock.Now())
	sets := []string{"linkedin_imported = ?", "linkedin_imported_at = ?", "linkedin_limited_access = ?"}
	args := []any{true, now, true}
	add := func(col, v string) {
		if v != "" {
			sets = append(sets, col+" = ?")
			args = append(args, v)
		}
	}
	add("first_name", info.givenName)
	add("last_name", info.familyName)
	add("email", info.email)
	add("profile_image_url", info.picture)
	if info.sub != "" {
		id := info.sub
		if i := strings.LastIndex(id, ":"); i >= 0 {
			id = id[i+1:]
		}
		add("linkedin_url", "https://www.linkedin.com/in/"+id)
	}
	add("locale", info.locale)
	sets = append(sets, "updated_at = ?")
	args = append(args, now, uid)
	res, err := a.env.D1["DB"].Prepare("UPDATE users SET " + strings.Join(sets, ", ") + " WHERE id = ?").Bind(args...).Run(c.Request().Context())
	if err != nil {
		return err
	}
	if res.Meta.Changes == 0 {
		a.consoleError(c, "[OAuth] Profile update failed: user not found")
		return errors.New("User profile not found")
	}
	a.consoleLog(c, "[OAuth] Limited access import completed for user %s. Frontend will display notification.", uid)
	return nil
}

// linkedinInternalError logs err as the original's catch prints a thrown
// Error and redirects with internal_error.
func (a *App) linkedinInternalError(c echo.Context, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, "SyntaxError: ") && !strings.HasPrefix(msg, "TypeError: ") {
		msg = "Error: " + msg
	}
	a.consoleError(c, "LinkedIn callback error: %s", msg)
	return a.linkedinRedirectError(c, "internal_error")
}

func (a *App) linkedinRedirectError(c echo.Context, code string) error {
	return a.linkedinRedirect(c, [2]string{"linkedin", "error"}, [2]string{"error_code", code})
}

// linkedinRedirect answers 302 to {APP_URL}/profile with params set as
// URLSearchParams.set sets them.
func (a *App) linkedinRedirect(c echo.Context, params ...[2]string) error {
	appURL := a.env.Var("APP_URL")
	if appURL == "" {
		appURL = defaultAppURL
	}
	target := appURL + "/profile"
	base, query, fragment := target, "", ""
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base, fragment = base[:i], base[i:]
	}
	if i := strings.IndexByte(base, '?'); i >= 0 {
		base, query = base[:i], base[i+1:]
	}
	pairs := parseSearchParams(query)
	for _, p := range params {
		pairs = pairs.set(p[0], p[1])
	}
	loc := base + "?" + pairs.String() + fragment
	return c.Redirect(http.StatusFound, loc)
}

// linkedinWarn is console.warn in the original.
func (a *App) linkedinWarn(c echo.Context, format string, args ...any) {
	a.console(c.Request().Context(), "warn", format, args...)
}

// ---- callback parameter validation (the original's zod schema) ----

// callbackIssue is a zod 3 issue of the callback schema, in zod's key order.
type callbackIssue struct {
	Code      string   `json:"code"`
	Expected  string   `json:"expected,omitempty"`
	Received  string   `json:"received,omitempty"`
	Minimum   *int     `json:"minimum,omitempty"`
	Maximum   *int     `json:"maximum,omitempty"`
	Type      string   `json:"type,omitempty"`
	Inclusive *bool    `json:"inclusive,omitempty"`
	Exact     *bool    `json:"exact,omitempty"`
	Path      []string `json:"path"`
	Message   string   `json:"message"`
}

// validateCallback checks code (10..500) and state (20..500), lengths in
// UTF-16 code units as JavaScript counts them.
func validateCallback(q url.Values) []callbackIssue {
	var issues []callbackIssue
	yes, no := true, false
	for _, f := range []struct {
		name     string
		min, max int
	}{{"code", 10, 500}, {"state", 20, 500}} {
		v, ok := q[f.name]
		if !ok {
			issues = append(issues, callbackIssue{Code: "invalid_type", Expected: "string", Received: "undefined", Path: []string{f.name}, Message: "Required"})
			continue
		}
		n := callbackParamLen(v[0])
		switch {
		case n < f.min:
			m := f.min
			issues = append(issues, callbackIssue{Code: "too_small", Minimum: &m, Type: "string", Inclusive: &yes, Exact: &no, Path: []string{f.name},
				Message: fmt.Sprintf("String must contain at least %d character(s)", f.min)})
		case n > f.max:
			m := f.max
			issues = append(issues, callbackIssue{Code: "too_big", Maximum: &m, Type: "string", Inclusive: &yes, Exact: &no, Path: []string{f.name},
				Message: fmt.Sprintf("String must contain at most %d character(s)", f.max)})
		}
	}
	return issues
}

func callbackParamLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// stateLogPrefix is s.substring(0, n).
func stateLogPrefix(s string, n int) string {
	u := utf16.Encode([]rune(s))
	if len(u) <= n {
		return s
	}
	return string(utf16.Decode(u[:n]))
}

// queryOrUndefined is a query value as a template literal prints it ("undefined"
// when absent).
func queryOrUndefined(q url.Values, k string) string {
	if v, ok := q[k]; ok {
		return v[0]
	}
	return "undefined"
}

// ---- application/x-www-form-urlencoded, as URLSearchParams does it ----

// searchParams are ordered name/value pairs, like URLSearchParams.
type searchParams [][2]string

// String serialises the pairs in order: A-Z a-z 0-9 * - . _ stay, space
// becomes +, every other byte of the UTF-8 form is %XX (upper case).
func (p searchParams) String() string {
	var b strings.Builder
	for i, kv := range p {
		if i > 0 {
			b.WriteByte('&')
		}
		formEscape(&b, kv[0])
		b.WriteByte('=')
		formEscape(&b, kv[1])
	}
	return b.String()
}

func formEscape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '*', ch == '-', ch == '.', ch == '_':
			b.WriteByte(ch)
		case ch == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
}

// parseSearchParams parses a query string (without '?') into ordered pairs.
func parseSearchParams(q string) searchParams {
	var out searchParams
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, [2]string{formUnescape(k), formUnescape(v)})
	}
	return out
}

func formUnescape(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// set is URLSearchParams.set: the first pair named k takes v and later ones
// go; without one, the pair is appended.
func (p searchParams) set(k, v string) searchParams {
	out := make(searchParams, 0, len(p)+1)
	found := false
	for _, kv := range p {
		if kv[0] != k {
			out = append(out, kv)
		} else if !found {
			out = append(out, [2]string{k, v})
			found = true
		}
	}
	if !found {
		out = append(out, [2]string{k, v})
	}
	return out
}
