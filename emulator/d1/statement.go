package d1

import (
	"context"

	"jobmatch-edge/runtime"
)

// Statement is a prepared statement with its bound values
// (runtime.D1PreparedStatement). It is immutable: Bind returns a new one.
type Statement struct {
	db   *Database
	sql  string
	args []any
}

var _ runtime.D1PreparedStatement = (*Statement)(nil)

// Bind implements runtime.D1PreparedStatement.
func (s *Statement) Bind(values ...any) runtime.D1PreparedStatement {
	return &Statement{db: s.db, sql: s.sql, args: append([]any(nil), values...)}
}

func (s *Statement) run(ctx context.Context, firstOnly bool) (Result, error) {
	res, err := s.db.runQuery(ctx, Query{SQL: s.sql, Args: s.args}, runMode{firstOnly: firstOnly})
	if err != nil {
		return Result{}, err
	}
	return res[len(res)-1], nil
}

// First implements runtime.D1PreparedStatement.
func (s *Statement) First(ctx context.Context) (map[string]any, error) {
	r, err := s.run(ctx, true)
	if err != nil || len(r.Rows) == 0 {
		return nil, err
	}
	return r.Objects()[0], nil
}

// FirstColumn implements runtime.D1PreparedStatement.
func (s *Statement) FirstColumn(ctx context.Context, col string) (any, error) {
	r, err := s.run(ctx, true)
	if err != nil || len(r.Rows) == 0 {
		return nil, err
	}
	found := false
	var v any
	for i, c := range r.Columns {
		if c == col {
			found, v = true, r.Rows[0][i]
		}
	}
	if !found {
		return nil, &runtime.D1Error{Kind: runtime.D1KindColumnNotFound, Message: "Column not found (" + col + ")"}
	}
	return v, nil
}

// All implements runtime.D1PreparedStatement.
func (s *Statement) All(ctx context.Context) (runtime.D1Result, error) {
	r, err := s.run(ctx, false)
	if err != nil {
		return runtime.D1Result{}, err
	}
	return r.D1Result(), nil
}

// Run implements runtime.D1PreparedStatement.
func (s *Statement) Run(ctx context.Context) (runtime.D1Result, error) { return s.All(ctx) }

// Raw implements runtime.D1PreparedStatement.
func (s *Statement) Raw(ctx context.Context, opts runtime.D1RawOptions) ([][]any, error) {
	r, err := s.run(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([][]any, 0, len(r.Rows)+1)
	if opts.ColumnNames {
		names := make([]any, len(r.Columns))
		for i, c := range r.Columns {
			names[i] = c
		}
		out = append(out, names)
	}
	return append(out, r.Rows...), nil
}
