package vectorize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"jobmatch-edge/runtime"
)

// Options configure a Service.
type Options struct {
	Dir      string // where <index>.sqlite files live; ignored when InMemory
	InMemory bool   // keep every index in memory only
	Sync     bool   // fsync every write (SQLite synchronous=FULL)
	Clock    runtime.Clock
	Logger   *slog.Logger
	Limits   Limits // zero fields take DefaultLimits
}

// Service holds every Vectorize index of the account.
type Service struct {
	opts   Options
	limits Limits
	clock  runtime.Clock
	log    *slog.Logger

	mu      sync.RWMutex
	indexes map[string]*Index
}

// Open loads every index found in opts.Dir (none when in memory).
func Open(opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = runtime.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if !opts.InMemory && opts.Dir == "" {
		return nil, errors.New("vectorize: Options.Dir is required unless InMemory")
	}
	s := &Service{opts: opts, limits: opts.Limits.withDefaults(), clock: opts.Clock, log: opts.Logger, indexes: map[string]*Index{}}
	if opts.InMemory {
		return s, nil
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("vectorize: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(opts.Dir, "*.sqlite"))
	if err != nil {
		return nil, fmt.Errorf("vectorize: %w", err)
	}
	ctx := context.Background()
	for _, path := range files {
		x, err := s.openIndex(ctx, path)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("vectorize: opening %s: %w", path, err)
		}
		s.indexes[x.name] = x
		s.log.Debug("index loaded", "index", x.name, "vectors", len(x.recs), "dimensions", x.config.Dimensions, "metric", x.config.Metric)
	}
	return s, nil
}

func (s *Service) openIndex(ctx context.Context, path string) (*Index, error) {
	db, err := openStore(path, s.opts.Sync)
	if err != nil {
		return nil, err
	}
	m, err := db.loadMeta(ctx)
	if err != nil {
		_ = db.close()
		return nil, err
	}
	x := &Index{
		svc: s, name: m.Name, description: m.Description, config: m.Config,
		createdOn: m.CreatedOn, modifiedOn: m.ModifiedOn, db: db,
		lastMutation: m.LastMutation, processedAt: m.ProcessedAt,
	}
	if err := x.load(ctx); err != nil {
		_ = db.close()
		return nil, err
	}
	return x, nil
}

// Close closes every index.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for name, x := range s.indexes {
		x.mu.Lock()
		x.closed = true
		errs = append(errs, x.db.close())
		x.mu.Unlock()
		delete(s.indexes, name)
	}
	return errors.Join(errs...)
}

var indexNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// validateConfig checks an index name and shape.
func (s *Service) validate(name string, cfg IndexConfig) error {
	if !indexNamePattern.MatchString(name) || len(name) > s.limits.MaxIndexNameLength {
		return errValidation("invalid index name %q: it must start with a lowercase letter, contain only lowercase letters, digits and dashes, and be at most %d characters", name, s.limits.MaxIndexNameLength)
	}
	if cfg.Dimensions < 1 || cfg.Dimensions > s.limits.MaxDimensions {
		return errValidation("invalid dimensions %d: must be between 1 and %d", cfg.Dimensions, s.limits.MaxDimensions)
	}
	switch cfg.Metric {
	case MetricCosine, MetricEuclidean, MetricDotProduct:
	default:
		return errValidation("invalid metric %q: expected one of \"cosine\", \"euclidean\", \"dot-product\"", cfg.Metric)
	}
	return nil
}

// CreateIndex creates an empty index. A name in use gives ErrDuplicateName.
func (s *Service) CreateIndex(ctx context.Context, name, description string, cfg IndexConfig) (*Index, error) {
	if err := s.validate(name, cfg); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.indexes[name]; ok {
		return nil, errDuplicateName(name)
	}
	path := ""
	if !s.opts.InMemory {
		path = filepath.Join(s.opts.Dir, name+".sqlite")
	}
	db, err := openStore(path, s.opts.Sync)
	if err != nil {
		return nil, fmt.Errorf("vectorize: creating index %s: %w", name, err)
	}
	now := s.clock.Now().UTC()
	x := &Index{svc: s, name: name, description: description, config: cfg, createdOn: now, modifiedOn: now, db: db, slots: map[string]int{}}
	if err := db.saveMeta(ctx, indexMeta{Name: name, Description: description, Config: cfg, CreatedOn: now, ModifiedOn: now}); err != nil {
		_ = db.remove()
		return nil, fmt.Errorf("vectorize: creating index %s: %w", name, err)
	}
	s.indexes[name] = x
	s.log.InfoContext(ctx, "index created", "index", name, "dimensions", cfg.Dimensions, "metric", cfg.Metric)
	return x, nil
}

// Index returns the index called name, or an ErrIndexNotFound error.
func (s *Service) Index(name string) (*Index, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	x, ok := s.indexes[name]
	if !ok {
		return nil, errIndexNotFound(name)
	}
	return x, nil
}

// Indexes lists the indexes by name.
func (s *Service) Indexes() []*Index {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Index, 0, len(s.indexes))
	for _, x := range s.indexes {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b *Index) int { return strings.Compare(a.name, b.name) })
	return out
}

// DeleteIndex deletes an index and its file. The name can be used again.
func (s *Service) DeleteIndex(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.indexes[name]
	if !ok {
		return errIndexNotFound(name)
	}
	delete(s.indexes, name)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed = true
	x.slab, x.norms, x.recs, x.slots = nil, nil, nil, nil
	if err := x.db.remove(); err != nil {
		return fmt.Errorf("vectorize: deleting index %s: %w", name, err)
	}
	s.log.InfoContext(ctx, "index deleted", "index", name)
	return nil
}

// Ensure returns the index called name, creating it when cfg gives its
// dimensions. An existing index must have the configured shape; an index
// that does not exist and has no configured dimensions is an error.
func (s *Service) Ensure(ctx context.Context, name string, cfg IndexConfig) (*Index, error) {
	if x, err := s.Index(name); err == nil {
		if cfg.Dimensions != 0 && (cfg.Dimensions != x.config.Dimensions || (cfg.Metric != "" && cfg.Metric != x.config.Metric)) {
			return nil, fmt.Errorf("index %q exists with %d dimensions and metric %s, but the config says %d dimensions and metric %s; delete it (edge state dir) or fix the config",
				name, x.config.Dimensions, x.config.Metric, cfg.Dimensions, cfg.Metric)
		}
		return x, nil
	}
	if cfg.Dimensions == 0 {
		return nil, fmt.Errorf("index %q does not exist and the config gives no dimensions: add dimensions and metric to its [[vectorize]] entry, or create it over REST (POST /client/v4/accounts/{account_id}/vectorize/v2/indexes) and restart", name)
	}
	if cfg.Metric == "" {
		return nil, fmt.Errorf("index %q: the config gives dimensions but no metric (cosine, euclidean or dot-product)", name)
	}
	return s.CreateIndex(ctx, name, "", cfg)
}

// Binding returns the binding for the index called name. It looks the
// index up on every call, so it follows the index being deleted and
// created again over REST.
func (s *Service) Binding(name string) *Binding { return &Binding{svc: s, name: name} }

// Binding is a Worker's binding to an index by name.
type Binding struct {
	svc  *Service
	name string
}

var _ runtime.VectorizeIndex = (*Binding)(nil)

// Describe implements runtime.VectorizeIndex.
func (b *Binding) Describe(ctx context.Context) (runtime.VectorizeIndexInfo, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeIndexInfo{}, err
	}
	return x.Describe(ctx)
}

// Query implements runtime.VectorizeIndex.
func (b *Binding) Query(ctx context.Context, vector []float32, o runtime.VectorizeQueryOptions) (runtime.VectorizeMatches, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeMatches{}, err
	}
	return x.Query(ctx, vector, o)
}

// QueryByID implements runtime.VectorizeIndex.
func (b *Binding) QueryByID(ctx context.Context, id string, o runtime.VectorizeQueryOptions) (runtime.VectorizeMatches, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeMatches{}, err
	}
	return x.QueryByID(ctx, id, o)
}

// Insert implements runtime.VectorizeIndex.
func (b *Binding) Insert(ctx context.Context, vectors []runtime.VectorizeVector) (runtime.VectorizeMutation, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeMutation{}, err
	}
	return x.Insert(ctx, vectors)
}

// Upsert implements runtime.VectorizeIndex.
func (b *Binding) Upsert(ctx context.Context, vectors []runtime.VectorizeVector) (runtime.VectorizeMutation, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeMutation{}, err
	}
	return x.Upsert(ctx, vectors)
}

// GetByIDs implements runtime.VectorizeIndex.
func (b *Binding) GetByIDs(ctx context.Context, ids []string) ([]runtime.VectorizeVector, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return nil, err
	}
	return x.GetByIDs(ctx, ids)
}

// DeleteByIDs implements runtime.VectorizeIndex.
func (b *Binding) DeleteByIDs(ctx context.Context, ids []string) (runtime.VectorizeMutation, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeMutation{}, err
	}
	return x.DeleteByIDs(ctx, ids)
}

// CreateMetadataIndex implements runtime.VectorizeIndex.
func (b *Binding) CreateMetadataIndex(ctx context.Context, property, indexType string) (runtime.VectorizeMutation, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeMutation{}, err
	}
	return x.CreateMetadataIndex(ctx, property, indexType)
}

// DeleteMetadataIndex implements runtime.VectorizeIndex.
func (b *Binding) DeleteMetadataIndex(ctx context.Context, property string) (runtime.VectorizeMutation, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return runtime.VectorizeMutation{}, err
	}
	return x.DeleteMetadataIndex(ctx, property)
}

// ListMetadataIndexes implements runtime.VectorizeIndex.
func (b *Binding) ListMetadataIndexes(ctx context.Context) ([]runtime.VectorizeMetadataIndex, error) {
	x, err := b.svc.Index(b.name)
	if err != nil {
		return nil, err
	}
	return x.ListMetadataIndexes(ctx)
}
