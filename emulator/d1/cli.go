package d1

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The functions `edge d1 ...` calls. ref is a binding name, database name
// or database id (see Service.Resolve).

// MigrationsList returns the resolved database and its migrations, each
// marked applied or not (`edge d1 migrations list`). It creates the
// migrations table if needed, as wrangler does.
func (s *Service) MigrationsList(ctx context.Context, ref string) (*Database, []MigrationState, error) {
	db, err := s.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	states, err := db.MigrationStates(ctx)
	return db, states, err
}

// MigrationsApply applies the pending migrations of the resolved database
// and returns the names applied (`edge d1 migrations apply`).
func (s *Service) MigrationsApply(ctx context.Context, ref string) (*Database, []string, error) {
	db, err := s.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	names, err := db.ApplyMigrations(ctx)
	return db, names, err
}

// Execute runs sql (one or more statements, as --command or the content of
// --file) on the resolved database atomically and returns one result per
// statement (`edge d1 execute`).
func (s *Service) Execute(ctx context.Context, ref, sql string) ([]Result, error) {
	db, err := s.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return db.runQuery(ctx, Query{SQL: sql}, runMode{each: true})
}

// WriteResults prints results as wrangler's `d1 execute` does: with asJSON
// the JSON array of {results, success, meta}, otherwise a table per
// statement that returned columns.
func WriteResults(w io.Writer, results []Result, asJSON bool) error {
	if asJSON {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i := range results {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeResultJSON(&buf, &results[i], false)
		}
		buf.WriteString("]\n")
		_, err := w.Write(buf.Bytes())
		return err
	}
	for i := range results {
		r := &results[i]
		if len(r.Columns) == 0 {
			fmt.Fprintf(w, "%d row(s) changed, %d row(s) read, %.3f ms\n", r.Meta.Changes, r.Meta.RowsRead, r.Meta.Duration)
			continue
		}
		if err := writeTable(w, r); err != nil {
			return err
		}
	}
	return nil
}

func writeTable(w io.Writer, r *Result) error {
	cells := make([][]string, len(r.Rows)+1)
	cells[0] = r.Columns
	for i, row := range r.Rows {
		cells[i+1] = make([]string, len(row))
		for j, v := range row {
			cells[i+1][j] = cellText(v)
		}
	}
	widths := make([]int, len(r.Columns))
	for _, row := range cells {
		for j, c := range row {
			widths[j] = max(widths[j], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func() {
		b.WriteByte('+')
		for _, wd := range widths {
			b.WriteString(strings.Repeat("-", wd+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	row := func(cs []string) {
		b.WriteByte('|')
		for j, c := range cs {
			b.WriteString(" " + c + strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c)) + " |")
		}
		b.WriteByte('\n')
	}
	line()
	row(cells[0])
	line()
	for _, cs := range cells[1:] {
		row(cs)
	}
	line()
	_, err := io.WriteString(w, b.String())
	return err
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case []byte:
		var buf bytes.Buffer
		writeValue(&buf, x)
		return buf.String()
	case string:
		return strings.ReplaceAll(x, "\n", `\n`)
	default:
		return fmt.Sprint(x)
	}
}
