package r2

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"jobmatch-edge/runtime"
)

// Bucket is one R2 bucket; it implements runtime.R2Bucket.
type Bucket struct {
	svc  *Service
	name string
}

var _ runtime.R2Bucket = (*Bucket)(nil)

// Name is the bucket's name.
func (b *Bucket) Name() string { return b.name }

func internal(method string, err error) error {
	return runtime.ErrR2Internal.In(method).With(err)
}

func (b *Bucket) checkKey(method, key string) error {
	if key == "" || len(key) > b.svc.limits.MaxKeyBytes {
		return runtime.ErrR2InvalidObjectName.In(method)
	}
	return nil
}

func (b *Bucket) now() time.Time { return b.svc.clock.Now().UTC().Truncate(time.Millisecond) }

func (rec *record) object() *runtime.R2Object {
	custom := map[string]string{}
	for k, v := range rec.custom {
		custom[k] = v
	}
	return &runtime.R2Object{
		Key: rec.key, Version: rec.version, Size: rec.size, ETag: rec.etag, HTTPETag: `"` + rec.etag + `"`,
		Uploaded: rec.uploaded, HTTPMetadata: rec.http, CustomMetadata: custom,
		Checksums: rec.checksums, StorageClass: rec.storageClass,
	}
}

// Head returns key's metadata, or nil when it does not exist.
func (b *Bucket) Head(ctx context.Context, key string) (*runtime.R2Object, error) {
	if err := b.checkKey("head", key); err != nil {
		return nil, err
	}
	rec, err := b.svc.meta.get(ctx, b.name, key)
	if err != nil {
		return nil, internal("head", err)
	}
	if rec == nil {
		return nil, nil
	}
	return rec.object(), nil
}

// Get returns key with its body (or part of it), nil when it does not
// exist, and the object without a body when o.OnlyIf fails.
func (b *Bucket) Get(ctx context.Context, key string, o runtime.R2GetOptions) (*runtime.R2ObjectBody, error) {
	body, _, err := b.get(ctx, key, o)
	return body, err
}

// get is Get that also says which kind of condition failed (for S3).
func (b *Bucket) get(ctx context.Context, key string, o runtime.R2GetOptions) (*runtime.R2ObjectBody, failure, error) {
	if err := checkRange(o.Range); err != nil {
		return nil, passed, err
	}
	cond, err := compileCondition(o.OnlyIf)
	if err != nil {
		return nil, passed, err
	}
	if err := b.checkKey("get", key); err != nil {
		return nil, passed, err
	}
	// A concurrent overwrite may delete the blob between reading the row and
	// opening the file; read the row again then.
	for attempt := 0; ; attempt++ {
		rec, err := b.svc.meta.get(ctx, b.name, key)
		if err != nil {
			return nil, passed, internal("get", err)
		}
		if rec == nil {
			return nil, passed, nil
		}
		if f := cond.test(true, rec.etag, rec.uploaded); f != passed {
			return &runtime.R2ObjectBody{R2Object: *rec.object()}, f, nil
		}
		off, n, err := resolveRange(o.Range, rec.size)
		if err != nil {
			return nil, passed, runtime.ErrR2InvalidRange.In("get")
		}
		blob, err := b.svc.blobs.open(b.name, rec.version)
		if errors.Is(err, fs.ErrNotExist) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, passed, internal("get", err)
		}
		obj := &runtime.R2ObjectBody{R2Object: *rec.object()}
		obj.Range = &runtime.R2Range{Offset: &off, Length: &n}
		if off == 0 && n == rec.size {
			obj.Body = blob
		} else {
			if _, err := blob.Seek(off, io.SeekStart); err != nil {
				_ = blob.Close()
				return nil, passed, internal("get", err)
			}
			obj.Body = &sectionBody{Reader: io.LimitReader(blob, n), c: blob}
		}
		return obj, passed, nil
	}
}

// sectionBody is a limited read of an open blob.
type sectionBody struct {
	io.Reader
	c io.Closer
}

func (s *sectionBody) Close() error { return s.c.Close() }

// checksumAlgo is one of put's hash options.
type checksumAlgo struct {
	name string // as R2's messages spell it
	hex  int    // hex length
	new  func() hash.Hash
	set  func(*runtime.R2Checksums, string)
}

var checksumAlgos = []checksumAlgo{
	{"MD5", 32, md5.New, func(c *runtime.R2Checksums, v string) { c.MD5 = v }},
	{"SHA-1", 40, sha1.New, func(c *runtime.R2Checksums, v string) { c.SHA1 = v }},
	{"SHA-256", 64, sha256.New, func(c *runtime.R2Checksums, v string) { c.SHA256 = v }},
	{"SHA-384", 96, sha512.New384, func(c *runtime.R2Checksums, v string) { c.SHA384 = v }},
	{"SHA-512", 128, sha512.New, func(c *runtime.R2Checksums, v string) { c.SHA512 = v }},
}

// wantedChecksum validates put's hash options: at most one, of the right
// hex length. It returns the algorithm (nil if none) and the expected hex.
func wantedChecksum(o *runtime.R2PutOptions) (*checksumAlgo, string, error) {
	given := []string{o.MD5, o.SHA1, o.SHA256, o.SHA384, o.SHA512}
	var algo *checksumAlgo
	var want string
	for i, v := range given {
		if v == "" {
			continue
		}
		if algo != nil {
			return nil, "", runtime.NewR2TypeError("You cannot specify multiple hashing algorithms.")
		}
		algo, want = &checksumAlgos[i], strings.ToLower(v)
	}
	if algo == nil {
		return nil, "", nil
	}
	if len(want) != algo.hex {
		return nil, "", runtime.NewR2TypeError("%s is %d hex characters, not %d", algo.name, algo.hex, len(want))
	}
	if _, err := hex.DecodeString(want); err != nil {
		return nil, "", runtime.NewR2TypeError("Provided %s wasn't a valid hex string", algo.name)
	}
	return algo, want, nil
}

func storageClass(s string) (string, bool) {
	switch s {
	case "", runtime.R2StorageStandard:
		return runtime.R2StorageStandard, true
	case runtime.R2StorageInfrequentAccess:
		return s, true
	}
	return "", false
}

// metadataSize counts httpMetadata values and customMetadata keys and values.
func metadataSize(h runtime.R2HTTPMetadata, custom map[string]string) int {
	n := len(h.ContentType) + len(h.ContentLanguage) + len(h.ContentDisposition) + len(h.ContentEncoding) + len(h.CacheControl)
	if !h.CacheExpiry.IsZero() {
		n += len(h.CacheExpiry.UTC().Format(time.RFC1123))
	}
	for k, v := range custom {
		n += len(k) + len(v)
	}
	return n
}

// copyBuffers are the buffers puts stream through.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

// errTooLarge is returned by a limitedWriter past its limit.
var errTooLarge = errors.New("r2: upload exceeds the size limit")

// writeBlob streams r into a new blob, computing its MD5 and, when algo is
// set, that hash too. Nothing is committed: the caller commits or aborts w.
func (b *Bucket) writeBlob(r io.Reader, algo *checksumAlgo) (w blobWriter, size int64, md5sum []byte, extra []byte, err error) {
	w, err = b.svc.blobs.create(b.name)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	m := md5.New()
	dst := []io.Writer{w, m}
	var h hash.Hash
	if algo != nil && algo.name != "MD5" {
		h = algo.new()
		dst = append(dst, h)
	}
	limit := b.svc.limits.MaxPutBytes
	buf := copyBuffers.Get().(*[]byte)
	size, err = io.CopyBuffer(io.MultiWriter(dst...), io.LimitReader(r, limit+1), *buf)
	copyBuffers.Put(buf)
	if err == nil && size > limit {
		err = errTooLarge
	}
	if err != nil {
		w.abort()
		return nil, 0, nil, nil, err
	}
	md5sum = m.Sum(nil)
	if h != nil {
		extra = h.Sum(nil)
	} else {
		extra = md5sum
	}
	return w, size, md5sum, extra, nil
}

// Put stores value under key. When o.OnlyIf fails it stores nothing and
// returns nil, nil.
func (b *Bucket) Put(ctx context.Context, key string, value io.Reader, o runtime.R2PutOptions) (*runtime.R2Object, error) {
	algo, want, err := wantedChecksum(&o)
	if err != nil {
		return nil, err
	}
	cond, err := compileCondition(o.OnlyIf)
	if err != nil {
		return nil, err
	}
	if err := b.checkKey("put", key); err != nil {
		return nil, err
	}
	class, ok := storageClass(o.StorageClass)
	if !ok {
		return nil, runtime.ErrR2Internal.In("put")
	}
	if metadataSize(o.HTTPMetadata, o.CustomMetadata) > b.svc.limits.MaxMetadataBytes {
		return nil, runtime.ErrR2MetadataTooLarge.In("put")
	}
	if value == nil {
		value = strings.NewReader("")
	}
	w, size, sum, extra, err := b.writeBlob(value, algo)
	if errors.Is(err, errTooLarge) {
		return nil, runtime.ErrR2EntityTooLarge.In("put")
	}
	if err != nil {
		var r2e *runtime.R2Error
		if errors.As(err, &r2e) || isClientError(err) {
			return nil, err
		}
		return nil, internal("put", err)
	}
	checks := runtime.R2Checksums{MD5: hex.EncodeToString(sum)}
	if algo != nil {
		got := hex.EncodeToString(extra)
		if got != want {
			w.abort()
			return nil, runtime.ErrR2BadDigest.In("put").Withf(
				"The %[1]s checksum you specified did not match what we received.\nYou provided a %[1]s checksum with value: %[2]s\nActual %[1]s was: %[3]s",
				algo.name, want, got)
		}
		algo.set(&checks, got)
	}
	rec := &record{
		key: key, version: newID(), size: size, etag: checks.MD5, uploaded: b.now(),
		http: o.HTTPMetadata, custom: o.CustomMetadata, checksums: checks, storageClass: class,
	}
	if err := w.commit(rec.version); err != nil {
		return nil, internal("put", err)
	}
	old, stored, err := b.svc.meta.put(ctx, b.name, rec, func(cur *record) bool {
		if cur == nil {
			return cond.test(false, "", time.Time{}) == passed
		}
		return cond.test(true, cur.etag, cur.uploaded) == passed
	})
	if err != nil || !stored {
		_ = b.svc.blobs.remove(b.name, rec.version)
		if err != nil {
			return nil, internal("put", err)
		}
		return nil, nil
	}
	b.removeBlob(ctx, old)
	return rec.object(), nil
}

// clientError marks a failure reading the request body that is the
// client's fault (a bad aws-chunked stream, a payload hash mismatch): Put
// returns it unchanged instead of as an internal error.
type clientError interface{ clientFault() }

func isClientError(err error) bool {
	var c clientError
	return errors.As(err, &c)
}

func (b *Bucket) removeBlob(ctx context.Context, id string) {
	if id == "" {
		return
	}
	if err := b.svc.blobs.remove(b.name, id); err != nil {
		b.svc.log.WarnContext(ctx, "removing replaced blob", "bucket", b.name, "blob", id, "err", err)
	}
}

// Delete removes keys (at most Limits.MaxDeleteKeys); missing keys are fine.
func (b *Bucket) Delete(ctx context.Context, keys ...string) error {
	if len(keys) > b.svc.limits.MaxDeleteKeys {
		// Differs from Cloudflare: no documented text for this; the Workers
		// runtime rejects the call before any request.
		return runtime.NewR2RangeError("delete: at most %d keys may be deleted at once, got %d", b.svc.limits.MaxDeleteKeys, len(keys))
	}
	for _, k := range keys {
		if err := b.checkKey("delete", k); err != nil {
			return err
		}
	}
	if len(keys) == 0 {
		return nil
	}
	gone, err := b.svc.meta.delete(ctx, b.name, keys)
	if err != nil {
		return internal("delete", err)
	}
	for _, id := range gone {
		b.removeBlob(ctx, id)
	}
	return nil
}

// listPos is a position in key order: just after key, or at it when inclusive.
type listPos struct {
	key       string
	inclusive bool
}

// later reports whether p is past q.
func (p listPos) later(q listPos) bool {
	if p.key != q.key {
		return p.key > q.key
	}
	return !p.inclusive && q.inclusive
}

// successor is the smallest string greater than every string starting with
// prefix, or "" when there is none.
func successor(prefix string) string {
	b := []byte(prefix)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return ""
	}
	b[len(b)-1]++
	return string(b)
}

// Cursors are base64url of "k"+key (resume after that key) or "p"+prefix
// (resume after every key under that delimited prefix).
func encodeCursor(kind byte, s string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, s...))
}

func decodeCursor(c string) (listPos, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) == 0 {
		return listPos{}, false
	}
	switch raw[0] {
	case 'k':
		return listPos{key: string(raw[1:])}, true
	case 'p':
		s := successor(string(raw[1:]))
		if s == "" {
			return listPos{}, false
		}
		return listPos{key: s, inclusive: true}, true
	}
	return listPos{}, false
}

// ValidateInclude checks list's include values.
func ValidateInclude(include []string) error {
	for _, v := range include {
		if v != "httpMetadata" && v != "customMetadata" {
			return runtime.NewR2RangeError("Unsupported include value %s", v)
		}
	}
	return nil
}

// List lists objects in key order (see runtime.R2Bucket).
func (b *Bucket) List(ctx context.Context, o runtime.R2ListOptions) (*runtime.R2Objects, error) {
	if err := ValidateInclude(o.Include); err != nil {
		return nil, err
	}
	limit := o.Limit
	if limit == 0 {
		limit = b.svc.limits.MaxListLimit
	}
	if limit < 0 || limit > b.svc.limits.MaxListLimit {
		return nil, runtime.ErrR2InvalidMaxKeys.In("list")
	}
	withHTTP, withCustom := false, false
	for _, v := range o.Include {
		withHTTP = withHTTP || v == "httpMetadata"
		withCustom = withCustom || v == "customMetadata"
	}
	out := &runtime.R2Objects{Objects: []*runtime.R2Object{}, DelimitedPrefixes: []string{}}
	pos := listPos{key: o.Prefix, inclusive: true}
	if o.StartAfter != "" {
		if p := (listPos{key: o.StartAfter}); p.later(pos) {
			pos = p
		}
	}
	if o.Cursor != "" {
		c, ok := decodeCursor(o.Cursor)
		if !ok {
			// Differs from Cloudflare: an unreadable cursor ends the listing
			// (as Miniflare's KV does) instead of failing.
			return out, nil
		}
		if c.later(pos) {
			pos = c
		}
	}
	end := successor(o.Prefix)
	if o.Prefix == "" {
		end = ""
	}
	count, last := 0, ""
	for {
		if end != "" && pos.key >= end {
			return out, nil
		}
		want := limit + 1 - count
		rows, err := b.svc.meta.scan(ctx, b.name, pos.key, pos.inclusive, end, want)
		if err != nil {
			return nil, internal("list", err)
		}
		jumped := false
		for _, rec := range rows {
			if count == limit {
				out.Truncated, out.Cursor = true, last
				return out, nil
			}
			if o.Delimiter != "" {
				if i := strings.Index(rec.key[len(o.Prefix):], o.Delimiter); i >= 0 {
					p := rec.key[:len(o.Prefix)+i+len(o.Delimiter)]
					out.DelimitedPrefixes = append(out.DelimitedPrefixes, p)
					count++
					last = encodeCursor('p', p)
					next := successor(p)
					if next == "" {
						return out, nil
					}
					// Skip every other key under p.
					pos, jumped = listPos{key: next, inclusive: true}, true
					break
				}
			}
			obj := rec.object()
			if !withHTTP {
				obj.HTTPMetadata = runtime.R2HTTPMetadata{}
			}
			if !withCustom {
				obj.CustomMetadata = nil
			}
			out.Objects = append(out.Objects, obj)
			count++
			last = encodeCursor('k', rec.key)
			pos = listPos{key: rec.key}
		}
		if !jumped && len(rows) < want {
			return out, nil
		}
	}
}

// sortParts orders parts by number, rejecting duplicates.
func sortParts(parts []runtime.R2UploadedPart) ([]runtime.R2UploadedPart, bool) {
	s := append([]runtime.R2UploadedPart(nil), parts...)
	sort.Slice(s, func(i, j int) bool { return s[i].PartNumber < s[j].PartNumber })
	for i := 1; i < len(s); i++ {
		if s[i].PartNumber == s[i-1].PartNumber {
			return nil, false
		}
	}
	return s, true
}

// describe is for logs.
func (b *Bucket) String() string { return fmt.Sprintf("r2 bucket %s", b.name) }
