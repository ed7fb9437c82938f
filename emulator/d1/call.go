package d1

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"jobmatch-edge/emulator/internal/store"
	"jobmatch-edge/runtime"
)

// call is one binding, REST, CLI or migration call holding a connection.
// Its statements are interrupted (through the connection's interrupt check,
// policy.interrupted) once its context ends or it has run for
// Limits.QueryDuration.
type call struct {
	ctx      context.Context
	clock    runtime.Clock
	deadline time.Time   // zero: no limit
	ended    atomic.Bool // ctx is done; set from context.AfterFunc's goroutine
	stopped  error       // why a statement was interrupted: errCallEnded or errCallTimeout (connection goroutine only)
}

// Reasons a call's statement was interrupted.
var (
	errCallEnded   = errors.New("d1: the call's context ended")
	errCallTimeout = errors.New("d1: the call ran past the query duration limit")
)

// on runs fn as one call on c, then resets the connection's per-call state.
func (db *Database) on(ctx context.Context, c *store.Conn, fn func() error) error {
	p := policyOf(c)
	k := &call{ctx: ctx, clock: db.svc.clock}
	if d := db.svc.limits.QueryDuration; d > 0 {
		k.deadline = k.clock.Now().Add(d)
	}
	stop := context.AfterFunc(ctx, func() { k.ended.Store(true) })
	p.call = k
	defer func() {
		stop()
		p.call = nil
		afterCall(c)
	}()
	return fn()
}

// read runs fn as one call on a reader.
func (db *Database) read(ctx context.Context, fn func(*store.Conn) error) error {
	return db.closedErr(db.sq.Read(ctx, func(c *store.Conn) error {
		return db.on(ctx, c, func() error { return fn(c) })
	}))
}

// write runs fn as one call on the writer.
func (db *Database) write(ctx context.Context, fn func(*store.Conn) error) error {
	return db.closedErr(db.sq.Write(ctx, func(c *store.Conn) error {
		return db.on(ctx, c, func() error { return fn(c) })
	}))
}

// closedErr reports a call on a closed database as a D1 error.
func (db *Database) closedErr(err error) error {
	if errors.Is(err, store.ErrClosed) && !errors.As(err, new(*runtime.D1Error)) {
		return &runtime.D1Error{Kind: runtime.D1KindError, Message: fmt.Sprintf("Database %s is closed", db.info.UUID), Err: err}
	}
	return err
}

// interruptErr is D1's error for a statement the call's interrupt check
// stopped (se is SQLite's SQLITE_INTERRUPT), or nil if the check did not
// stop it.
func interruptErr(p *policy, se *store.Error) error {
	k := p.call
	if k == nil || k.stopped == nil {
		return nil
	}
	if k.stopped == errCallTimeout {
		// Differs from Cloudflare: only this call fails; D1 resets the
		// database object and fails every pending query with this text.
		return &runtime.D1Error{Kind: runtime.D1KindError, Message: msgQueryTimeout, Err: errors.Join(se, errCallTimeout)}
	}
	// The caller has gone: SQLite's own report, with the context's cause.
	return &runtime.D1Error{Kind: runtime.D1KindError, Message: se.Error(), Err: errors.Join(se, context.Cause(k.ctx))}
}
