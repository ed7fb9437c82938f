package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/kv"
	"jobmatch-edge/runtime"
)

const kvUsage = `edge kv key put KEY [VALUE] --binding NAME [--path FILE] [--ttl SECONDS] [--expiration UNIX] [--metadata JSON]
       edge kv key get KEY --binding NAME [--text]
       edge kv key delete KEY --binding NAME
       edge kv key list --binding NAME [--prefix P] [--limit N]`

// runKV serves `edge kv key ...` on the state dir a server would use. It
// refuses while a server holds the state dir, since both would write it.
func runKV(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "key" {
		return fmt.Errorf("usage:\n  %s", strings.ReplaceAll(kvUsage, "\n", "\n  "))
	}
	op := args[1]
	var (
		c               common
		binding, nsID   string
		path, meta      string
		prefix          string
		ttl, expiration int64
		limit           int
	)
	fs := newFlagSet("kv", kvUsage, stderr)
	c.register(fs)
	fs.StringVar(&binding, "binding", "", "KV binding name from the config (e.g. RATE_LIMITS)")
	fs.StringVar(&nsID, "namespace-id", "", "namespace id, instead of --binding")
	fs.StringVar(&path, "path", "", "put: read the value from this file")
	fs.StringVar(&meta, "metadata", "", "put: metadata as JSON")
	fs.Int64Var(&ttl, "ttl", 0, "put: expiration TTL in seconds (at least 60)")
	fs.Int64Var(&expiration, "expiration", 0, "put: absolute expiration, unix seconds")
	fs.StringVar(&prefix, "prefix", "", "list: only keys starting with this prefix")
	fs.IntVar(&limit, "limit", 0, "list: at most this many keys (default: all)")
	if err := parseFlags(fs, args[2:], getenv); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if nsID == "" {
		for _, b := range cfg.KVNamespaces {
			if b.Binding == binding {
				nsID = b.ID
			}
		}
		if nsID == "" {
			var names []string
			for _, b := range cfg.KVNamespaces {
				names = append(names, b.Binding)
			}
			if binding == "" {
				return fmt.Errorf("pass --binding NAME (one of: %s) or --namespace-id ID", strings.Join(names, ", "))
			}
			return fmt.Errorf("no KV binding %q in env %q of %s (have: %s)", binding, cfg.Env, cfg.Path, strings.Join(names, ", "))
		}
	}
	if err := os.MkdirAll(c.stateDir, 0o755); err != nil {
		return err
	}
	lock, err := emulator.LockStateDir(c.stateDir)
	if err != nil {
		return fmt.Errorf("%w (edge kv works on the files directly; while a server runs, use its REST API: /client/v4/accounts/<id>/storage/kv/namespaces/%s/values/<key>)", err, nsID)
	}
	defer lock.Release()
	svc, err := kv.Open(kv.Options{Dir: filepath.Join(c.stateDir, "kv"), Clock: runtime.SystemClock{}, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer svc.Close()
	ns, err := svc.EnsureNamespace(nsID, binding)
	if err != nil {
		return err
	}
	key := fs.Arg(0)
	needKey := func() error {
		if fs.NArg() < 1 {
			return fmt.Errorf("kv key %s: missing KEY\nusage:\n  %s", op, strings.ReplaceAll(kvUsage, "\n", "\n  "))
		}
		return nil
	}
	switch op {
	case "put":
		if err := needKey(); err != nil {
			return err
		}
		var val []byte
		switch {
		case path != "":
			if val, err = os.ReadFile(path); err != nil {
				return err
			}
		case fs.NArg() >= 2:
			val = []byte(fs.Arg(1))
		default:
			return fmt.Errorf("kv key put: give VALUE or --path FILE")
		}
		o := runtime.KVPutOptions{ExpirationTTL: ttl, Expiration: expiration}
		if meta != "" {
			if !json.Valid([]byte(meta)) {
				return fmt.Errorf("--metadata is not valid JSON: %s", meta)
			}
			o.Metadata = json.RawMessage(meta)
		}
		if err := ns.Put(ctx, key, val, o); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %d bytes to key %q of %s (%s)\n", len(val), key, binding, nsID)
		return nil
	case "get":
		if err := needKey(); err != nil {
			return err
		}
		ent, err := ns.Get(ctx, key)
		if err != nil {
			return err
		}
		_, err = stdout.Write(ent.Value)
		return err
	case "delete":
		if err := needKey(); err != nil {
			return err
		}
		return ns.Delete(ctx, key)
	case "list":
		var all []runtime.KVKey
		cursor := ""
		for {
			res, err := ns.List(ctx, runtime.KVListOptions{Prefix: prefix, Cursor: cursor})
			if err != nil {
				return err
			}
			all = append(all, res.Keys...)
			if res.ListComplete || (limit > 0 && len(all) >= limit) {
				break
			}
			cursor = res.Cursor
		}
		if limit > 0 && len(all) > limit {
			all = all[:limit]
		}
		if all == nil {
			all = []runtime.KVKey{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	default:
		return fmt.Errorf("unknown kv key operation %q\nusage:\n  %s", op, strings.ReplaceAll(kvUsage, "\n", "\n  "))
	}
}
