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
		sess, err = tokenFromStateDir(c, email, password, stderr)
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

func tokenFromStateDir(c common, email, password string, stderr io.Writer) (*supabase.Session, error) {
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
	vars := cfg.Bindings()
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
