package r2

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"jobmatch-edge/runtime"
)

// Upload is an unfinished multipart upload; it implements
// runtime.R2MultipartUpload.
type Upload struct {
	b       *Bucket
	key, id string
}

var _ runtime.R2MultipartUpload = (*Upload)(nil)

// Key is the object key the upload will create.
func (u *Upload) Key() string { return u.key }

// UploadID identifies the upload.
func (u *Upload) UploadID() string { return u.id }

// CreateMultipartUpload starts a multipart upload for key.
func (b *Bucket) CreateMultipartUpload(ctx context.Context, key string, o runtime.R2MultipartOptions) (runtime.R2MultipartUpload, error) {
	const method = "createMultipartUpload"
	if err := b.checkKey(method, key); err != nil {
		return nil, err
	}
	class, ok := storageClass(o.StorageClass)
	if !ok {
		return nil, runtime.ErrR2Internal.In(method)
	}
	if metadataSize(o.HTTPMetadata, o.CustomMetadata) > b.svc.limits.MaxMetadataBytes {
		return nil, runtime.ErrR2MetadataTooLarge.In(method)
	}
	id := newID()
	err := b.svc.meta.createUpload(ctx, b.name, id, &upload{
		key: key, created: b.now(), http: o.HTTPMetadata, custom: o.CustomMetadata, storageClass: class,
	})
	if err != nil {
		return nil, internal(method, err)
	}
	return &Upload{b: b, key: key, id: id}, nil
}

// ResumeMultipartUpload returns a handle on upload id for key; it checks
// nothing, as in the Workers API.
func (b *Bucket) ResumeMultipartUpload(key, uploadID string) runtime.R2MultipartUpload {
	return &Upload{b: b, key: key, id: uploadID}
}

// lookup returns the upload's record, or nil when it does not exist, is
// for another key, or has outlived Limits.UploadLifetime (then it is
// aborted on the way).
func (u *Upload) lookup(ctx context.Context) (*upload, error) {
	rec, err := u.b.svc.meta.getUpload(ctx, u.b.name, u.id)
	if err != nil || rec == nil {
		return nil, err
	}
	if rec.key != u.key {
		return nil, nil
	}
	if !u.b.svc.clock.Now().Before(rec.created.Add(u.b.svc.limits.UploadLifetime)) {
		return nil, u.discard(ctx)
	}
	return rec, nil
}

// discard drops the upload and its part blobs.
func (u *Upload) discard(ctx context.Context) error {
	blobs, _, _, err := u.b.svc.meta.finishUpload(ctx, u.b.name, u.id, nil)
	if err != nil {
		return err
	}
	for _, id := range blobs {
		u.b.removeBlob(ctx, id)
	}
	return nil
}

// abortExpired aborts the bucket's uploads older than Limits.UploadLifetime.
func (b *Bucket) abortExpired(ctx context.Context) error {
	ids, err := b.svc.meta.expiredUploads(ctx, b.name, b.svc.clock.Now().Add(-b.svc.limits.UploadLifetime))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := (&Upload{b: b, id: id}).discard(ctx); err != nil {
			return err
		}
	}
	return nil
}

// UploadPart stores part partNumber, replacing an earlier one.
func (u *Upload) UploadPart(ctx context.Context, partNumber int, value io.Reader) (runtime.R2UploadedPart, error) {
	const method = "uploadPart"
	if partNumber < 1 || partNumber > u.b.svc.limits.MaxPartNumber {
		return runtime.R2UploadedPart{}, runtime.NewR2TypeError("Part number must be between 1 and %d (inclusive). Actual value was: %d", u.b.svc.limits.MaxPartNumber, partNumber)
	}
	rec, err := u.lookup(ctx)
	if err != nil {
		return runtime.R2UploadedPart{}, internal(method, err)
	}
	if rec == nil {
		return runtime.R2UploadedPart{}, runtime.ErrR2NoSuchUpload.In(method)
	}
	if value == nil {
		value = strings.NewReader("")
	}
	w, size, sum, _, err := u.b.writeBlob(value, nil)
	if errors.Is(err, errTooLarge) {
		return runtime.R2UploadedPart{}, runtime.ErrR2EntityTooLarge.In(method)
	}
	if err != nil {
		if isClientError(err) {
			return runtime.R2UploadedPart{}, err
		}
		return runtime.R2UploadedPart{}, internal(method, err)
	}
	p := part{number: partNumber, blob: newID(), size: size, etag: hex.EncodeToString(sum)}
	if err := w.commit(p.blob); err != nil {
		return runtime.R2UploadedPart{}, internal(method, err)
	}
	old, ok, err := u.b.svc.meta.putPart(ctx, u.b.name, u.id, p)
	if err != nil || !ok {
		_ = u.b.svc.blobs.remove(u.b.name, p.blob)
		if err != nil {
			return runtime.R2UploadedPart{}, internal(method, err)
		}
		return runtime.R2UploadedPart{}, runtime.ErrR2NoSuchUpload.In(method)
	}
	u.b.removeBlob(ctx, old)
	return runtime.R2UploadedPart{PartNumber: partNumber, ETag: p.etag}, nil
}

// Abort discards the upload.
func (u *Upload) Abort(ctx context.Context) error {
	const method = "abortMultipartUpload"
	rec, err := u.lookup(ctx)
	if err != nil {
		return internal(method, err)
	}
	if rec == nil {
		return runtime.ErrR2NoSuchUpload.In(method)
	}
	if err := u.discard(ctx); err != nil {
		return internal(method, err)
	}
	return nil
}

// Complete assembles parts into the object. Every part but the last must
// be at least Limits.MinPartBytes and all but the last of equal size; the
// etag is the MD5 of the parts' binary MD5s followed by "-<count>".
func (u *Upload) Complete(ctx context.Context, parts []runtime.R2UploadedPart) (*runtime.R2Object, error) {
	const method = "completeMultipartUpload"
	rec, err := u.lookup(ctx)
	if err != nil {
		return nil, internal(method, err)
	}
	if rec == nil {
		return nil, runtime.ErrR2NoSuchUpload.In(method)
	}
	sorted, ok := sortParts(parts)
	if !ok || len(sorted) == 0 {
		return nil, runtime.ErrR2BadUpload.In(method)
	}
	stored, err := u.b.svc.meta.parts(ctx, u.b.name, u.id)
	if err != nil {
		return nil, internal(method, err)
	}
	use := make([]part, len(sorted))
	var total int64
	for i, p := range sorted {
		sp, ok := stored[p.PartNumber]
		if !ok || sp.etag != strings.Trim(p.ETag, `"`) {
			return nil, runtime.ErrR2InvalidPart.In(method)
		}
		use[i] = sp
		total += sp.size
	}
	for i, p := range use[:len(use)-1] {
		if p.size < u.b.svc.limits.MinPartBytes {
			return nil, runtime.ErrR2EntityTooSmall.In(method)
		}
		if i > 0 && p.size != use[0].size {
			return nil, runtime.ErrR2BadUpload.In(method)
		}
	}
	if len(use) > 1 && use[len(use)-1].size > use[0].size {
		return nil, runtime.ErrR2BadUpload.In(method)
	}
	if total > u.b.svc.limits.MaxObjectBytes {
		return nil, runtime.ErrR2EntityTooLarge.In(method)
	}

	w, err := u.b.svc.blobs.create(u.b.name)
	if err != nil {
		return nil, internal(method, err)
	}
	etagHash := md5.New()
	for _, p := range use {
		raw, _ := hex.DecodeString(p.etag)
		etagHash.Write(raw)
		if err := u.copyPart(w, p); err != nil {
			w.abort()
			return nil, internal(method, err)
		}
	}
	obj := &record{
		key: u.key, version: newID(), size: total,
		etag:     fmt.Sprintf("%s-%d", hex.EncodeToString(etagHash.Sum(nil)), len(use)),
		uploaded: u.b.now(), http: rec.http, custom: rec.custom, storageClass: rec.storageClass,
	}
	if err := w.commit(obj.version); err != nil {
		return nil, internal(method, err)
	}
	blobs, old, ok, err := u.b.svc.meta.finishUpload(ctx, u.b.name, u.id, obj)
	if err != nil || !ok {
		_ = u.b.svc.blobs.remove(u.b.name, obj.version)
		if err != nil {
			return nil, internal(method, err)
		}
		return nil, runtime.ErrR2NoSuchUpload.In(method)
	}
	for _, id := range append(blobs, old) {
		u.b.removeBlob(ctx, id)
	}
	return obj.object(), nil
}

func (u *Upload) copyPart(w io.Writer, p part) error {
	r, err := u.b.svc.blobs.open(u.b.name, p.blob)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := io.Copy(w, r)
	if err == nil && n != p.size {
		err = fmt.Errorf("part %d: read %d bytes, want %d", p.number, n, p.size)
	}
	return err
}
