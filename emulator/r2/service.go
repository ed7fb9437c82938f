package r2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"jobmatch-edge/runtime"
)

// Options configure a Service.
type Options struct {
	Dir         string // state dir: <Dir>/r2.sqlite and <Dir>/<bucket>/{blobs,tmp}
	InMemory    bool   // keep metadata and contents in memory
	Sync        bool   // fsync every object before acknowledging it
	Clock       runtime.Clock
	Logger      *slog.Logger
	Limits      *Limits     // nil means DefaultLimits
	Credentials Credentials // what the S3 endpoint accepts; zero means DefaultCredentials
}

// Service holds every bucket of one edge process.
type Service struct {
	opts   Options
	limits Limits
	clock  runtime.Clock
	log    *slog.Logger
	meta   *meta
	blobs  blobs

	mu      sync.RWMutex
	buckets map[string]*Bucket

	s3URL atomic.Pointer[string] // where the S3 endpoint listens (SetS3URL)
}

// Open opens (or creates) the R2 state.
func Open(opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = runtime.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Credentials.AccessKeyID == "" {
		opts.Credentials.AccessKeyID = DefaultAccessKeyID
	}
	if opts.Credentials.SecretAccessKey == "" {
		opts.Credentials.SecretAccessKey = DefaultSecretAccessKey
	}
	s := &Service{opts: opts, limits: DefaultLimits, clock: opts.Clock, log: opts.Logger, buckets: map[string]*Bucket{}}
	if opts.Limits != nil {
		s.limits = *opts.Limits
	}
	if opts.InMemory {
		s.blobs = &memBlobs{m: map[string][]byte{}}
	} else {
		if opts.Dir == "" {
			return nil, errors.New("r2: Options.Dir is required unless InMemory")
		}
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("r2: %w", err)
		}
		s.blobs = &fileBlobs{dir: opts.Dir, sync: opts.Sync}
	}
	m, err := openMeta(opts.Dir, opts.InMemory, opts.Sync)
	if err != nil {
		return nil, fmt.Errorf("r2: opening metadata: %w", err)
	}
	s.meta = m
	return s, nil
}

// Close closes the metadata database.
func (s *Service) Close() error {
	if s.meta == nil {
		return nil
	}
	err := s.meta.close()
	s.meta = nil
	return err
}

// Credentials are the S3 credentials the endpoint accepts.
func (s *Service) Credentials() Credentials { return s.opts.Credentials }

// Limits are the limits in force.
func (s *Service) Limits() Limits { return s.limits }

// bucketName is what S3 and R2 accept as a bucket name.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// EnsureBucket creates bucket name if needed and returns its binding. At
// the first open of a bucket in this process, temp files left by a crash
// and blobs no metadata names are deleted, and expired multipart uploads
// are aborted.
func (s *Service) EnsureBucket(ctx context.Context, name string) (*Bucket, error) {
	if !bucketName.MatchString(name) {
		return nil, fmt.Errorf("r2: invalid bucket name %q (3-63 characters: lower-case letters, digits and hyphens)", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.buckets[name]; ok {
		return b, nil
	}
	if fb, ok := s.blobs.(*fileBlobs); ok {
		if err := fb.init(name); err != nil {
			return nil, fmt.Errorf("r2: bucket %s: %w", name, err)
		}
	}
	if err := s.meta.ensureBucket(ctx, name, s.clock.Now()); err != nil {
		return nil, fmt.Errorf("r2: bucket %s: %w", name, err)
	}
	b := &Bucket{svc: s, name: name}
	if err := b.abortExpired(ctx); err != nil {
		return nil, fmt.Errorf("r2: bucket %s: %w", name, err)
	}
	keep, err := s.meta.referenced(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("r2: bucket %s: %w", name, err)
	}
	n, err := s.blobs.sweep(name, func(id string) bool { return keep[id] })
	if err != nil {
		return nil, fmt.Errorf("r2: bucket %s: sweeping: %w", name, err)
	}
	if n > 0 {
		s.log.InfoContext(ctx, "removed unreferenced blobs", "bucket", name, "count", n)
	}
	s.buckets[name] = b
	return b, nil
}

// Bucket returns an open bucket, or nil.
func (s *Service) Bucket(name string) *Bucket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.buckets[name]
}

// BucketInfo describes a bucket for ListBuckets.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// Buckets lists the open buckets by name.
func (s *Service) Buckets(ctx context.Context) ([]BucketInfo, error) {
	s.mu.RLock()
	names := make([]string, 0, len(s.buckets))
	for n := range s.buckets {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	out := make([]BucketInfo, 0, len(names))
	for _, n := range names {
		c, err := s.meta.bucketCreated(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, BucketInfo{Name: n, Created: c})
	}
	return out, nil
}
