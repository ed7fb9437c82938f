package r2

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"jobmatch-edge/runtime"
)

// meta is the metadata of every bucket in one SQLite database (WAL): one
// writer connection, a small pool of readers. In memory it is one
// connection to a private in-memory database.
type meta struct {
	w, r *sql.DB
	// Prepared statements of the hot paths (get, put, delete).
	getR, getW, upsert, del *sql.Stmt
}

const (
	sqlGet    = `SELECT ` + objectColumns + ` FROM objects WHERE bucket = ? AND key = ?`
	sqlUpsert = `INSERT INTO objects(bucket, ` + objectColumns + `) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(bucket, key) DO UPDATE SET version=excluded.version, size=excluded.size, etag=excluded.etag,
		uploaded=excluded.uploaded, http_metadata=excluded.http_metadata, custom_metadata=excluded.custom_metadata,
		checksums=excluded.checksums, storage_class=excluded.storage_class`
	sqlDelete = `DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING version`
)

func (m *meta) prepare() error {
	var err error
	for _, p := range []struct {
		dst **sql.Stmt
		db  *sql.DB
		q   string
	}{{&m.getR, m.r, sqlGet}, {&m.getW, m.w, sqlGet}, {&m.upsert, m.w, sqlUpsert}, {&m.del, m.w, sqlDelete}} {
		if *p.dst, err = p.db.Prepare(p.q); err != nil {
			return err
		}
	}
	return nil
}

const schema = `
CREATE TABLE IF NOT EXISTS buckets (
	name    TEXT PRIMARY KEY,
	created INTEGER NOT NULL -- unix ms
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
	bucket        TEXT NOT NULL,
	key           TEXT NOT NULL,
	version       TEXT NOT NULL, -- also the blob id
	size          INTEGER NOT NULL,
	etag          TEXT NOT NULL,
	uploaded      INTEGER NOT NULL, -- unix ms
	http_metadata TEXT NOT NULL,
	custom_metadata TEXT NOT NULL,
	checksums     TEXT NOT NULL,
	storage_class TEXT NOT NULL,
	PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
	bucket        TEXT NOT NULL,
	upload_id     TEXT NOT NULL,
	key           TEXT NOT NULL,
	created       INTEGER NOT NULL, -- unix ms
	http_metadata TEXT NOT NULL,
	custom_metadata TEXT NOT NULL,
	storage_class TEXT NOT NULL,
	PRIMARY KEY (bucket, upload_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parts (
	bucket      TEXT NOT NULL,
	upload_id   TEXT NOT NULL,
	part_number INTEGER NOT NULL,
	blob        TEXT NOT NULL,
	size        INTEGER NOT NULL,
	etag        TEXT NOT NULL, -- MD5 hex
	PRIMARY KEY (bucket, upload_id, part_number)
) WITHOUT ROWID;
`

func openMeta(dir string, inMemory, syncWrites bool) (*meta, error) {
	if inMemory {
		db, err := sql.Open("sqlite", "file:r2-"+newID()+"?mode=memory")
		if err != nil {
			return nil, err
		}
		// One connection holds the in-memory database: it must never be closed.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		if _, err := db.Exec(schema); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("r2 schema: %w", err)
		}
		m := &meta{w: db, r: db}
		if err := m.prepare(); err != nil {
			_ = db.Close()
			return nil, err
		}
		return m, nil
	}
	syncMode := "NORMAL"
	if syncWrites {
		syncMode = "FULL"
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+syncMode+")")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(OFF)")
	dsn := "file:" + filepath.ToSlash(filepath.Join(dir, "r2.sqlite")) + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if _, err := w.Exec(schema); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("r2 schema: %w", err)
	}
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	m := &meta{w: w, r: r}
	if err := m.prepare(); err != nil {
		_ = m.close()
		return nil, err
	}
	return m, nil
}

func (m *meta) close() error {
	for _, st := range []*sql.Stmt{m.getR, m.getW, m.upsert, m.del} {
		if st != nil {
			_ = st.Close()
		}
	}
	if m.r == m.w {
		return m.w.Close()
	}
	return errors.Join(m.r.Close(), m.w.Close())
}

// record is one object row.
type record struct {
	key, version, etag string
	size               int64
	uploaded           time.Time
	http               runtime.R2HTTPMetadata
	custom             map[string]string
	checksums          runtime.R2Checksums
	storageClass       string
}

const objectColumns = `key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, storage_class`

func scanRecord(sc interface{ Scan(...any) error }) (*record, error) {
	var (
		rec                     record
		ms                      int64
		httpJSON, custom, check string
	)
	if err := sc.Scan(&rec.key, &rec.version, &rec.size, &rec.etag, &ms, &httpJSON, &custom, &check, &rec.storageClass); err != nil {
		return nil, err
	}
	rec.uploaded = time.UnixMilli(ms).UTC()
	if err := json.Unmarshal([]byte(httpJSON), &rec.http); err != nil {
		return nil, fmt.Errorf("object %q http metadata: %w", rec.key, err)
	}
	if err := json.Unmarshal([]byte(custom), &rec.custom); err != nil {
		return nil, fmt.Errorf("object %q custom metadata: %w", rec.key, err)
	}
	if err := json.Unmarshal([]byte(check), &rec.checksums); err != nil {
		return nil, fmt.Errorf("object %q checksums: %w", rec.key, err)
	}
	return &rec, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs and string maps are marshalled here
	}
	return string(b)
}

func (m *meta) ensureBucket(ctx context.Context, name string, created time.Time) error {
	_, err := m.w.ExecContext(ctx, `INSERT INTO buckets(name, created) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, name, created.UnixMilli())
	return err
}

// bucketCreated returns when bucket was created.
func (m *meta) bucketCreated(ctx context.Context, name string) (time.Time, error) {
	var ms int64
	err := m.r.QueryRowContext(ctx, `SELECT created FROM buckets WHERE name = ?`, name).Scan(&ms)
	return time.UnixMilli(ms).UTC(), err
}

func (m *meta) get(ctx context.Context, bucket, key string) (*record, error) {
	rec, err := scanRecord(m.getR.QueryRowContext(ctx, bucket, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return rec, err
}

// getTx reads a row inside the write transaction.
func (m *meta) getTx(ctx context.Context, tx *sql.Tx, bucket, key string) (*record, error) {
	rec, err := scanRecord(tx.StmtContext(ctx, m.getW).QueryRowContext(ctx, bucket, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return rec, err
}

// put stores rec if check (given the current row, nil when absent) allows
// it, in one write transaction. It returns the replaced version ("" if
// none) and whether rec was stored.
func (m *meta) put(ctx context.Context, bucket string, rec *record, check func(cur *record) bool) (old string, stored bool, err error) {
	tx, err := m.w.BeginTx(ctx, nil)
	if err != nil {
		return "", false, err
	}
	defer func() { _ = tx.Rollback() }()
	cur, err := m.getTx(ctx, tx, bucket, rec.key)
	if err != nil {
		return "", false, err
	}
	if check != nil && !check(cur) {
		return "", false, nil
	}
	if err := m.upsertTx(ctx, tx, bucket, rec); err != nil {
		return "", false, err
	}
	if err := tx.Commit(); err != nil {
		return "", false, err
	}
	if cur != nil {
		old = cur.version
	}
	return old, true, nil
}

func (m *meta) upsertTx(ctx context.Context, tx *sql.Tx, bucket string, rec *record) error {
	_, err := tx.StmtContext(ctx, m.upsert).ExecContext(ctx,
		bucket, rec.key, rec.version, rec.size, rec.etag, rec.uploaded.UnixMilli(),
		mustJSON(rec.http), mustJSON(nonNilMap(rec.custom)), mustJSON(rec.checksums), rec.storageClass)
	return err
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// delete removes keys and returns the versions (blob ids) removed.
func (m *meta) delete(ctx context.Context, bucket string, keys []string) ([]string, error) {
	tx, err := m.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	var gone []string
	for _, k := range keys {
		var v string
		err := tx.StmtContext(ctx, m.del).QueryRowContext(ctx, bucket, k).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		gone = append(gone, v)
	}
	return gone, tx.Commit()
}

// scan returns up to n rows of bucket with key > after (or >= after when
// inclusive) and key < before (no bound when before is ""), in key order.
func (m *meta) scan(ctx context.Context, bucket, after string, inclusive bool, before string, n int) ([]*record, error) {
	op := ">"
	if inclusive {
		op = ">="
	}
	q := `SELECT ` + objectColumns + ` FROM objects WHERE bucket = ? AND key ` + op + ` ?`
	args := []any{bucket, after}
	if before != "" {
		q += ` AND key < ?`
		args = append(args, before)
	}
	q += ` ORDER BY key LIMIT ?`
	args = append(args, n)
	rows, err := m.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// upload is one unfinished multipart upload.
type upload struct {
	key          string
	created      time.Time
	http         runtime.R2HTTPMetadata
	custom       map[string]string
	storageClass string
}

func (m *meta) createUpload(ctx context.Context, bucket, id string, u *upload) error {
	_, err := m.w.ExecContext(ctx, `INSERT INTO uploads(bucket, upload_id, key, created, http_metadata, custom_metadata, storage_class) VALUES (?,?,?,?,?,?,?)`,
		bucket, id, u.key, u.created.UnixMilli(), mustJSON(u.http), mustJSON(nonNilMap(u.custom)), u.storageClass)
	return err
}

func (m *meta) getUpload(ctx context.Context, bucket, id string) (*upload, error) {
	var (
		u            upload
		ms           int64
		httpJSON, cm string
	)
	err := m.r.QueryRowContext(ctx, `SELECT key, created, http_metadata, custom_metadata, storage_class FROM uploads WHERE bucket = ? AND upload_id = ?`, bucket, id).
		Scan(&u.key, &ms, &httpJSON, &cm, &u.storageClass)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u.created = time.UnixMilli(ms).UTC()
	if err := json.Unmarshal([]byte(httpJSON), &u.http); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cm), &u.custom); err != nil {
		return nil, err
	}
	return &u, nil
}

// part is one uploaded part.
type part struct {
	number int
	blob   string
	size   int64
	etag   string
}

// putPart records a part if its upload still exists, returning the blob it
// replaced ("" if none) and whether the upload exists.
func (m *meta) putPart(ctx context.Context, bucket, id string, p part) (old string, ok bool, err error) {
	tx, err := m.w.BeginTx(ctx, nil)
	if err != nil {
		return "", false, err
	}
	defer func() { _ = tx.Rollback() }()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM uploads WHERE bucket = ? AND upload_id = ?`, bucket, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	err = tx.QueryRowContext(ctx, `SELECT blob FROM parts WHERE bucket = ? AND upload_id = ? AND part_number = ?`, bucket, id, p.number).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO parts(bucket, upload_id, part_number, blob, size, etag) VALUES (?,?,?,?,?,?)
		ON CONFLICT(bucket, upload_id, part_number) DO UPDATE SET blob=excluded.blob, size=excluded.size, etag=excluded.etag`,
		bucket, id, p.number, p.blob, p.size, p.etag); err != nil {
		return "", false, err
	}
	return old, true, tx.Commit()
}

func (m *meta) parts(ctx context.Context, bucket, id string) (map[int]part, error) {
	rows, err := m.r.QueryContext(ctx, `SELECT part_number, blob, size, etag FROM parts WHERE bucket = ? AND upload_id = ?`, bucket, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]part{}
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.number, &p.blob, &p.size, &p.etag); err != nil {
			return nil, err
		}
		out[p.number] = p
	}
	return out, rows.Err()
}

// finishUpload removes an upload and its parts, optionally storing rec as
// the completed object in the same transaction. It returns the part blobs
// to delete, the replaced object version, and false if the upload was gone.
func (m *meta) finishUpload(ctx context.Context, bucket, id string, rec *record) (blobs []string, old string, ok bool, err error) {
	tx, err := m.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, "", false, err
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `DELETE FROM uploads WHERE bucket = ? AND upload_id = ?`, bucket, id)
	if err != nil {
		return nil, "", false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, "", false, nil
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM parts WHERE bucket = ? AND upload_id = ? RETURNING blob`, bucket, id)
	if err != nil {
		return nil, "", false, err
	}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, "", false, err
		}
		blobs = append(blobs, b)
	}
	rows.Close()
	if rec != nil {
		cur, err := m.getTx(ctx, tx, bucket, rec.key)
		if err != nil {
			return nil, "", false, err
		}
		if cur != nil {
			old = cur.version
		}
		if err := m.upsertTx(ctx, tx, bucket, rec); err != nil {
			return nil, "", false, err
		}
	}
	return blobs, old, true, tx.Commit()
}

// expiredUploads lists uploads of bucket created before cutoff.
func (m *meta) expiredUploads(ctx context.Context, bucket string, cutoff time.Time) ([]string, error) {
	rows, err := m.r.QueryContext(ctx, `SELECT upload_id FROM uploads WHERE bucket = ? AND created < ?`, bucket, cutoff.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// referenced returns every blob id bucket's metadata names.
func (m *meta) referenced(ctx context.Context, bucket string) (map[string]bool, error) {
	rows, err := m.r.QueryContext(ctx, `SELECT version FROM objects WHERE bucket = ? UNION ALL SELECT blob FROM parts WHERE bucket = ?`, bucket, bucket)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
