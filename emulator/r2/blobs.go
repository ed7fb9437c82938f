package r2

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// blobs hold object and part contents by id. The file store writes every
// blob to a temp file and renames it into place, so a crash never leaves a
// half-written blob under its id; metadata in SQLite names a blob only after
// the rename, so a blob without metadata is garbage, never an object.
type blobs interface {
	// create starts a new blob in bucket.
	create(bucket string) (blobWriter, error)
	// open opens a committed blob.
	open(bucket, id string) (blobReader, error)
	// remove deletes a committed blob; a missing one is not an error.
	remove(bucket, id string) error
	// sweep deletes temp files and every committed blob of bucket that keep
	// does not report as referenced.
	sweep(bucket string, keep func(id string) bool) (int, error)
}

// blobWriter receives a blob's content; commit makes it readable under id,
// abort discards it. Exactly one of them is called.
type blobWriter interface {
	io.Writer
	commit(id string) error
	abort()
}

// blobReader reads a committed blob.
type blobReader interface {
	io.ReadSeekCloser
	io.ReaderAt
}

// newID returns 32 random hex characters (versions, upload ids, blob ids).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fileBlobs keeps blobs as files: <dir>/<bucket>/blobs/<id>, written through
// <dir>/<bucket>/tmp/.
type fileBlobs struct {
	dir  string
	sync bool // fsync before rename
}

func (f *fileBlobs) bucketDir(bucket, sub string) string { return filepath.Join(f.dir, bucket, sub) }

func (f *fileBlobs) init(bucket string) error {
	for _, sub := range []string{"blobs", "tmp"} {
		if err := os.MkdirAll(f.bucketDir(bucket, sub), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func (f *fileBlobs) create(bucket string) (blobWriter, error) {
	tmp, err := os.CreateTemp(f.bucketDir(bucket, "tmp"), "put-*")
	if err != nil {
		return nil, err
	}
	return &fileWriter{f: tmp, final: f.bucketDir(bucket, "blobs"), sync: f.sync}, nil
}

func (f *fileBlobs) open(bucket, id string) (blobReader, error) {
	return os.Open(filepath.Join(f.bucketDir(bucket, "blobs"), id))
}

func (f *fileBlobs) remove(bucket, id string) error {
	err := os.Remove(filepath.Join(f.bucketDir(bucket, "blobs"), id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (f *fileBlobs) sweep(bucket string, keep func(string) bool) (int, error) {
	n := 0
	tmps, err := os.ReadDir(f.bucketDir(bucket, "tmp"))
	if err != nil {
		return 0, err
	}
	for _, e := range tmps {
		if err := os.Remove(filepath.Join(f.bucketDir(bucket, "tmp"), e.Name())); err == nil {
			n++
		}
	}
	ents, err := os.ReadDir(f.bucketDir(bucket, "blobs"))
	if err != nil {
		return n, err
	}
	for _, e := range ents {
		if !keep(e.Name()) {
			if err := f.remove(bucket, e.Name()); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

type fileWriter struct {
	f     *os.File
	final string
	sync  bool
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *fileWriter) commit(id string) error {
	if w.sync {
		if err := w.f.Sync(); err != nil {
			w.abort()
			return err
		}
	}
	if err := w.f.Close(); err != nil {
		_ = os.Remove(w.f.Name())
		return err
	}
	if err := os.Rename(w.f.Name(), filepath.Join(w.final, id)); err != nil {
		_ = os.Remove(w.f.Name())
		return err
	}
	return nil
}

func (w *fileWriter) abort() {
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}

// memBlobs keeps blobs in memory (--in-memory).
type memBlobs struct {
	mu sync.RWMutex
	m  map[string][]byte // bucket + "/" + id
}

func (m *memBlobs) create(bucket string) (blobWriter, error) {
	return &memWriter{store: m, bucket: bucket}, nil
}

func (m *memBlobs) open(bucket, id string) (blobReader, error) {
	m.mu.RLock()
	data, ok := m.m[bucket+"/"+id]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("blob %s/%s: %w", bucket, id, fs.ErrNotExist)
	}
	return memReader{bytes.NewReader(data)}, nil
}

func (m *memBlobs) remove(bucket, id string) error {
	m.mu.Lock()
	delete(m.m, bucket+"/"+id)
	m.mu.Unlock()
	return nil
}

func (m *memBlobs) sweep(bucket string, keep func(string) bool) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k := range m.m {
		b, id, _ := cutLast(k, "/")
		if b == bucket && !keep(id) {
			delete(m.m, k)
			n++
		}
	}
	return n, nil
}

func cutLast(s, sep string) (string, string, bool) {
	if i := bytes.LastIndex([]byte(s), []byte(sep)); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

type memWriter struct {
	store  *memBlobs
	bucket string
	buf    bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *memWriter) commit(id string) error {
	w.store.mu.Lock()
	w.store.m[w.bucket+"/"+id] = w.buf.Bytes()
	w.store.mu.Unlock()
	return nil
}

func (w *memWriter) abort() { w.buf = bytes.Buffer{} }

type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }
