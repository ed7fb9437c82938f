package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"jobmatch-edge/emulator/config"
	"jobmatch-edge/emulator/d1"
	"jobmatch-edge/migrations"
)

// defaultMigrationsBinding is the binding whose migrations default to the
// embedded JobMatch schema when wrangler.toml sets no migrations_dir.
const defaultMigrationsBinding = "DB"

func (e *Emulator) openD1() error {
	svc, err := openD1Service(e.opts, e.dir("d1"))
	if err != nil {
		return err
	}
	e.D1 = svc
	e.onClose(svc.Close)
	log := e.log.With("svc", "d1")
	for _, b := range e.opts.Config.D1Databases {
		db, err := svc.Resolve(b.DatabaseID)
		if err != nil {
			return err
		}
		e.env.D1[b.Binding] = db
		if e.opts.NoMigrate || db.Info().Migrations == nil {
			continue
		}
		names, err := db.ApplyMigrations(context.Background())
		for _, n := range names {
			log.Info("applied D1 migration", "binding", b.Binding, "database", b.DatabaseName, "migration", n)
		}
		if err != nil {
			return fmt.Errorf("D1 %s (%s): applying migrations: %w", b.Binding, b.DatabaseName, err)
		}
		if len(names) == 0 {
			log.Debug("D1 migrations up to date", "binding", b.Binding, "database", b.DatabaseName)
		}
	}
	return nil
}

// openD1Service opens the D1 service on dir and ensures every database of
// the configuration, with its migrations source.
func openD1Service(opts Options, dir string) (*d1.Service, error) {
	svc, err := d1.Open(d1.Options{
		Dir: dir, InMemory: opts.InMemory, Sync: opts.Sync,
		Clock: opts.Clock, Logger: opts.Logger.With("svc", "d1"),
		TemplateDir: d1TemplateDir(opts),
	})
	if err != nil {
		return nil, fmt.Errorf("opening D1: %w", err)
	}
	for _, b := range opts.Config.D1Databases {
		src, err := migrationSource(opts.Config, b)
		if err != nil {
			_ = svc.Close()
			return nil, err
		}
		if _, err := svc.EnsureDatabase(d1.Info{UUID: b.DatabaseID, Name: b.DatabaseName, Binding: b.Binding, Migrations: src}); err != nil {
			_ = svc.Close()
			return nil, fmt.Errorf("D1 database %s (%s): %w", b.Binding, b.DatabaseID, err)
		}
	}
	return svc, nil
}

// d1TemplateDir is where in-memory databases find their migrated templates
// (d1.Options.TemplateDir): jobmatch-edge/ in the user's cache directory
// ($XDG_CACHE_HOME, else ~/.cache), "" when there is none. Only an
// in-memory start uses them; a state dir is migrated once and kept.
func d1TemplateDir(opts Options) string {
	if !opts.InMemory {
		return ""
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "jobmatch-edge")
}

// migrationSource resolves a binding's migrations: migrations_dir relative
// to the wrangler.toml, or for DB without one the embedded JobMatch schema.
//
// Differs from wrangler: other bindings without migrations_dir have no
// migrations (wrangler would look for ./migrations).
func migrationSource(cfg *config.Config, b config.D1Database) (*d1.MigrationSource, error) {
	if b.MigrationsDir == "" {
		if b.Binding != defaultMigrationsBinding {
			return nil, nil
		}
		return &d1.MigrationSource{FS: migrations.FS, Dir: "embedded JobMatch schema", Table: b.MigrationsTable}, nil
	}
	dir := b.MigrationsDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(cfg.Path), dir)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("D1 %s: migrations_dir %s: %w", b.Binding, dir, errors.Join(err, errors.New("not a directory")))
	}
	return &d1.MigrationSource{FS: os.DirFS(dir), Dir: dir, Table: b.MigrationsTable}, nil
}

// D1Admin is the D1 service alone, opened on a state dir for the
// `edge d1 ...` commands (migrations list/apply, execute) while no server
// holds it. Its methods are d1.Service's: MigrationsList, MigrationsApply,
// Execute.
type D1Admin struct {
	*d1.Service
	lock *StateLock
}

// OpenD1Admin opens the D1 databases of opts.Config on opts.StateDir
// (taking the state-dir lock; nothing else is opened and no migration is
// applied).
func OpenD1Admin(opts Options) (*D1Admin, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Emulator{opts: opts}
	a := &D1Admin{}
	if a.lock, err = lockState(opts); err != nil {
		return nil, err
	}
	svc, err := openD1Service(opts, e.dir("d1"))
	if err != nil {
		_ = a.lock.Release()
		return nil, err
	}
	a.Service = svc
	return a, nil
}

// Close closes the databases and releases the state dir.
func (a *D1Admin) Close() error {
	err := a.Service.Close()
	return errors.Join(err, a.lock.Release())
}
