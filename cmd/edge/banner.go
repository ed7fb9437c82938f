package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"jobmatch-edge/emulator"
)

// printBanner says, once, what is served where.
func printBanner(w io.Writer, em *emulator.Emulator, base string, extra []emulator.Listener, withAPI bool) {
	o := em.Options()
	cfgName := o.Config.Path
	env := o.Config.Env
	if env == "" {
		env = "(top level)"
	}
	fmt.Fprintf(w, "edge %s: Cloudflare, offline, serving %s (env %s, config %s)\n", version, o.Config.Name, env, cfgName)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  listening\t%s\n", base)
	if o.PublicURL != base {
		fmt.Fprintf(tw, "  public url\t%s\n", o.PublicURL)
	}
	fmt.Fprintf(tw, "  state\t%s\n", stateLabel(o.StateDir, o.InMemory))
	fmt.Fprintf(tw, "  account\t%s\n", o.AccountID)
	fmt.Fprintln(tw, "  bindings")
	for _, b := range em.Bindings() {
		if b.Kind == "ai" && em.AI != nil {
			b.Details = "backend: " + em.AI.Status()
		}
		detail := b.ID
		if b.Details != "" {
			if detail != "" {
				detail += "  "
			}
			detail += "(" + b.Details + ")"
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", kindLabel(b.Kind), b.Name, detail)
	}
	fmt.Fprintln(tw, "  surfaces")
	if withAPI {
		fmt.Fprintf(tw, "    %s\t%s\n", "JobMatch API", base+"/health, "+base+"/api/*")
	}
	for _, s := range em.Surfaces(base) {
		fmt.Fprintf(tw, "    %s\t%s\n", s.Name, s.URL)
	}
	for _, x := range extra {
		line := x.URL
		if x.Note != "" {
			line += "  " + x.Note
		}
		fmt.Fprintf(tw, "    %s\t%s\n", x.Name, line)
	}
	if em.Auth != nil {
		fmt.Fprintf(tw, "  demo user\t%s / %s  (a token for curl: edge token --email %s)\n", demoEmail, demoPassword, demoEmail)
		vars := em.Env().Vars
		fmt.Fprintf(tw, "  supabase keys\tanon %s  service role %s\n", vars["SUPABASE_ANON_KEY"], vars["SUPABASE_SERVICE_ROLE_KEY"])
		hint := ""
		if !o.InMemory {
			hint = "  (edge secrets --state-dir " + o.StateDir + " prints these)"
		}
		fmt.Fprintf(tw, "  jwt secret\t%s%s\n", vars["SUPABASE_JWT_SECRET"], hint)
	}
	tw.Flush()
	fmt.Fprintln(w, "ready: press Ctrl-C to stop (in-flight requests drain, stores close cleanly)")
}

func kindLabel(kind string) string {
	switch kind {
	case "kv":
		return "KV"
	case "d1":
		return "D1"
	case "r2":
		return "R2"
	case "ai":
		return "AI"
	default:
		return strings.ToUpper(kind[:1]) + kind[1:]
	}
}
