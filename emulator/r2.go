package emulator

import (
	"context"
	"fmt"

	"jobmatch-edge/emulator/r2"
)

// openR2 opens R2 with one bucket per [[r2_buckets]] entry, binds each
// under its binding name, and registers the S3-compatible listener.
func (e *Emulator) openR2() error {
	svc, err := r2.Open(r2.Options{
		Dir: e.dir("r2"), InMemory: e.opts.InMemory, Sync: e.opts.Sync,
		Clock: e.opts.Clock, Logger: e.log.With("svc", "r2"),
		Credentials: r2.Credentials{AccessKeyID: e.opts.R2AccessKeyID, SecretAccessKey: e.opts.R2SecretAccessKey},
	})
	if err != nil {
		return fmt.Errorf("opening R2: %w", err)
	}
	e.R2 = svc
	e.onClose(svc.Close)
	for _, b := range e.opts.Config.R2Buckets {
		bucket, err := svc.EnsureBucket(context.Background(), b.BucketName)
		if err != nil {
			return fmt.Errorf("R2 bucket %s (%s): %w", b.Binding, b.BucketName, err)
		}
		e.env.R2[b.Binding] = bucket
	}
	addr := e.opts.S3Addr
	if addr == "" {
		addr = r2.DefaultS3Addr
	}
	creds := svc.Credentials()
	e.addListener("S3 (R2)", addr,
		fmt.Sprintf("path-style, region auto; access key id %s, secret %s", creds.AccessKeyID, creds.SecretAccessKey),
		svc.S3Handler(), r2.RequestTimeout)
	return nil
}
