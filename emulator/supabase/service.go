package supabase

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"jobmatch-edge/emulator/internal/store"
	"jobmatch-edge/runtime"
)

// Options configure the stand-in.
type Options struct {
	Dir      string // where auth.sqlite lives; "" with InMemory
	InMemory bool
	Sync     bool
	Clock    runtime.Clock
	Logger   *slog.Logger

	JWTSecret      string // SUPABASE_JWT_SECRET
	AnonKey        string // SUPABASE_ANON_KEY
	ServiceRoleKey string // SUPABASE_SERVICE_ROLE_KEY
	// Issuer is the iss claim, {SUPABASE_URL}/auth/v1.
	Issuer string
	// AccessTokenTTL is the access token's lifetime (default 3600 s).
	AccessTokenTTL time.Duration
	// BcryptCost is the password hashing cost (default bcrypt.DefaultCost;
	// tests lower it).
	BcryptCost int
}

// Service is the Supabase Auth stand-in.
type Service struct {
	opts Options
	db   *sql.DB

	mu       sync.RWMutex
	users    map[string]*user // by id
	byEmail  map[string]*user
	sessions map[string]*session
	refresh  map[string]*refreshToken

	verified verifiedTokens
}

// Limits and GoTrue's defaults.
const (
	defaultTTL        = time.Hour
	minPasswordLength = 6
	maxPasswordLength = 72 // bytes: bcrypt's limit, which GoTrue enforces
	// refreshReuseInterval is GoTrue's default
	// GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL: how long a rotated
	// refresh token may still be presented.
	refreshReuseInterval = 10 * time.Second
)

// Open opens (or creates) the auth state.
func Open(o Options) (*Service, error) {
	if o.JWTSecret == "" {
		return nil, errors.New("supabase: no JWT secret (set SUPABASE_JWT_SECRET in .dev.vars)")
	}
	if o.Clock == nil {
		o.Clock = runtime.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.AccessTokenTTL == 0 {
		o.AccessTokenTTL = defaultTTL
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	path := filepath.Join(o.Dir, "auth.sqlite")
	if o.InMemory {
		path = "auth-" + randomHex(8) + ".sqlite"
	}
	db, err := store.OpenDB(path, store.SQLiteOptions{InMemory: o.InMemory, Sync: o.Sync})
	if err != nil {
		return nil, fmt.Errorf("opening auth store: %w", err)
	}
	db.SetMaxOpenConns(1)
	s := &Service{opts: o, db: db, users: map[string]*user{}, byEmail: map[string]*user{},
		sessions: map[string]*session{}, refresh: map[string]*refreshToken{}}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *Service) Close() error { return s.db.Close() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string { return uuid.NewString() }

// Session is what a successful sign-up or token grant returns.
type Session struct {
	AccessToken  string   `json:"access_token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int      `json:"expires_in"`
	ExpiresAt    int64    `json:"expires_at"`
	RefreshToken string   `json:"refresh_token"`
	User         UserJSON `json:"user"`
}

// signUp creates a confirmed user.
func (s *Service) signUp(email, password string, data map[string]any) (*user, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, errValidation("To signup, please provide your email")
	}
	if !validEmail(email) {
		return nil, errValidation("Unable to validate email address: invalid format")
	}
	if password == "" {
		return nil, errValidation("Signup requires a valid password")
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, err
	}
	return s.createUser(email, hash, data)
}

// createUser stores a new confirmed user (email normalised and valid, hash
// a bcrypt hash of its password).
func (s *Service) createUser(email, hash string, data map[string]any) (*user, error) {
	now := s.opts.Clock.Now().UTC()
	if data == nil {
		data = map[string]any{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.byEmail[email]; exists {
		return nil, errUserExists
	}
	u := &user{ID: newUUID(), Email: email, PasswordHash: hash, Metadata: data, CreatedAt: now, UpdatedAt: now}
	if err := s.saveUser(u); err != nil {
		return nil, err
	}
	s.users[u.ID], s.byEmail[email] = u, u
	return u, nil
}

// hashPassword checks a new password as GoTrue's checkPasswordStrength
// does (at most 72 bytes, bcrypt's limit, then at least 6 characters) and
// hashes it.
func (s *Service) hashPassword(password string) (string, error) {
	if len(password) > maxPasswordLength {
		return "", errPasswordTooLong
	}
	if len(password) < minPasswordLength {
		return "", errWeakPassword
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.opts.BcryptCost)
	return string(h), err
}

func validEmail(e string) bool {
	at := strings.IndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n") && strings.Count(e, "@") == 1
}

// passwordGrant checks credentials.
func (s *Service) passwordGrant(email, password string) (*user, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || password == "" {
		return nil, errValidation("missing email or phone")
	}
	s.mu.RLock()
	u := s.byEmail[email]
	s.mu.RUnlock()
	if u == nil {
		// Same answer as a wrong password, as GoTrue gives.
		return nil, errInvalidCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, errInvalidCredentials
	}
	return u, nil
}

// newSession starts a session for u and returns its tokens.
func (s *Service) newSession(u *user, method string) (*Session, error) {
	now := s.opts.Clock.Now().UTC()
	se := &session{ID: newUUID(), UserID: u.ID, CreatedAt: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.Exec(`INSERT INTO sessions (id, user_id, created_at) VALUES (?, ?, ?)`, se.ID, se.UserID, ms(now)); err != nil {
		return nil, err
	}
	s.sessions[se.ID] = se
	u.LastSignIn = now
	if err := s.saveUser(u); err != nil {
		return nil, err
	}
	return s.issueLocked(u, se, method, now, "")
}

// issueLocked mints an access token and a fresh refresh token, the child of
// parent ("" for a new session). s.mu is held.
func (s *Service) issueLocked(u *user, se *session, method string, now time.Time, parent string) (*Session, error) {
	rt := &refreshToken{Token: randomHex(16), SessionID: se.ID, Parent: parent}
	if _, err := s.db.Exec(`INSERT INTO refresh_tokens (token, session_id, parent, created_at) VALUES (?, ?, ?, ?)`,
		rt.Token, rt.SessionID, rt.Parent, ms(now)); err != nil {
		return nil, err
	}
	s.refresh[rt.Token] = rt
	se.tokens = append(se.tokens, rt)
	return s.signLocked(u, se, rt, method, now)
}

// signLocked mints an access token for se and returns it with refresh
// token rt. s.mu is held.
func (s *Service) signLocked(u *user, se *session, rt *refreshToken, method string, now time.Time) (*Session, error) {
	exp := now.Add(s.opts.AccessTokenTTL)
	claims := jwt.MapClaims{
		"iss":           s.opts.Issuer,
		"sub":           u.ID,
		"aud":           "authenticated",
		"exp":           exp.Unix(),
		"iat":           now.Unix(),
		"email":         u.Email,
		"phone":         "",
		"app_metadata":  appMetadata(),
		"user_metadata": u.Metadata,
		"role":          "authenticated",
		"aal":           "aal1",
		"amr":           []map[string]any{{"method": method, "timestamp": se.CreatedAt.Unix()}},
		"session_id":    se.ID,
		"is_anonymous":  false,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(s.opts.JWTSecret))
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: tok, TokenType: "bearer", ExpiresIn: int(s.opts.AccessTokenTTL.Seconds()),
		ExpiresAt: exp.Unix(), RefreshToken: rt.Token, User: s.userJSON(u)}, nil
}

// refreshGrant rotates a refresh token as GoTrue does (refresh token
// rotation with reuse detection): the token presented is revoked and a
// child issued. A revoked token is still honoured in two cases: it is the
// parent of the session's active token (the client lost the answer to its
// last refresh: that active token is handed back, with a new access token),
// or it was revoked at most refreshReuseInterval ago. Any other reuse
// revokes the whole session and answers refresh_token_already_used.
func (s *Service) refreshGrant(token string) (*Session, error) {
	if token == "" {
		return nil, errValidation("refresh_token required")
	}
	now := s.opts.Clock.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refresh[token]
	if rt == nil {
		return nil, errRefreshNotFound
	}
	se := s.sessions[rt.SessionID]
	if se == nil {
		return nil, errRefreshNotFound
	}
	u := s.users[se.UserID]
	if u == nil {
		return nil, errRefreshNotFound
	}
	if rt.Revoked {
		if active := se.active(); active != nil && active.Parent == rt.Token {
			return s.signLocked(u, se, active, "password", now)
		}
		if now.After(rt.RevokedAt.Add(refreshReuseInterval)) {
			// Differs from Supabase: GoTrue revokes every refresh token of
			// the session and keeps the session, so its access tokens stay
			// valid until they expire. The stand-in ends the session (as a
			// logout of it does): its refresh tokens are gone and its
			// access tokens are refused at once.
			if err := s.endSessionLocked(se.ID); err != nil {
				return nil, err
			}
			return nil, errRefreshUsed
		}
	} else {
		if _, err := s.db.Exec(`UPDATE refresh_tokens SET revoked = 1, revoked_at = ? WHERE token = ?`, ms(now), token); err != nil {
			return nil, err
		}
		rt.Revoked, rt.RevokedAt = true, now
	}
	return s.issueLocked(u, se, "password", now, rt.Token)
}

// verify checks an access token and returns its user and session, or a
// GoTrue error.
func (s *Service) verify(token string) (*user, *session, error) {
	sub, sid, err := s.verifyJWT(token)
	if err != nil {
		return nil, nil, err
	}
	// GoTrue's order: sub (present, a UUID, a user), then session_id.
	if sub == "" {
		return nil, nil, errMissingSub
	}
	if _, err := uuid.Parse(sub); err != nil {
		return nil, nil, errSubNotUUID
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.users[sub]
	if u == nil {
		return nil, nil, errUserFromSub
	}
	// Differs from Supabase: GoTrue skips the session check when session_id
	// is absent (or the nil UUID). The stand-in only ever issues tokens with
	// one, so a token without is refused (GoTrue's bad_jwt shape, an
	// "invalid claim" text, which the API maps to INVALID_TOKEN) rather than
	// accepted until it expires, whatever logout says.
	if sid == "" || sid == uuid.Nil.String() {
		return nil, nil, errMissingSID
	}
	if _, err := uuid.Parse(sid); err != nil {
		return nil, nil, errSIDNotUUID
	}
	se := s.sessions[sid]
	if se == nil {
		return nil, nil, errSessionMissing
	}
	return u, se, nil
}

// logout ends the session (scope local), every session of the user
// (global, the default) or the user's other sessions (others).
func (s *Service) logout(u *user, se *session, scope string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, other := range s.sessions {
		if other.UserID != u.ID {
			continue
		}
		switch {
		case scope == "local" && se != nil && id == se.ID,
			scope == "others" && (se == nil || id != se.ID),
			scope == "global" || scope == "":
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if err := s.endSessionLocked(id); err != nil {
			return err
		}
	}
	return nil
}

// endSessionLocked deletes a session with its refresh tokens. s.mu is held.
func (s *Service) endSessionLocked(id string) error {
	if _, err := s.db.Exec(`DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return err
	}
	if se := s.sessions[id]; se != nil {
		for _, rt := range se.tokens {
			delete(s.refresh, rt.Token)
		}
	}
	delete(s.sessions, id)
	return nil
}

// deleteUser removes a user with its sessions (admin API).
func (s *Service) deleteUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return errUserNotFound
	}
	if _, err := s.db.Exec(`DELETE FROM users WHERE id = ?`, id); err != nil {
		return err
	}
	delete(s.users, id)
	delete(s.byEmail, u.Email)
	for sid, se := range s.sessions {
		if se.UserID == id {
			delete(s.sessions, sid)
		}
	}
	for tok, rt := range s.refresh {
		if _, ok := s.sessions[rt.SessionID]; !ok {
			delete(s.refresh, tok)
		}
	}
	return nil
}

// updateUser changes email, password and/or metadata (merged, as GoTrue does).
func (s *Service) updateUser(u *user, email, password *string, data map[string]any) error {
	var hash string
	if password != nil {
		h, err := s.hashPassword(*password)
		if err != nil {
			return err
		}
		hash = h
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := *u
	if email != nil {
		e := strings.ToLower(strings.TrimSpace(*email))
		if !validEmail(e) {
			return errValidation("Unable to validate email address: invalid format")
		}
		if other := s.byEmail[e]; other != nil && other.ID != u.ID {
			return errEmailExists
		}
		cp.Email = e
	}
	if hash != "" {
		cp.PasswordHash = hash
	}
	if data != nil {
		merged := map[string]any{}
		for k, v := range u.Metadata {
			merged[k] = v
		}
		for k, v := range data {
			merged[k] = v
		}
		cp.Metadata = merged
	}
	cp.UpdatedAt = s.opts.Clock.Now().UTC()
	if err := s.saveUser(&cp); err != nil {
		return err
	}
	delete(s.byEmail, u.Email)
	*u = cp
	s.byEmail[u.Email] = u
	return nil
}

// Token returns a session for email, creating the user (with password, or
// a generated one) if needed; an existing user's password is checked when
// one is given. It backs `edge token` and the demo user.
func (s *Service) Token(email, password string) (*Session, error) {
	s.mu.RLock()
	u := s.byEmail[strings.ToLower(strings.TrimSpace(email))]
	s.mu.RUnlock()
	var err error
	switch {
	case u == nil:
		if password == "" {
			password = "edge-" + randomHex(8)
		}
		if u, err = s.signUp(email, password, nil); err != nil {
			return nil, err
		}
	case password != "":
		if u, err = s.passwordGrant(email, password); err != nil {
			return nil, err
		}
	}
	return s.newSession(u, "password")
}

// EnsureUser creates email with password unless it exists (the demo user).
func (s *Service) EnsureUser(email, password string) error {
	if s.hasUser(email) {
		return nil
	}
	_, err := s.signUp(email, password, demoUserData())
	return err
}

// EnsureUserWithHash is EnsureUser with the password's bcrypt hash made
// beforehand: `edge serve` seeds the demo user, whose password never
// changes, without spending a bcrypt hash (~60 ms of CPU at the default
// cost, most of an in-memory start) on every start.
func (s *Service) EnsureUserWithHash(email, passwordHash string) error {
	if _, err := bcrypt.Cost([]byte(passwordHash)); err != nil {
		return fmt.Errorf("supabase: password hash of %s: %w", email, err)
	}
	if s.hasUser(email) {
		return nil
	}
	e := strings.ToLower(strings.TrimSpace(email))
	if !validEmail(e) {
		return errValidation("Unable to validate email address: invalid format")
	}
	_, err := s.createUser(e, passwordHash, demoUserData())
	return err
}

func demoUserData() map[string]any { return map[string]any{"full_name": "Demo User"} }

func (s *Service) hasUser(email string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byEmail[strings.ToLower(email)] != nil
}

// verifyJWT checks an access token's signature and time claims and returns
// its sub and session_id claims. A token that passed is remembered (its
// claims, not a verdict): the same token again is only checked against the
// clock, exactly as the validator checks it (now before exp; not before nbf
// when present), which spares the signature and the JSON decoding of every
// API request that presents it. Anything else, or a remembered token the
// clock now refuses, takes the full path, so errors are the library's.
// Users and sessions are looked up by the caller every time: a logout or a
// deleted user takes effect at once.
func (s *Service) verifyJWT(token string) (sub, sid string, err error) {
	now := s.opts.Clock.Now()
	if c, ok := s.verified.get(token); ok && c.valid(now) {
		return c.sub, c.sid, nil
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return []byte(s.opts.JWTSecret), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithExpirationRequired())
	if err != nil {
		return "", "", errBadJWT("invalid JWT: unable to parse or verify signature, " + err.Error())
	}
	c := verifiedClaims{}
	c.sub, _ = claims["sub"].(string)
	c.sid, _ = claims["session_id"].(string)
	exp, err1 := claims.GetExpirationTime()
	nbf, err2 := claims.GetNotBefore()
	if err1 == nil && err2 == nil && exp != nil {
		c.exp = exp.Time
		if nbf != nil {
			c.nbf, c.hasNbf = nbf.Time, true
		}
		s.verified.put(token, c)
	}
	return c.sub, c.sid, nil
}

// verifiedClaims are what verify needs of a token whose signature passed.
type verifiedClaims struct {
	sub, sid string
	exp, nbf time.Time
	hasNbf   bool
}

// valid is jwt's time validation without leeway: now before exp, and not
// before nbf.
func (c verifiedClaims) valid(now time.Time) bool {
	return now.Before(c.exp) && (!c.hasNbf || !now.Before(c.nbf))
}

// verifiedTokens remembers tokens whose signature passed, up to
// maxVerifiedTokens of them (then it starts over).
type verifiedTokens struct {
	mu sync.RWMutex
	m  map[string]verifiedClaims
}

const maxVerifiedTokens = 16384

func (v *verifiedTokens) get(token string) (verifiedClaims, bool) {
	v.mu.RLock()
	c, ok := v.m[token]
	v.mu.RUnlock()
	return c, ok
}

func (v *verifiedTokens) put(token string, c verifiedClaims) {
	v.mu.Lock()
	if v.m == nil || len(v.m) >= maxVerifiedTokens {
		v.m = make(map[string]verifiedClaims)
	}
	v.m[token] = c
	v.mu.Unlock()
}
