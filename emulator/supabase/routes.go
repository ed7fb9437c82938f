package supabase

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"jobmatch-edge/runtime"
)

// Routes registers /auth/v1 on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("GET /auth/v1/settings", s.apikey(s.handleSettings))                   // GoTrue GET /settings
	mux.Handle("POST /auth/v1/signup", s.apikey(s.handleSignup))                      // POST /signup
	mux.Handle("POST /auth/v1/token", s.apikey(s.handleToken))                        // POST /token?grant_type=password|refresh_token
	mux.Handle("GET /auth/v1/user", s.apikey(s.handleGetUser))                        // GET /user
	mux.Handle("PUT /auth/v1/user", s.apikey(s.handlePutUser))                        // PUT /user
	mux.Handle("POST /auth/v1/logout", s.apikey(s.handleLogout))                      // POST /logout?scope=global|local|others
	mux.Handle("DELETE /auth/v1/admin/users/{id}", s.apikey(s.handleAdminDeleteUser)) // admin: delete a user
	mux.Handle("GET /auth/v1/health", s.apikey(func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteJSON(w, http.StatusOK, map[string]string{"version": "edge", "name": "GoTrue", "description": "GoTrue is a user registration and authentication API"})
	}))
}

// apikey enforces Supabase's gateway rule: every request carries the anon
// or service-role key in the apikey header (or query parameter).
func (s *Service) apikey(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("apikey")
		if key == "" {
			key = r.URL.Query().Get("apikey")
		}
		switch {
		case key == "":
			runtime.WriteJSON(w, http.StatusUnauthorized, errNoAPIKey)
		case key != s.opts.AnonKey && key != s.opts.ServiceRoleKey:
			runtime.WriteJSON(w, http.StatusUnauthorized, errBadAPIKey)
		default:
			h(w, r)
		}
	})
}

// writeErr answers a GoTrue error; anything else is GoTrue's 500
// unexpected_failure, whose cause goes to the log (the message points there).
func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		s.opts.Logger.ErrorContext(r.Context(), "auth request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = errUnexpected
	}
	runtime.WriteJSON(w, e.Status, e)
}

func decode(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(data, v) != nil {
		return errBadJSON
	}
	return nil
}

func (s *Service) handleSettings(w http.ResponseWriter, r *http.Request) {
	runtime.WriteJSON(w, http.StatusOK, map[string]any{
		"external":           map[string]bool{"email": true, "phone": false, "anonymous_users": false},
		"disable_signup":     false,
		"mailer_autoconfirm": true,
		"phone_autoconfirm":  false,
		"sms_provider":       "",
		"saml_enabled":       false,
	})
}

func (s *Service) handleSignup(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email    string         `json:"email"`
		Password string         `json:"password"`
		Data     map[string]any `json:"data"`
	}
	if err := decode(r, &body); err != nil {
		s.writeErr(w, r, err)
		return
	}
	u, err := s.signUp(body.Email, body.Password, body.Data)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	sess, err := s.newSession(u, "password")
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	runtime.WriteJSON(w, http.StatusOK, sess)
}

func (s *Service) handleToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email        string `json:"email"`
		Password     string `json:"password"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := decode(r, &body); err != nil {
		s.writeErr(w, r, err)
		return
	}
	var sess *Session
	var err error
	switch r.URL.Query().Get("grant_type") {
	case "password":
		var u *user
		if u, err = s.passwordGrant(body.Email, body.Password); err == nil {
			sess, err = s.newSession(u, "password")
		}
	case "refresh_token":
		sess, err = s.refreshGrant(body.RefreshToken)
	default:
		err = errGrantType
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	runtime.WriteJSON(w, http.StatusOK, sess)
}

// bearer verifies the request's access token.
func (s *Service) bearer(r *http.Request) (*user, *session, error) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return nil, nil, errNoAuthorization
	}
	return s.verify(strings.TrimSpace(tok))
}

func (s *Service) handleGetUser(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.bearer(r)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeUser(w, u)
}

// writeUser answers 200 with u as GoTrue renders it.
func (s *Service) writeUser(w http.ResponseWriter, u *user) {
	s.mu.RLock()
	out := s.userJSON(u)
	s.mu.RUnlock()
	runtime.WriteJSON(w, http.StatusOK, out)
}

func (s *Service) handlePutUser(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.bearer(r)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	var body struct {
		Email    *string        `json:"email"`
		Password *string        `json:"password"`
		Data     map[string]any `json:"data"`
	}
	if err := decode(r, &body); err != nil {
		s.writeErr(w, r, err)
		return
	}
	if err := s.updateUser(u, body.Email, body.Password, body.Data); err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeUser(w, u)
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	u, se, err := s.bearer(r)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	scope := r.URL.Query().Get("scope")
	switch scope {
	case "", "global", "local", "others":
	default:
		s.writeErr(w, r, errValidation("Unsupported logout scope "+scope))
		return
	}
	if err := s.logout(u, se, scope); err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleAdminDeleteUser(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.opts.ServiceRoleKey || s.opts.ServiceRoleKey == "" {
		s.writeErr(w, r, errNotAdmin)
		return
	}
	if err := s.deleteUser(r.PathValue("id")); err != nil {
		s.writeErr(w, r, err)
		return
	}
	runtime.WriteJSON(w, http.StatusOK, map[string]any{})
}

// UserJSON is GoTrue's user object.
type UserJSON struct {
	ID               string         `json:"id"`
	Aud              string         `json:"aud"`
	Role             string         `json:"role"`
	Email            string         `json:"email"`
	EmailConfirmedAt string         `json:"email_confirmed_at"`
	Phone            string         `json:"phone"`
	ConfirmedAt      string         `json:"confirmed_at"`
	LastSignInAt     string         `json:"last_sign_in_at,omitempty"`
	AppMetadata      appMetaJSON    `json:"app_metadata"`
	UserMetadata     map[string]any `json:"user_metadata"`
	Identities       []identity     `json:"identities"`
	CreatedAt        string         `json:"created_at"`
	UpdatedAt        string         `json:"updated_at"`
	IsAnonymous      bool           `json:"is_anonymous"`
}

type identity struct {
	IdentityID   string       `json:"identity_id"`
	ID           string       `json:"id"`
	UserID       string       `json:"user_id"`
	IdentityData identityData `json:"identity_data"`
	Provider     string       `json:"provider"`
	LastSignInAt string       `json:"last_sign_in_at"`
	CreatedAt    string       `json:"created_at"`
	UpdatedAt    string       `json:"updated_at"`
	Email        string       `json:"email"`
}

func appMetadata() map[string]any {
	return map[string]any{"provider": "email", "providers": []string{"email"}}
}

// appMetaJSON is appMetadata() as the user object carries it, and
// identityData an identity's identity_data: structs rather than maps (every
// GET /auth/v1/user renders them), with their fields in the sorted key
// order a map would give, so the bytes are the same.
type appMetaJSON struct {
	Provider  string   `json:"provider"`
	Providers []string `json:"providers"`
}

type identityData struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	PhoneVerified bool   `json:"phone_verified"`
	Sub           string `json:"sub"`
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// userJSON renders u; s.mu is held (read) by the caller or u is private.
func (s *Service) userJSON(u *user) UserJSON {
	meta := u.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	created := ts(u.CreatedAt)
	return UserJSON{
		ID: u.ID, Aud: "authenticated", Role: "authenticated", Email: u.Email,
		EmailConfirmedAt: created, ConfirmedAt: created, LastSignInAt: ts(u.LastSignIn),
		AppMetadata: appMetaJSON{Provider: "email", Providers: []string{"email"}}, UserMetadata: meta,
		Identities: []identity{{
			IdentityID: u.ID, ID: u.ID, UserID: u.ID, Provider: "email", Email: u.Email,
			IdentityData: identityData{Email: u.Email, EmailVerified: true, PhoneVerified: false, Sub: u.ID},
			LastSignInAt: ts(u.LastSignIn), CreatedAt: created, UpdatedAt: ts(u.UpdatedAt),
		}},
		CreatedAt: created, UpdatedAt: ts(u.UpdatedAt),
	}
}
