package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/d1"
)

const d1Usage = `edge d1 migrations list <binding|name>
       edge d1 migrations apply <binding|name>
       edge d1 execute <binding|name> (--command SQL | --file F) [--json]`

// runD1 serves `edge d1 ...` on the state dir a server would use, like
// `wrangler d1 ... --local`.
func runD1(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	usage := fmt.Errorf("usage:\n  %s", strings.ReplaceAll(d1Usage, "\n", "\n  "))
	if len(args) == 0 {
		return usage
	}
	var (
		c             common
		command, file string
		asJSON        bool
		op            string
		rest          []string
	)
	switch {
	case args[0] == "migrations" && len(args) >= 2 && (args[1] == "list" || args[1] == "apply"):
		op, rest = "migrations "+args[1], args[2:]
	case args[0] == "execute":
		op, rest = "execute", args[1:]
	default:
		return usage
	}
	fs := newFlagSet("d1", d1Usage, stderr)
	c.register(fs)
	if op == "execute" {
		fs.StringVar(&command, "command", "", "SQL to run")
		fs.StringVar(&file, "file", "", "a file of SQL to run")
		fs.BoolVar(&asJSON, "json", false, "print results as JSON")
	}
	if err := parseFlags(fs, rest, getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("edge d1 %s: name one database (its binding, name or id)\n%v", op, usage)
	}
	ref := fs.Arg(0)
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	admin, err := emulator.OpenD1Admin(emulator.Options{Config: cfg, StateDir: c.stateDir})
	if err != nil {
		return err
	}
	defer admin.Close()

	switch op {
	case "migrations list":
		db, states, err := admin.MigrationsList(ctx, ref)
		if err != nil {
			return err
		}
		info := db.Info()
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "Migrations of %s (%s) from %s:\n", info.Name, info.Binding, info.Migrations.Dir)
		pending := 0
		for _, s := range states {
			status := "applied " + s.AppliedAt
			if !s.Applied {
				status = "pending"
				pending++
			}
			fmt.Fprintf(tw, "  %s\t%s\n", s.Name, status)
		}
		fmt.Fprintf(tw, "%d pending\n", pending)
		return tw.Flush()
	case "migrations apply":
		db, applied, err := admin.MigrationsApply(ctx, ref)
		for _, name := range applied {
			fmt.Fprintf(stdout, "applied %s\n", name)
		}
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintf(stdout, "no pending migrations for %s\n", db.Info().Name)
		}
		return nil
	default: // execute
		sql := command
		switch {
		case command != "" && file != "":
			return fmt.Errorf("edge d1 execute: give --command or --file, not both")
		case file != "":
			data, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			sql = string(data)
		case command == "":
			return fmt.Errorf("edge d1 execute: give --command SQL or --file F")
		}
		res, err := admin.Execute(ctx, ref, sql)
		if err != nil {
			return err
		}
		return d1.WriteResults(stdout, res, asJSON)
	}
}
