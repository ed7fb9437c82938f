// Command edge stands in for Cloudflare on a laptop or a CI runner: Workers
// KV, D1, R2, Vectorize, Workers AI and AI Gateway, with the Cloudflare REST
// API for them, and the JobMatch AI API on top, all in one offline process.
//
//	edge [serve] [flags]     serve everything (the default)
//	edge version             print the version
//	edge kv key put|get|delete|list --binding NAME ...
//	edge token --email EMAIL [--password P]
//	edge secrets [--state-dir DIR]
//
// Run `edge --help` or `edge <command> --help` for the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "edge: %s received, draining in-flight requests and closing stores (send it again to exit at once)\n", sig)
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "edge: second signal, exiting now")
		os.Exit(130)
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	cancel()
	if err != nil && !errors.Is(err, pflag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "edge:", err)
		os.Exit(1)
	}
}

// run is the whole program: it parses args (with EDGE_* defaults read through
// getenv), runs the command and returns its error. It never exits.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "edge %s\n", version)
		return nil
	case "kv":
		return runKV(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "secrets":
		return runSecrets(ctx, rest, getenv, stdout, stderr)
	case "tail":
		return runTail(ctx, rest, getenv, stdout, stderr)
	case "d1":
		return runD1(ctx, rest, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, topUsage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n\n%s", cmd, topUsage)
	}
}

const topUsage = `edge: Cloudflare (KV, D1, R2, Vectorize, Workers AI, AI Gateway) and the JobMatch API, offline.

Usage:
  edge [serve] [flags]                        serve every surface (default command)
  edge version                                print the version
  edge kv key put|get|delete|list [flags]     read and write a KV namespace's state
  edge token --email EMAIL [--password P]     print an access token for a local user (created if needed)
  edge secrets [--state-dir DIR]              print the Supabase Auth stand-in's keys and JWT secret
  edge tail [--format pretty|json] [filters]  stream a running server's Worker logs, like wrangler tail
  edge d1 migrations list|apply <database>    list or apply a D1 database's migrations
  edge d1 execute <database> --command SQL    run SQL (or --file F) against a D1 database [--json]

Run 'edge <command> --help' for a command's flags.
`
