// Package config reads a wrangler.toml the way wrangler does: top-level
// settings, [env.NAME] sections with wrangler's inheritance rules (bindings
// and vars are not inherited by environments), and secrets from .dev.vars or
// .dev.vars.<env> next to the file.
//
// Differences from wrangler: [[vectorize]] entries may also carry
// `dimensions` and `metric` (wrangler keeps those on the index, not in the
// config), and an optional [edge] table configures emulator-only settings
// such as AI Gateway ids. Wrangler warns about, and otherwise ignores, both.
package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// KVNamespace is one [[kv_namespaces]] entry.
type KVNamespace struct {
	Binding   string `toml:"binding"`
	ID        string `toml:"id"`
	PreviewID string `toml:"preview_id"`
}

// D1Database is one [[d1_databases]] entry.
type D1Database struct {
	Binding         string `toml:"binding"`
	DatabaseName    string `toml:"database_name"`
	DatabaseID      string `toml:"database_id"`
	PreviewID       string `toml:"preview_database_id"`
	MigrationsDir   string `toml:"migrations_dir"`
	MigrationsTable string `toml:"migrations_table"`
}

// R2Bucket is one [[r2_buckets]] entry.
type R2Bucket struct {
	Binding           string `toml:"binding"`
	BucketName        string `toml:"bucket_name"`
	PreviewBucketName string `toml:"preview_bucket_name"`
	Jurisdiction      string `toml:"jurisdiction"`
}

// Vectorize is one [[vectorize]] entry. Dimensions and Metric are an edge
// extension; when absent the index must already exist or be created over
// REST (JobMatch's shipped config sets 768 / cosine).
type Vectorize struct {
	Binding    string `toml:"binding"`
	IndexName  string `toml:"index_name"`
	Dimensions int    `toml:"dimensions"`
	Metric     string `toml:"metric"`
}

// AI is the [ai] table.
type AI struct {
	Binding string `toml:"binding"`
}

// Gateway configures one AI Gateway id (edge extension, [edge.gateways.ID]).
type Gateway struct {
	CacheTTL      int    `toml:"cache_ttl"`     // seconds; 0 disables caching by default
	Authenticated bool   `toml:"authenticated"` // require cf-aig-authorization
	Token         string `toml:"token"`         // the token cf-aig-authorization must carry
}

// Edge is the [edge] table: emulator-only settings.
type Edge struct {
	Gateways map[string]Gateway `toml:"gateways"`
}

// section is what a top-level file and an [env.NAME] table can both hold.
type section struct {
	Name               string                    `toml:"name"`
	Main               string                    `toml:"main"`
	CompatibilityDate  string                    `toml:"compatibility_date"`
	CompatibilityFlags []string                  `toml:"compatibility_flags"`
	AccountID          string                    `toml:"account_id"`
	Vars               map[string]any            `toml:"vars"`
	KVNamespaces       []KVNamespace             `toml:"kv_namespaces"`
	D1Databases        []D1Database              `toml:"d1_databases"`
	R2Buckets          []R2Bucket                `toml:"r2_buckets"`
	Vectorize          []Vectorize               `toml:"vectorize"`
	AI                 *AI                       `toml:"ai"`
	Edge               *Edge                     `toml:"edge"`
	Env                map[string]toml.Primitive `toml:"env"`
}

// Config is a wrangler.toml resolved for one environment.
type Config struct {
	Path               string // the file read
	Env                string // the environment resolved ("" for top level)
	Envs               []string
	Name               string
	Main               string
	CompatibilityDate  string
	CompatibilityFlags []string
	AccountID          string
	KVNamespaces       []KVNamespace
	D1Databases        []D1Database
	R2Buckets          []R2Bucket
	Vectorize          []Vectorize
	AI                 *AI
	Edge               Edge
	Vars               map[string]string // [vars] of the environment
	Secrets            map[string]string // from .dev.vars[.<env>]
	SecretsFile        string            // which file the secrets came from, "" if none
}

// Error is a configuration error that names the file, line and key.
type Error struct {
	File string
	Line int // 0 when unknown
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Load reads path and resolves environment env ("" = top level).
func Load(path, env string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w (pass --config with the path of a wrangler.toml)", err)
	}
	return Parse(path, data, env)
}

// Parse resolves environment env of the wrangler.toml text data; path is
// used in messages and to find .dev.vars.
func Parse(path string, data []byte, env string) (*Config, error) {
	return parse(path, data, env, nil)
}

// ParseBuiltin resolves a configuration that does not live on disk (the one
// shipped in the binary), with devVars as the .dev.vars file's content.
func ParseBuiltin(path string, data []byte, env string, devVars []byte) (*Config, error) {
	return parse(path, data, env, devVars)
}

func parse(path string, data []byte, env string, devVars []byte) (*Config, error) {
	var top section
	md, err := toml.Decode(string(data), &top)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: path, Line: pe.Position.Line, Msg: "malformed TOML: " + pe.Message}
		}
		return nil, &Error{File: path, Msg: "malformed TOML: " + err.Error()}
	}
	lines := newLineIndex(data)
	cfg := &Config{Path: path, Env: env}
	for name := range top.Env {
		cfg.Envs = append(cfg.Envs, name)
	}
	sort.Strings(cfg.Envs)

	sec, prefix := top, ""
	if env != "" {
		prim, ok := top.Env[env]
		if !ok {
			have := "none are defined"
			if len(cfg.Envs) > 0 {
				have = "the file defines: " + strings.Join(cfg.Envs, ", ")
			}
			return nil, &Error{File: path, Key: "env", Msg: fmt.Sprintf("no environment named %q (%s)", env, have)}
		}
		var es section
		if err := md.PrimitiveDecode(prim, &es); err != nil {
			return nil, &Error{File: path, Line: lines.table("env." + env), Key: "env." + env, Msg: err.Error()}
		}
		prefix = "env." + env + "."
		// Inheritable keys come from the top level unless the environment sets them.
		if es.Name == "" && top.Name != "" {
			es.Name = top.Name + "-" + env
		}
		if es.Main == "" {
			es.Main = top.Main
		}
		if es.CompatibilityDate == "" {
			es.CompatibilityDate = top.CompatibilityDate
		}
		if es.CompatibilityFlags == nil {
			es.CompatibilityFlags = top.CompatibilityFlags
		}
		if es.AccountID == "" {
			es.AccountID = top.AccountID
		}
		// [edge] is emulator-wide: an environment's table replaces the top one.
		if es.Edge == nil {
			es.Edge = top.Edge
		}
		sec = es
	}

	cfg.Name, cfg.Main, cfg.CompatibilityDate = sec.Name, sec.Main, sec.CompatibilityDate
	cfg.CompatibilityFlags, cfg.AccountID = sec.CompatibilityFlags, sec.AccountID
	cfg.KVNamespaces, cfg.D1Databases, cfg.R2Buckets = sec.KVNamespaces, sec.D1Databases, sec.R2Buckets
	cfg.Vectorize, cfg.AI = sec.Vectorize, sec.AI
	if sec.Edge != nil {
		cfg.Edge = *sec.Edge
	}
	cfg.Vars = map[string]string{}
	for k, v := range sec.Vars {
		switch x := v.(type) {
		case string:
			cfg.Vars[k] = x
		default:
			cfg.Vars[k] = fmt.Sprint(x)
		}
	}
	if err := cfg.validate(path, prefix, lines); err != nil {
		return nil, err
	}
	if devVars != nil {
		vals, err := ParseDotenv(path+" .dev.vars", devVars)
		if err != nil {
			return nil, err
		}
		cfg.Secrets, cfg.SecretsFile = vals, ".dev.vars (built in)"
		return cfg, nil
	}
	if err := cfg.loadSecrets(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) validate(path, prefix string, lines *lineIndex) error {
	seen := map[string]string{}
	check := func(kind string, i int, binding string, idKey, id string) error {
		key := fmt.Sprintf("%s%s[%d]", prefix, kind, i)
		line := lines.entry(prefix+kind, i)
		if binding == "" {
			return &Error{File: path, Line: line, Key: key, Msg: `"binding" is required`}
		}
		if idKey != "" && id == "" {
			return &Error{File: path, Line: line, Key: key, Msg: fmt.Sprintf("binding %q has no %q", binding, idKey)}
		}
		if other, dup := seen[binding]; dup {
			return &Error{File: path, Line: line, Key: key,
				Msg: fmt.Sprintf("duplicate binding name %q (already used by %s); binding names must be unique", binding, other)}
		}
		seen[binding] = key
		return nil
	}
	for i, b := range c.KVNamespaces {
		if err := check("kv_namespaces", i, b.Binding, "id", b.ID); err != nil {
			return err
		}
	}
	for i, b := range c.D1Databases {
		if err := check("d1_databases", i, b.Binding, "database_id", b.DatabaseID); err != nil {
			return err
		}
	}
	for i, b := range c.R2Buckets {
		if err := check("r2_buckets", i, b.Binding, "bucket_name", b.BucketName); err != nil {
			return err
		}
	}
	for i, b := range c.Vectorize {
		if err := check("vectorize", i, b.Binding, "index_name", b.IndexName); err != nil {
			return err
		}
		switch b.Metric {
		case "", "cosine", "euclidean", "dot-product":
		default:
			return &Error{File: path, Line: lines.entry(prefix+"vectorize", i), Key: fmt.Sprintf("%svectorize[%d].metric", prefix, i),
				Msg: fmt.Sprintf("unknown metric %q (use cosine, euclidean or dot-product)", b.Metric)}
		}
	}
	if c.AI != nil {
		if c.AI.Binding == "" {
			return &Error{File: path, Line: lines.table(prefix + "ai"), Key: prefix + "ai", Msg: `"binding" is required`}
		}
		if other, dup := seen[c.AI.Binding]; dup {
			return &Error{File: path, Line: lines.table(prefix + "ai"), Key: prefix + "ai",
				Msg: fmt.Sprintf("duplicate binding name %q (already used by %s); binding names must be unique", c.AI.Binding, other)}
		}
	}
	return nil
}

// loadSecrets reads .dev.vars.<env> if it exists, else .dev.vars, next to
// the config file, as wrangler does.
func (c *Config) loadSecrets() error {
	c.Secrets = map[string]string{}
	dir := filepath.Dir(c.Path)
	candidates := []string{filepath.Join(dir, ".dev.vars")}
	if c.Env != "" {
		candidates = append([]string{filepath.Join(dir, ".dev.vars."+c.Env)}, candidates...)
	}
	for _, f := range candidates {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading secrets: %w", err)
		}
		vals, err := ParseDotenv(f, data)
		if err != nil {
			return err
		}
		c.Secrets, c.SecretsFile = vals, f
		return nil
	}
	return nil
}

// Bindings returns vars merged with secrets (secrets win), as a Worker sees them.
func (c *Config) Bindings() map[string]string {
	out := make(map[string]string, len(c.Vars)+len(c.Secrets))
	for k, v := range c.Vars {
		out[k] = v
	}
	for k, v := range c.Secrets {
		out[k] = v
	}
	return out
}

// ParseDotenv parses a .dev.vars file: KEY=value lines, # comments, blank
// lines, optional `export `, and single- or double-quoted values (double
// quotes understand \n, \" and \\).
func ParseDotenv(file string, data []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, &Error{File: file, Line: n, Msg: "expected KEY=value"}
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			v = strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`).Replace(v[1 : len(v)-1])
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			v = v[1 : len(v)-1]
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		out[k] = v
	}
	return out, sc.Err()
}
