package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/config"
	"jobmatch-edge/emulator/supabase"
	"jobmatch-edge/runtime"
)

// Demo user seeded by `edge serve`, printed in the banner.
const (
	demoEmail    = "demo@jobmatch.local"
	demoPassword = "jobmatch-demo"
)

const tokenUsage = "edge token --email EMAIL [--password P] [--url http://127.0.0.1:8787] [--json]"

// runToken prints an access token for a local user, creating the user if
// needed. It asks a running server (--url) first; with none running, it
// works on the state dir directly.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		c                   common
		email, password     string
		serverURL, apiToken string
		asJSON              bool
	)
	fs := newFlagSet("token", tokenUsage, stderr)
	c.register(fs)
	fs.StringVar(&email, "email", "", "the user's email (created if it does not exist)")
	fs.StringVar(&password, "password", "", "the user's password (checked for an existing user; set for a new one)")
	fs.StringVar(&serverURL, "url", "http://127.0.0.1:8787", "a running edge server to ask first")
	fs.StringVar(&apiToken, "api-token", "", "the server's --api-token, if it has one")
	fs.BoolVar(&asJSON, "json", false, "print the whole session as JSON instead of the access token")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if email == "" {
		return fmt.Errorf("--email is required\nusage: %s", tokenUsage)
	}
	sess, err := tokenFromServer(ctx, serverURL, apiToken, email, password)
	if errors.Is(err, syscall.ECONNREFUSED) {
		sess, err = tokenFromStateDir(c, serverURL, email, password, stderr)
	}
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sess)
	}
	_, err = fmt.Fprintln(stdout, sess.AccessToken)
	return err
}

func tokenFromServer(ctx context.Context, base, apiToken, email, password string) (*supabase.Session, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/_edge/token", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if apiToken != "" {
		req.Header.Set("Authorization", "Bearer "+apiToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var env struct {
		Success bool                `json:"success"`
		Errors  []runtime.ErrorItem `json:"errors"`
		Result  *supabase.Session   `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return nil, fmt.Errorf("%s did not answer like edge (HTTP %d): %w", base, resp.StatusCode, err)
	}
	if !env.Success || env.Result == nil {
		if len(env.Errors) > 0 {
			return nil, fmt.Errorf("%s: %s", base, env.Errors[0].Message)
		}
		return nil, fmt.Errorf("%s: HTTP %d", base, resp.StatusCode)
	}
	return env.Result, nil
}

// tokenFromStateDir opens the state dir's auth stand-in itself, with the
// secrets the server uses (the state dir's, or the config's own); the
// token's issuer is origin's, the server it would have asked.
func tokenFromStateDir(c common, origin, email, password string, stderr io.Writer) (*supabase.Session, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.stateDir, 0o755); err != nil {
		return nil, err
	}
	lock, err := emulator.LockStateDir(c.stateDir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	vars, err := stateVars(cfg, origin, c.stateDir, true)
	if err != nil {
		return nil, err
	}
	svc, err := supabase.Open(supabase.Options{
		Dir: c.stateDir, Clock: runtime.SystemClock{}, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		JWTSecret: vars["SUPABASE_JWT_SECRET"], AnonKey: vars["SUPABASE_ANON_KEY"], ServiceRoleKey: vars["SUPABASE_SERVICE_ROLE_KEY"],
		Issuer: strings.TrimRight(vars["SUPABASE_URL"], "/") + "/auth/v1",
	})
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	return svc.Token(email, password)
}

// stateVars is cfg's vars as a server on stateDir at origin sees them.
func stateVars(cfg *config.Config, origin, stateDir string, writable bool) (map[string]string, error) {
	secrets, err := emulator.OpenSecrets(stateDir, writable)
	if err != nil {
		return nil, err
	}
	return emulator.ResolveVars(cfg.Bindings(), strings.TrimRight(origin, "/"), secrets)
}

const secretsUsage = "edge secrets [--state-dir DIR] [--config wrangler.toml] [--env NAME]"

// secretVars are what `edge secrets` prints: what a client or a script
// needs to talk to the Supabase Auth stand-in, or to mint its own tokens.
var secretVars = []string{"SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_JWT_SECRET"}

// runSecrets prints the Supabase Auth stand-in's keys and JWT secret for a
// state dir, as KEY=value lines: the ones edge made for it (made now if
// none exist yet), or the ones the configuration sets itself. It reads
// them while a server holds the state dir.
func runSecrets(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("secrets", secretsUsage, stderr)
	c.register(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("secrets takes no arguments, got %q\nusage: %s", fs.Args(), secretsUsage)
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg.Bindings()["SUPABASE_JWT_SECRET"] == "" {
		return fmt.Errorf("%s sets no SUPABASE_JWT_SECRET (in .dev.vars): the Supabase Auth stand-in is off", cfg.Path)
	}
	if err := os.MkdirAll(c.stateDir, 0o755); err != nil {
		return err
	}
	writable := true
	lock, err := emulator.LockStateDir(c.stateDir)
	switch {
	case errors.Is(err, emulator.ErrStateDirBusy):
		writable = false // the server made them when it started
	case err != nil:
		return err
	default:
		defer lock.Release()
	}
	vars, err := stateVars(cfg, emulator.DefaultPublicURL, c.stateDir, writable)
	if err != nil {
		return err
	}
	for _, k := range secretVars {
		if v, ok := vars[k]; ok {
			fmt.Fprintf(stdout, "%s=%s\n", k, v)
		}
	}
	return nil
}
