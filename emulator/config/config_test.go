package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/config"
	"jobmatch-edge/fixtures"
)

func TestShippedConfigLoadsForEveryEnv(t *testing.T) {
	for _, tc := range []struct {
		env, name, db, dbID, index, bucket, kvRate string
	}{
		{"development", "jobmatch-ai-dev", "jobmatch-dev", "8140efd5-9912-4e31-981d-0566f1efe9dc", "jobmatch-ai-dev", "jobmatch-ai-dev-avatars", "cd10223d"},
		{"staging", "jobmatch-ai-staging", "jobmatch-staging", "84b09169-503f-4e40-91c1-b3828272c2e3", "jobmatch-ai-staging", "jobmatch-ai-staging-avatars", "0050a045"},
		{"production", "jobmatch-ai-prod", "jobmatch-prod", "06159734-6a06-4c4c-89f6-267e47cb8d30", "jobmatch-ai-prod", "jobmatch-ai-prod-avatars", "77e3e79d"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			c, err := config.ParseBuiltin(fixtures.WranglerPath, fixtures.WranglerTOML, tc.env, fixtures.DevVars)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tc.name {
				t.Errorf("name = %q, want %q", c.Name, tc.name)
			}
			var kv []string
			for _, b := range c.KVNamespaces {
				kv = append(kv, b.Binding)
				if len(b.ID) != 32 {
					t.Errorf("KV %s id %q is not 32 hex digits", b.Binding, b.ID)
				}
				if b.Binding == "RATE_LIMITS" && !strings.HasPrefix(b.ID, tc.kvRate) {
					t.Errorf("RATE_LIMITS id %q, want prefix %q", b.ID, tc.kvRate)
				}
			}
			wantKV := []string{"JOB_ANALYSIS_CACHE", "SESSIONS", "RATE_LIMITS", "OAUTH_STATES", "EMBEDDINGS_CACHE", "AI_GATEWAY_CACHE"}
			if d := cmp.Diff(wantKV, kv); d != "" {
				t.Errorf("KV bindings (-want +got):\n%s", d)
			}
			if len(c.D1Databases) != 1 || c.D1Databases[0].Binding != "DB" || c.D1Databases[0].DatabaseName != tc.db || c.D1Databases[0].DatabaseID != tc.dbID {
				t.Errorf("D1 = %+v", c.D1Databases)
			}
			var r2 []string
			for _, b := range c.R2Buckets {
				r2 = append(r2, b.Binding+"="+b.BucketName)
			}
			if len(r2) != 3 || r2[0] != "AVATARS="+tc.bucket {
				t.Errorf("R2 = %v", r2)
			}
			if d := cmp.Diff([]config.Vectorize{{Binding: "VECTORIZE", IndexName: tc.index, Dimensions: 768, Metric: "cosine"}}, c.Vectorize); d != "" {
				t.Errorf("vectorize (-want +got):\n%s", d)
			}
			if c.AI == nil || c.AI.Binding != "AI" {
				t.Errorf("AI = %+v", c.AI)
			}
			wantVars := map[string]string{"ENVIRONMENT": tc.env, "CLOUDFLARE_ACCOUNT_ID": "280c58ea17d9fe3235c33bd0a52a256b", "AI_GATEWAY_SLUG": "jobmatch-ai-gateway-dev"}
			if d := cmp.Diff(wantVars, c.Vars); d != "" {
				t.Errorf("vars (-want +got):\n%s", d)
			}
			if c.Secrets["SUPABASE_ANON_KEY"] == "" || c.Bindings()["ENVIRONMENT"] != tc.env {
				t.Errorf("secrets not merged: %v", c.Bindings())
			}
			if c.Edge.Gateways["jobmatch-ai-gateway-dev"].CacheTTL != 3600 {
				t.Errorf("gateway settings not inherited: %+v", c.Edge)
			}
		})
	}
}

func TestTopLevelHasNoInheritedBindings(t *testing.T) {
	c, err := config.ParseBuiltin(fixtures.WranglerPath, fixtures.WranglerTOML, "", fixtures.DevVars)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.KVNamespaces)+len(c.D1Databases)+len(c.R2Buckets)+len(c.Vectorize)+len(c.Vars) != 0 {
		t.Errorf("top level should declare no KV/D1/R2/Vectorize/vars, got %+v", c)
	}
	if c.AI == nil || c.Name != "jobmatch-ai" {
		t.Errorf("top level: AI %+v name %q", c.AI, c.Name)
	}
}

func TestInheritance(t *testing.T) {
	const file = `name = "app"
main = "src/index.ts"
compatibility_date = "2024-12-01"
account_id = "acc"

[vars]
TOP = "1"

[[kv_namespaces]]
binding = "TOPKV"
id = "aaa"

[env.dev]

[env.prod]
name = "app-production"
compatibility_date = "2025-01-01"
[env.prod.vars]
ONLY = "prod"
`
	for _, tc := range []struct {
		env  string
		want config.Config
	}{
		{"dev", config.Config{Name: "app-dev", Main: "src/index.ts", CompatibilityDate: "2024-12-01", AccountID: "acc", Vars: map[string]string{}}},
		{"prod", config.Config{Name: "app-production", Main: "src/index.ts", CompatibilityDate: "2025-01-01", AccountID: "acc", Vars: map[string]string{"ONLY": "prod"}}},
		{"", config.Config{Name: "app", Main: "src/index.ts", CompatibilityDate: "2024-12-01", AccountID: "acc", Vars: map[string]string{"TOP": "1"},
			KVNamespaces: []config.KVNamespace{{Binding: "TOPKV", ID: "aaa"}}}},
	} {
		t.Run("env="+tc.env, func(t *testing.T) {
			c, err := config.Parse(filepath.Join(t.TempDir(), "wrangler.toml"), []byte(file), tc.env)
			if err != nil {
				t.Fatal(err)
			}
			got := config.Config{Name: c.Name, Main: c.Main, CompatibilityDate: c.CompatibilityDate, AccountID: c.AccountID, Vars: c.Vars, KVNamespaces: c.KVNamespaces}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, env, want string
	}{
		{"malformed TOML", "name = \"x\"\nport = 80 80\n", "", `wrangler.toml:2: malformed TOML: expected a top-level item to end with a newline, comment, or EOF, but got '8' instead`},
		{"malformed string", "name = \"x\"\n\nmain = \"open\n", "", `wrangler.toml:3: malformed TOML: strings cannot contain newlines`},
		{"unknown env", "[env.dev]\n[env.prod]\n", "staging", `wrangler.toml: env: no environment named "staging" (the file defines: dev, prod)`},
		{"unknown env, none defined", "name = \"x\"\n", "development", `wrangler.toml: env: no environment named "development" (none are defined)`},
		{"kv without binding", "[env.dev]\n\n[[env.dev.kv_namespaces]]\nid = \"abc\"\n", "dev", `wrangler.toml:3: env.dev.kv_namespaces[0]: "binding" is required`},
		{"kv without id", "[[kv_namespaces]]\nbinding = \"A\"\nid = \"1\"\n\n[[kv_namespaces]]\nbinding = \"B\"\n", "", `wrangler.toml:5: kv_namespaces[1]: binding "B" has no "id"`},
		{"d1 without id", "d1_databases = [ { binding = \"DB\", database_name = \"x\" } ]\n", "", `wrangler.toml:1: d1_databases[0]: binding "DB" has no "database_id"`},
		{"r2 without bucket", "[[r2_buckets]]\nbinding = \"B\"\n", "", `wrangler.toml:1: r2_buckets[0]: binding "B" has no "bucket_name"`},
		{"vectorize without index", "[[vectorize]]\nbinding = \"V\"\n", "", `wrangler.toml:1: vectorize[0]: binding "V" has no "index_name"`},
		{"vectorize bad metric", "[[vectorize]]\nbinding = \"V\"\nindex_name = \"i\"\nmetric = \"manhattan\"\n", "", `wrangler.toml:1: vectorize[0].metric: unknown metric "manhattan" (use cosine, euclidean or dot-product)`},
		{"ai without binding", "[ai]\n", "", `wrangler.toml:1: ai: "binding" is required`},
		{"duplicate across kinds", "[[kv_namespaces]]\nbinding = \"X\"\nid = \"1\"\n\n[[r2_buckets]]\nbinding = \"X\"\nbucket_name = \"b\"\n", "",
			`wrangler.toml:5: r2_buckets[0]: duplicate binding name "X" (already used by kv_namespaces[0]); binding names must be unique`},
		{"duplicate kv", "[env.e]\n[[env.e.kv_namespaces]]\nbinding = \"X\"\nid = \"1\"\n[[env.e.kv_namespaces]]\nbinding = \"X\"\nid = \"2\"\n", "e",
			`wrangler.toml:5: env.e.kv_namespaces[1]: duplicate binding name "X" (already used by env.e.kv_namespaces[0]); binding names must be unique`},
		{"duplicate with ai", "[ai]\nbinding = \"X\"\n[[kv_namespaces]]\nbinding = \"X\"\nid = \"1\"\n", "",
			`wrangler.toml:1: ai: duplicate binding name "X" (already used by kv_namespaces[0]); binding names must be unique`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("wrangler.toml", []byte(tc.file), tc.env)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

func TestDevVars(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wrangler.toml")
	must(t, os.WriteFile(path, []byte("[env.staging]\n[env.development]\n[vars]\nA = \"var\"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, ".dev.vars"), []byte("# comment\nexport A=secret\nB=\"two\\nlines\"\nC='single # kept'\nD=plain # comment\n\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, ".dev.vars.staging"), []byte("S=staging-only\n"), 0o644))

	c, err := config.Load(path, "")
	must(t, err)
	want := map[string]string{"A": "secret", "B": "two\nlines", "C": "single # kept", "D": "plain"}
	if d := cmp.Diff(want, c.Secrets); d != "" {
		t.Errorf(".dev.vars (-want +got):\n%s", d)
	}
	if c.Bindings()["A"] != "secret" {
		t.Errorf("secrets must win over vars: %v", c.Bindings())
	}
	// .dev.vars.<env> replaces .dev.vars for that environment, as in wrangler.
	c, err = config.Load(path, "staging")
	must(t, err)
	if d := cmp.Diff(map[string]string{"S": "staging-only"}, c.Secrets); d != "" {
		t.Errorf(".dev.vars.staging (-want +got):\n%s", d)
	}
	c, err = config.Load(path, "development")
	must(t, err)
	if c.Secrets["A"] != "secret" {
		t.Errorf("development falls back to .dev.vars: %v", c.Secrets)
	}

	_, err = config.ParseDotenv("x.vars", []byte("OK=1\nnot a pair\n"))
	if err == nil || err.Error() != "x.vars:2: expected KEY=value" {
		t.Errorf("bad line: %v", err)
	}
	_, err = config.Load(filepath.Join(dir, "missing.toml"), "")
	if err == nil || !strings.Contains(err.Error(), "pass --config with the path of a wrangler.toml") {
		t.Errorf("missing file: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
