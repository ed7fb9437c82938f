package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"jobmatch-edge/emulator/config"
	"jobmatch-edge/fixtures"
)

// common holds the flags every command that reads state shares.
type common struct {
	config   string
	env      string
	stateDir string
}

func (c *common) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "path of a wrangler.toml (default: JobMatch's, built in from fixtures/wrangler.toml)")
	fs.StringVar(&c.env, "env", "development", `wrangler environment to use ([env.NAME]); "" for the top level`)
	fs.StringVar(&c.stateDir, "state-dir", ".edge", "directory holding all state (KV, D1, R2, Vectorize, gateway cache, auth)")
}

// loadConfig reads --config (or the built-in JobMatch configuration) for --env.
func (c *common) loadConfig() (*config.Config, error) {
	if c.config == "" {
		return config.ParseBuiltin(fixtures.WranglerPath, fixtures.WranglerTOML, c.env, fixtures.DevVars)
	}
	return config.Load(c.config, c.env)
}

// newFlagSet makes a flag set whose --help lists every flag with its default
// and its EDGE_* variable.
func newFlagSet(name, synopsis string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\nFlags (each also settable as EDGE_<NAME>, e.g. --state-dir as EDGE_STATE_DIR; a flag wins over the variable):\n", synopsis)
		fs.VisitAll(func(f *pflag.Flag) {
			typ, usage := pflag.UnquoteUsage(f)
			def := f.DefValue
			if f.Value.Type() == "string" {
				def = fmt.Sprintf("%q", def)
			}
			fmt.Fprintf(stderr, "  --%s %s\n      %s (default %s; env %s)\n", f.Name, typ, usage, def, envName(f.Name))
		})
	}
	return fs
}

func envName(flag string) string {
	return "EDGE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// parseFlags parses args, then fills every flag not given on the command
// line from its EDGE_* variable (flag > environment > default).
func parseFlags(fs *pflag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	return err
}
