package runtime

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
)

// Env plays the role of a Worker's env: the bindings by their binding names
// (as wrangler.toml names them), the vars and secrets, the clock, and Fetch,
// an HTTP client that reaches the emulated origins in-process.
type Env struct {
	KV        map[string]KVNamespace    // kv_namespaces: "RATE_LIMITS", "OAUTH_STATES", ...
	D1        map[string]D1Database     // d1_databases: "DB"
	R2        map[string]R2Bucket       // r2_buckets: "AVATARS", "RESUMES", "EXPORTS"
	Vectorize map[string]VectorizeIndex // vectorize: "VECTORIZE"
	AI        AI                        // [ai] binding, nil when the config has none
	AIBinding string                    // the [ai] binding's name ("AI")
	Vars      map[string]string         // [vars] plus .dev.vars secrets
	Clock     Clock
	Fetch     *http.Client // reaches the emulated origins without a socket
	// Log receives the Worker's console lines (console.log in the original)
	// as they are printed; nil discards them.
	Log *slog.Logger
	// Tail receives one event per request, for `edge tail`; nil discards.
	Tail func(TailEvent)
}

// Var returns a var or secret, or "" when unset.
func (e *Env) Var(name string) string { return e.Vars[name] }

// Require checks that every named binding exists, whatever its kind, and
// returns one error naming all that are missing.
func (e *Env) Require(names ...string) error {
	var missing []string
	for _, n := range names {
		if !e.Has(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("missing bindings: %s (declare them in wrangler.toml for this environment; have: %s)",
		strings.Join(missing, ", "), strings.Join(e.Names(), ", "))
}

// Has reports whether a binding of any kind has the given name.
func (e *Env) Has(name string) bool {
	if _, ok := e.KV[name]; ok {
		return true
	}
	if _, ok := e.D1[name]; ok {
		return true
	}
	if _, ok := e.R2[name]; ok {
		return true
	}
	if _, ok := e.Vectorize[name]; ok {
		return true
	}
	return e.AI != nil && e.AIBinding == name
}

// Names lists every binding name, sorted.
func (e *Env) Names() []string {
	var out []string
	for n := range e.KV {
		out = append(out, n)
	}
	for n := range e.D1 {
		out = append(out, n)
	}
	for n := range e.R2 {
		out = append(out, n)
	}
	for n := range e.Vectorize {
		out = append(out, n)
	}
	if e.AI != nil {
		out = append(out, e.AIBinding)
	}
	sort.Strings(out)
	return out
}
