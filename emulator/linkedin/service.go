package linkedin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"jobmatch-edge/runtime"
)

// Prefix is where the stand-in is served on the emulator's listener.
const Prefix = "/_edge/linkedin"

// Lifetimes LinkedIn documents: an authorization code is valid for 30
// minutes, an access token for 60 days.
const (
	DefaultCodeTTL  = 30 * time.Minute
	DefaultTokenTTL = 60 * 24 * time.Hour
)

// Scopes the demo app may request (the OpenID Connect product's scopes,
// plus Share on LinkedIn's, which LinkedIn grants self-serve).
var knownScopes = map[string]bool{"openid": true, "profile": true, "email": true, "w_member_social": true}

// Member is the LinkedIn member the stand-in approves as.
type Member struct {
	Sub           string
	GivenName     string
	FamilyName    string
	Email         string
	EmailVerified bool
	Country       string // locale.country, e.g. "US"
	Language      string // locale.language, e.g. "en"
}

// DemoMember is the member every authorization is granted as, unless the
// request names another one with login_hint.
var DemoMember = Member{
	Sub: "d3moAlexMg", GivenName: "Alex", FamilyName: "Morgan", Email: "alex.morgan@example.com",
	EmailVerified: true, Country: "US", Language: "en",
}

// Options configure the stand-in.
type Options struct {
	Clock  runtime.Clock // default runtime.SystemClock
	Logger *slog.Logger  // default: discard
	// ClientID and ClientSecret are the one registered app's credentials
	// (LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET). Both are required.
	ClientID     string
	ClientSecret string
	// RedirectURIs are the app's registered redirect URLs; empty accepts
	// any absolute http(s) URL.
	RedirectURIs []string
	// Member is the demo member (default DemoMember).
	Member   Member
	CodeTTL  time.Duration // default DefaultCodeTTL
	TokenTTL time.Duration // default DefaultTokenTTL
	// Rand is the source of codes and tokens (default crypto/rand).
	Rand io.Reader
}

// Service is the LinkedIn stand-in.
type Service struct {
	opts Options

	mu     sync.Mutex
	codes  map[string]*grant
	tokens map[string]*grant
}

// grant is what an authorization code, then an access token, stands for.
type grant struct {
	clientID    string
	redirectURI string
	scopes      []string
	member      Member
	expires     time.Time
}

func (g *grant) hasScope(s string) bool {
	for _, x := range g.scopes {
		if x == s {
			return true
		}
	}
	return false
}

// New returns the stand-in for the app opts names.
func New(opts Options) (*Service, error) {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("linkedin: ClientID and ClientSecret are required")
	}
	if opts.Clock == nil {
		opts.Clock = runtime.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Member.Sub == "" {
		opts.Member = DemoMember
	}
	if opts.CodeTTL <= 0 {
		opts.CodeTTL = DefaultCodeTTL
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Service{opts: opts, codes: map[string]*grant{}, tokens: map[string]*grant{}}, nil
}

// memberFor is the demo member, or for a login_hint email a member with that
// email and a sub derived from it.
func (s *Service) memberFor(loginHint string) Member {
	m := s.opts.Member
	hint := strings.TrimSpace(loginHint)
	if hint == "" || !strings.Contains(hint, "@") || strings.EqualFold(hint, m.Email) {
		return m
	}
	sum := sha256.Sum256([]byte(strings.ToLower(hint)))
	m.Sub = base64.RawURLEncoding.EncodeToString(sum[:])[:10]
	m.Email = hint
	return m
}

// newSecret returns prefix + 43 base64url characters of randomness.
func (s *Service) newSecret(prefix string) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.opts.Rand, b[:]); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// issueCode stores a new authorization code for g.
func (s *Service) issueCode(g *grant) (string, error) {
	code, err := s.newSecret("AQT")
	if err != nil {
		return "", err
	}
	now := s.opts.Clock.Now()
	g.expires = now.Add(s.opts.CodeTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	s.codes[code] = g
	return code, nil
}

// takeCode removes code and returns its grant: a code is consumed by its
// first use, whatever the outcome.
func (s *Service) takeCode(code string) (*grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.codes[code]
	delete(s.codes, code)
	return g, ok
}

// issueToken stores a new access token for the grant of a code.
func (s *Service) issueToken(code *grant) (string, time.Duration, error) {
	tok, err := s.newSecret("AQV")
	if err != nil {
		return "", 0, err
	}
	g := *code
	g.expires = s.opts.Clock.Now().Add(s.opts.TokenTTL)
	s.mu.Lock()
	s.tokens[tok] = &g
	s.mu.Unlock()
	return tok, s.opts.TokenTTL, nil
}

func (s *Service) token(tok string) (*grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.tokens[tok]
	return g, ok
}

// sweep drops codes that expired more than a code lifetime ago (s.mu
// held); until then a late exchange is told "expired" rather than "not
// found". Tokens are kept, so an expired one is reported as expired.
func (s *Service) sweep(now time.Time) {
	for k, g := range s.codes {
		if !now.Before(g.expires.Add(s.opts.CodeTTL)) {
			delete(s.codes, k)
		}
	}
}

// redirectAllowed reports whether uri may receive codes.
func (s *Service) redirectAllowed(uri string) bool {
	if len(s.opts.RedirectURIs) == 0 {
		return isAbsoluteHTTP(uri)
	}
	for _, r := range s.opts.RedirectURIs {
		if r == uri {
			return true
		}
	}
	return false
}
