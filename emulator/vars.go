package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// The built-in .dev.vars (fixtures/.dev.vars) leaves two kinds of value to
// the running server: its own origin, which only the bound listener knows,
// and secrets, which must not be the same on every machine. Two
// placeholders stand for them. A value set literally (as in a user's own
// .dev.vars) is used as given.
const (
	// OriginPlaceholder, anywhere in a value, becomes the server's public
	// origin (Options.PublicURL): http://<the bound --addr>, or --public-url.
	OriginPlaceholder = "${EDGE_ORIGIN}"
	// SecretPlaceholder, as a whole value, becomes a random secret made for
	// that var once per state dir (kept in <state-dir>/secrets.json), or
	// once per run in memory.
	SecretPlaceholder = "${EDGE_SECRET}"
)

// DefaultPublicURL is the origin when Options.PublicURL is empty: that of
// `edge serve`'s default --addr.
const DefaultPublicURL = "http://127.0.0.1:8787"

// SecretsFile is the file, in a state dir, that keeps the secrets edge made
// for it.
const SecretsFile = "secrets.json"

// ResolveVars returns a copy of vars with the placeholders filled in: the
// origin, and each SecretPlaceholder var's secret from secrets (made there
// if it has none yet).
func ResolveVars(vars map[string]string, origin string, secrets *Secrets) (map[string]string, error) {
	var names []string
	for k, v := range vars {
		if v == SecretPlaceholder {
			names = append(names, k)
		}
	}
	if err := secrets.ensure(names); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if v == SecretPlaceholder {
			v = secrets.values[k]
		}
		out[k] = strings.ReplaceAll(v, OriginPlaceholder, origin)
	}
	return out, nil
}

// Secrets are the secrets edge made for one state dir, by var name.
type Secrets struct {
	path     string // <state dir>/secrets.json; "" keeps them in memory
	readOnly bool
	values   map[string]string
}

// OpenSecrets reads the secrets of state dir dir ("" for a run in
// memory, which starts with none). Only the holder of the state dir's lock
// may pass writable; another process (`edge secrets` while a server holds
// the dir) reads what the holder made.
func OpenSecrets(dir string, writable bool) (*Secrets, error) {
	s := &Secrets{values: map[string]string{}, readOnly: !writable}
	if dir == "" {
		return s, nil
	}
	s.path = filepath.Join(dir, SecretsFile)
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading secrets: %w", err)
	}
	if err := json.Unmarshal(data, &s.values); err != nil {
		return nil, fmt.Errorf("%s: %w (delete it to have new secrets made)", s.path, err)
	}
	return s, nil
}

// ensure makes a secret for each of names that has none, and saves them.
func (s *Secrets) ensure(names []string) error {
	made := false
	for _, name := range names {
		if s.values[name] != "" {
			continue
		}
		if s.readOnly {
			return fmt.Errorf("%s has no %s yet (the server holding the state dir makes it when it starts)", s.path, name)
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		s.values[name] = hex.EncodeToString(b)
		made = true
	}
	if !made || s.path == "" {
		return nil
	}
	return s.save()
}

// save writes the file, readable by its owner only, in one rename.
func (s *Secrets) save() error {
	data, err := json.MarshalIndent(s.values, "", "  ") // keys sorted
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), SecretsFile+".*")
	if err != nil {
		return fmt.Errorf("saving secrets: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving secrets: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}

// PublicURL is the origin a server bound to addr is reached at, unless
// flagValue (--public-url, for a server behind a proxy) names another one.
// An unspecified address (0.0.0.0, ::) is reached at 127.0.0.1.
func PublicURL(flagValue string, addr net.Addr) (string, error) {
	if flagValue != "" {
		return CheckPublicURL(flagValue)
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// CheckPublicURL validates an origin given as --public-url and returns it
// without a trailing slash. Every surface is served at the root, so a path
// is refused.
func CheckPublicURL(v string) (string, error) {
	u, err := url.Parse(v)
	bad := err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil
	if bad {
		return "", fmt.Errorf("--public-url %q: give the origin clients reach the server at, scheme://host[:port] with no path (e.g. https://edge.example.com)", v)
	}
	return u.Scheme + "://" + u.Host, nil
}
