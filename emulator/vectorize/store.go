package vectorize

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// store is one index's SQLite database: its config, metadata indexes and
// vectors (values as little-endian float32 BLOBs). It is only written under
// the index's write lock and only read at start, so it has one connection.
type store struct {
	db   *sql.DB
	path string // "" when in memory
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS metadata_indexes (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	property TEXT NOT NULL UNIQUE,
	type     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
	id        TEXT PRIMARY KEY,
	namespace TEXT NOT NULL DEFAULT '',
	vals      BLOB NOT NULL,
	metadata  TEXT,
	indexed   TEXT
);
`

// openStore opens (creating if needed) the database at path, or a private
// in-memory database when path is "".
func openStore(path string, syncWrites bool) (*store, error) {
	dsn := ":memory:"
	if path != "" {
		sync := "NORMAL"
		if syncWrites {
			sync = "FULL"
		}
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=busy_timeout(5000)&_txlock=immediate"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One connection: an in-memory database lives only as long as it, and
	// every write already runs under the index's lock.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.Exec(schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("creating schema in %s: %w", displayPath(path), err)
	}
	return &store{db: db, path: path}, nil
}

func displayPath(path string) string {
	if path == "" {
		return "memory"
	}
	return path
}

func (s *store) close() error { return s.db.Close() }

// remove closes the database and deletes its files.
func (s *store) remove() error {
	err := s.db.Close()
	if s.path != "" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if rmErr := os.Remove(s.path + suffix); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
				err = errors.Join(err, rmErr)
			}
		}
	}
	return err
}

// indexMeta is what the meta table holds.
type indexMeta struct {
	Name         string
	Description  string
	Config       IndexConfig
	CreatedOn    time.Time
	ModifiedOn   time.Time
	LastMutation string
	ProcessedAt  *time.Time
}

func (s *store) saveMeta(ctx context.Context, m indexMeta) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for k, v := range map[string]string{
		"name":        m.Name,
		"description": m.Description,
		"dimensions":  strconv.Itoa(m.Config.Dimensions),
		"metric":      m.Config.Metric,
		"created_on":  m.CreatedOn.UTC().Format(time.RFC3339Nano),
		"modified_on": m.ModifiedOn.UTC().Format(time.RFC3339Nano),
	} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *store) loadMeta(ctx context.Context) (indexMeta, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM meta`)
	if err != nil {
		return indexMeta{}, err
	}
	defer rows.Close()
	kv := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return indexMeta{}, err
		}
		kv[k] = v
	}
	if err := rows.Err(); err != nil {
		return indexMeta{}, err
	}
	m := indexMeta{Name: kv["name"], Description: kv["description"], LastMutation: kv["last_mutation"]}
	m.Config.Metric = kv["metric"]
	if m.Config.Dimensions, err = strconv.Atoi(kv["dimensions"]); err != nil || m.Name == "" {
		return indexMeta{}, fmt.Errorf("%s is not a Vectorize index (meta: %v)", displayPath(s.path), kv)
	}
	m.CreatedOn, _ = time.Parse(time.RFC3339Nano, kv["created_on"])
	m.ModifiedOn, _ = time.Parse(time.RFC3339Nano, kv["modified_on"])
	if at, err := time.Parse(time.RFC3339Nano, kv["processed_at"]); err == nil {
		m.ProcessedAt = &at
	}
	return m, nil
}

func (s *store) loadMetadataIndexes(ctx context.Context) ([]metaIndex, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT property, type FROM metadata_indexes ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metaIndex
	for rows.Next() {
		var mi metaIndex
		if err := rows.Scan(&mi.Property, &mi.Type); err != nil {
			return nil, err
		}
		out = append(out, mi)
	}
	return out, rows.Err()
}

// storedVector is one row of the vectors table, decoded.
type storedVector struct {
	id, namespace string
	values        []float32
	metadata      []byte
	indexed       map[string]any
}

// countVectors returns how many vectors are stored.
func (s *store) countVectors(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM vectors`).Scan(&n)
	return n, err
}

// loadVectors calls fn for every stored vector. values is only valid during
// the call.
func (s *store) loadVectors(ctx context.Context, dims int, fn func(v *storedVector) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, namespace, vals, metadata, indexed FROM vectors`)
	if err != nil {
		return err
	}
	defer rows.Close()
	v := storedVector{values: make([]float32, dims)}
	for rows.Next() {
		var blob []byte
		var md, idx sql.NullString
		if err := rows.Scan(&v.id, &v.namespace, &blob, &md, &idx); err != nil {
			return err
		}
		if len(blob) != 4*dims {
			return fmt.Errorf("vector %q has %d bytes of values, want %d", v.id, len(blob), 4*dims)
		}
		decodeValues(v.values, blob)
		v.metadata, v.indexed = nil, nil
		if md.Valid {
			v.metadata = []byte(md.String)
		}
		if idx.Valid {
			if err := json.Unmarshal([]byte(idx.String), &v.indexed); err != nil {
				return fmt.Errorf("vector %q: indexed metadata: %w", v.id, err)
			}
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func encodeValues(dst []byte, vals []float32) []byte {
	for _, f := range vals {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

func decodeValues(dst []float32, blob []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(blob[4*i:]))
	}
}

// mutation is one write batch, committed in one transaction together with
// the mutation id that carries it.
type mutation struct {
	id      string
	at      time.Time
	put     []*prepared // vectors to insert or replace
	deletes []string
}

// commit writes m.
func (s *store) commit(ctx context.Context, m *mutation) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if len(m.put) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO vectors(id, namespace, vals, metadata, indexed) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET namespace = excluded.namespace, vals = excluded.vals,
				metadata = excluded.metadata, indexed = excluded.indexed`)
		if err != nil {
			return err
		}
		var blob []byte
		for _, p := range m.put {
			blob = encodeValues(blob[:0], p.values)
			var md, idx any
			if p.metadata != nil {
				md = string(p.metadata)
			}
			if p.indexed != nil {
				raw, err := json.Marshal(p.indexed)
				if err != nil {
					return err
				}
				idx = string(raw)
			}
			if _, err := stmt.ExecContext(ctx, p.id, p.namespace, blob, md, idx); err != nil {
				return fmt.Errorf("writing vector %q: %w", p.id, err)
			}
		}
	}
	if len(m.deletes) > 0 {
		stmt, err := tx.PrepareContext(ctx, `DELETE FROM vectors WHERE id = ?`)
		if err != nil {
			return err
		}
		for _, id := range m.deletes {
			if _, err := stmt.ExecContext(ctx, id); err != nil {
				return err
			}
		}
	}
	if err := setMutation(ctx, tx, m.id, m.at); err != nil {
		return err
	}
	return tx.Commit()
}

func setMutation(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	for k, v := range map[string]string{"last_mutation": id, "processed_at": at.UTC().Format(time.RFC3339Nano)} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return err
		}
	}
	return nil
}

// addMetadataIndex records a new metadata index.
func (s *store) addMetadataIndex(ctx context.Context, mi metaIndex, mutationID string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `INSERT INTO metadata_indexes(property, type) VALUES (?, ?)`, mi.Property, mi.Type); err != nil {
		return err
	}
	if err := setMutation(ctx, tx, mutationID, at); err != nil {
		return err
	}
	return tx.Commit()
}

// dropMetadataIndex removes a metadata index and the values it indexed.
func (s *store) dropMetadataIndex(ctx context.Context, property, mutationID string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM metadata_indexes WHERE property = ?`, property); err != nil {
		return err
	}
	path := `$."` + strings.ReplaceAll(property, `"`, `""`) + `"`
	if _, err := tx.ExecContext(ctx, `UPDATE vectors SET indexed = NULLIF(json_remove(indexed, ?), '{}')
		WHERE indexed IS NOT NULL`, path); err != nil {
		return err
	}
	if err := setMutation(ctx, tx, mutationID, at); err != nil {
		return err
	}
	return tx.Commit()
}
