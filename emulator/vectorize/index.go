package vectorize

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"jobmatch-edge/runtime"
)

// IndexConfig is an index's shape, fixed at creation.
type IndexConfig struct {
	Dimensions int    `json:"dimensions"`
	Metric     string `json:"metric"`
}

// Index is one Vectorize index. It implements runtime.VectorizeIndex.
//
// Every vector is held in memory: values in one contiguous float32 slab
// (slot i at slab[i*dims:(i+1)*dims]), with a precomputed norm per slot, so
// a query is one scan. SQLite holds the same data for restarts; each write
// is committed there before it is applied in memory, under the index lock,
// so a mutation is visible to the next call.
type Index struct {
	svc         *Service
	name        string
	description string
	config      IndexConfig
	createdOn   time.Time
	modifiedOn  time.Time
	db          *store

	mu           sync.RWMutex
	closed       bool
	slab         []float32
	norms        []float32 // cosine: |v|; euclidean: |v|²; dot-product: unused
	recs         []record
	slots        map[string]int
	metaIndexes  []metaIndex
	lastMutation string
	processedAt  *time.Time
}

var _ runtime.VectorizeIndex = (*Index)(nil)

// record is what a slot holds besides its values.
type record struct {
	id        string
	namespace string
	metadata  []byte         // compact JSON, nil when none
	indexed   map[string]any // indexed values by property path, nil when none
}

// Name is the index name.
func (x *Index) Name() string { return x.name }

// Config is the index's dimensions and metric.
func (x *Index) Config() IndexConfig { return x.config }

// Info is the REST description of an index.
type Info struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Config      IndexConfig `json:"config"`
	CreatedOn   string      `json:"created_on"`
	ModifiedOn  string      `json:"modified_on"`
}

// Info describes the index as the REST API lists it.
func (x *Index) Info() Info {
	return Info{
		Name: x.name, Description: x.description, Config: x.config,
		CreatedOn:  x.createdOn.UTC().Format(time.RFC3339Nano),
		ModifiedOn: x.modifiedOn.UTC().Format(time.RFC3339Nano),
	}
}

// load fills memory from the store.
func (x *Index) load(ctx context.Context) error {
	n, err := x.db.countVectors(ctx)
	if err != nil {
		return err
	}
	dims := x.config.Dimensions
	x.slab = make([]float32, 0, n*dims)
	x.norms = make([]float32, 0, n)
	x.recs = make([]record, 0, n)
	x.slots = make(map[string]int, n)
	if x.metaIndexes, err = x.db.loadMetadataIndexes(ctx); err != nil {
		return err
	}
	return x.db.loadVectors(ctx, dims, func(v *storedVector) error {
		x.slots[v.id] = len(x.recs)
		x.slab = append(x.slab, v.values...)
		x.norms = append(x.norms, x.norm(v.values))
		x.recs = append(x.recs, record{id: v.id, namespace: v.namespace, metadata: v.metadata, indexed: v.indexed})
		return nil
	})
}

// norm is what the metric needs precomputed per vector.
func (x *Index) norm(v []float32) float32 {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	switch x.config.Metric {
	case MetricCosine:
		return float32(math.Sqrt(s))
	case MetricEuclidean:
		return float32(s)
	}
	return 0
}

func (x *Index) values(slot int) []float32 {
	d := x.config.Dimensions
	return x.slab[slot*d : (slot+1)*d : (slot+1)*d]
}

// ---- writes ----

// prepared is a validated vector ready to store.
type prepared struct {
	id, namespace string
	values        []float32
	metadata      []byte
	md            map[string]any // metadata, normalized
	indexed       map[string]any
}

// Insert adds vectors; an id that exists (or repeats in the batch) keeps
// its first write.
func (x *Index) Insert(ctx context.Context, vectors []runtime.VectorizeVector) (runtime.VectorizeMutation, error) {
	return x.write(ctx, opInsert, vectors, false, x.svc.limits.MaxBatchBinding)
}

// Upsert adds or replaces vectors; the last write of an id wins.
func (x *Index) Upsert(ctx context.Context, vectors []runtime.VectorizeVector) (runtime.VectorizeMutation, error) {
	return x.write(ctx, opUpsert, vectors, true, x.svc.limits.MaxBatchBinding)
}

func (x *Index) prepare(op string, v *runtime.VectorizeVector) (*prepared, error) {
	lim := x.svc.limits
	if v.ID == "" {
		return nil, opError(op, runtime.CodeVectorizeIDTooLong, "id must not be empty")
	}
	if len(v.ID) > lim.MaxIDBytes {
		return nil, opError(op, runtime.CodeVectorizeIDTooLong, "id too long; max is %d bytes, got %d bytes", lim.MaxIDBytes, len(v.ID))
	}
	if len(v.Namespace) > lim.MaxNamespaceBytes {
		return nil, opError(op, runtime.CodeVectorizeNamespaceTooLong, "namespace too long; max is %d bytes, got %d bytes", lim.MaxNamespaceBytes, len(v.Namespace))
	}
	if len(v.Values) != x.config.Dimensions {
		return nil, opError(op, runtime.CodeVectorizeInsertDimensions, "invalid vector for id=%q, expected %d dimensions, and got %d dimensions", v.ID, x.config.Dimensions, len(v.Values))
	}
	for _, f := range v.Values {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil, opError(op, runtime.CodeVectorizeParseVectors, "failed to parse %s vectors request in json format", strings.ToLower(strings.TrimPrefix(op, "VECTOR_")))
		}
	}
	p := &prepared{id: v.ID, namespace: v.Namespace, values: slices.Clone([]float32(v.Values))}
	if v.Metadata != nil {
		norm, raw, err := normalize(v.Metadata)
		if err != nil {
			return nil, opError(op, runtime.CodeVectorizeParseVectors, "failed to parse %s vectors request in json format", strings.ToLower(strings.TrimPrefix(op, "VECTOR_")))
		}
		if bad, ok := badMetadataKey(norm); ok {
			return nil, opError(op, runtime.CodeVectorizeInvalidMetadataKey, "invalid metadata for id=%q: key %q is not allowed; metadata keys cannot be empty, contain '.' or '\"', or start with '$'", v.ID, bad)
		}
		if len(raw) > lim.MaxMetadataBytes {
			return nil, opError(op, runtime.CodeVectorizeMetadataTooLarge, "metadata too large for id=%q; max is %d bytes, got %d bytes", v.ID, lim.MaxMetadataBytes, len(raw))
		}
		p.metadata, p.md = raw, norm.(map[string]any)
	}
	return p, nil
}

func (x *Index) write(ctx context.Context, op string, vectors []runtime.VectorizeVector, upsert bool, maxBatch int) (runtime.VectorizeMutation, error) {
	if len(vectors) > maxBatch {
		return runtime.VectorizeMutation{}, opError(op, runtime.CodeVectorizeTooManyIDs, "too many vectors in payload; max count is %d, got %d", maxBatch, len(vectors))
	}
	if len(vectors) == 0 {
		// Differs from Cloudflare: no recorded answer to a write without
		// vectors; it is refused with the recorded parse failure.
		return runtime.VectorizeMutation{}, errParseVectors(op)
	}
	batch := make([]*prepared, 0, len(vectors))
	pos := make(map[string]int, len(vectors))
	for i := range vectors {
		p, err := x.prepare(op, &vectors[i])
		if err != nil {
			return runtime.VectorizeMutation{}, err
		}
		if j, seen := pos[p.id]; seen {
			if upsert {
				batch[j] = p // the last write of an id wins
			}
			continue // insert: the first write wins
		}
		pos[p.id] = len(batch)
		batch = append(batch, p)
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return runtime.VectorizeMutation{}, errIndexNotFound(x.name)
	}
	m := &mutation{id: newMutationID(), at: x.svc.clock.Now(), put: batch[:0:0]}
	for _, p := range batch {
		if _, exists := x.slots[p.id]; exists && !upsert {
			continue
		}
		p.indexed = indexedSnapshot(p.md, x.metaIndexes, x.svc.limits.IndexedStringBytes)
		m.put = append(m.put, p)
	}
	if err := x.db.commit(ctx, m); err != nil {
		return runtime.VectorizeMutation{}, fmt.Errorf("vectorize %s: %s: %w", x.name, strings.ToLower(op), err)
	}
	for _, p := range m.put {
		x.apply(p)
	}
	x.processed(m.id, m.at)
	return runtime.VectorizeMutation{MutationID: m.id}, nil
}

// apply puts a committed vector in memory. Callers hold x.mu.
func (x *Index) apply(p *prepared) {
	rec := record{id: p.id, namespace: p.namespace, metadata: p.metadata, indexed: p.indexed}
	if slot, ok := x.slots[p.id]; ok {
		copy(x.values(slot), p.values)
		x.norms[slot] = x.norm(p.values)
		x.recs[slot] = rec
		return
	}
	d := x.config.Dimensions
	if len(x.slab)+d > cap(x.slab) {
		// Grow by a quarter rather than doubling: the slab is most of the
		// index's memory.
		grown := make([]float32, len(x.slab), cap(x.slab)+cap(x.slab)/4+256*d)
		copy(grown, x.slab)
		x.slab = grown
	}
	x.slots[p.id] = len(x.recs)
	x.slab = append(x.slab, p.values...)
	x.norms = append(x.norms, x.norm(p.values))
	x.recs = append(x.recs, rec)
}

// remove drops a slot by moving the last slot into it. Callers hold x.mu.
func (x *Index) remove(id string) {
	slot, ok := x.slots[id]
	if !ok {
		return
	}
	last := len(x.recs) - 1
	if slot != last {
		copy(x.values(slot), x.values(last))
		x.norms[slot] = x.norms[last]
		x.recs[slot] = x.recs[last]
		x.slots[x.recs[slot].id] = slot
	}
	delete(x.slots, id)
	x.recs[last] = record{}
	x.recs = x.recs[:last]
	x.norms = x.norms[:last]
	x.slab = x.slab[:last*x.config.Dimensions]
}

func (x *Index) processed(id string, at time.Time) {
	x.lastMutation = id
	x.processedAt = &at
}

// DeleteByIDs removes vectors; missing ids are not an error.
func (x *Index) DeleteByIDs(ctx context.Context, ids []string) (runtime.VectorizeMutation, error) {
	if max := x.svc.limits.MaxDeleteIDs; len(ids) > max {
		return runtime.VectorizeMutation{}, opError(opDelete, runtime.CodeVectorizeTooManyIDs, "too many ids in payload; max id count is %d, got %d", max, len(ids))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return runtime.VectorizeMutation{}, errIndexNotFound(x.name)
	}
	m := &mutation{id: newMutationID(), at: x.svc.clock.Now()}
	for _, id := range ids {
		if _, ok := x.slots[id]; ok && !slices.Contains(m.deletes, id) {
			m.deletes = append(m.deletes, id)
		}
	}
	if err := x.db.commit(ctx, m); err != nil {
		return runtime.VectorizeMutation{}, fmt.Errorf("vectorize %s: delete: %w", x.name, err)
	}
	for _, id := range m.deletes {
		x.remove(id)
	}
	x.processed(m.id, m.at)
	return runtime.VectorizeMutation{MutationID: m.id}, nil
}

// ---- reads ----

// GetByIDs returns the stored vectors among ids in the order asked, each
// once; missing ids are left out.
func (x *Index) GetByIDs(ctx context.Context, ids []string) ([]runtime.VectorizeVector, error) {
	if max := x.svc.limits.MaxGetIDs; len(ids) > max {
		return nil, opError(opGet, runtime.CodeVectorizeTooManyIDs, "too many ids in payload; max id count is %d, got %d", max, len(ids))
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errIndexNotFound(x.name)
	}
	out := []runtime.VectorizeVector{}
	seen := map[string]bool{}
	for _, id := range ids {
		slot, ok := x.slots[id]
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		r := &x.recs[slot]
		out = append(out, runtime.VectorizeVector{
			ID: r.id, Namespace: r.namespace,
			Values:   slices.Clone(x.values(slot)),
			Metadata: decodeMetadata(r.metadata),
		})
	}
	return out, nil
}

func decodeMetadata(raw []byte) map[string]any {
	if raw == nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil // stored by us from valid JSON; cannot happen
	}
	return m
}

// Describe reports the vector count and the last processed mutation.
func (x *Index) Describe(ctx context.Context) (runtime.VectorizeIndexInfo, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return runtime.VectorizeIndexInfo{}, errIndexNotFound(x.name)
	}
	info := runtime.VectorizeIndexInfo{
		VectorCount:           len(x.recs),
		Dimensions:            x.config.Dimensions,
		ProcessedUpToMutation: x.lastMutation,
	}
	if x.processedAt != nil {
		at := x.processedAt.UTC()
		info.ProcessedUpToDatetime = &at
	}
	return info, nil
}

// ---- metadata indexes ----

// CreateMetadataIndex makes property filterable for vectors written from
// now on; vectors already stored are not indexed until written again.
func (x *Index) CreateMetadataIndex(ctx context.Context, property, indexType string) (runtime.VectorizeMutation, error) {
	if err := validatePropertyName(property, x.svc.limits.MaxMetadataKeyChars); err != nil {
		return runtime.VectorizeMutation{}, err
	}
	if err := validateIndexType(indexType); err != nil {
		return runtime.VectorizeMutation{}, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return runtime.VectorizeMutation{}, errIndexNotFound(x.name)
	}
	if slices.ContainsFunc(x.metaIndexes, func(mi metaIndex) bool { return mi.Property == property }) {
		return runtime.VectorizeMutation{}, errValidation("a metadata index for property %q already exists", property)
	}
	if max := x.svc.limits.MaxMetadataIndexes; len(x.metaIndexes) >= max {
		return runtime.VectorizeMutation{}, errValidation("too many metadata indexes: an index can have at most %d", max)
	}
	id, at := newMutationID(), x.svc.clock.Now()
	mi := metaIndex{Property: property, Type: indexType}
	if err := x.db.addMetadataIndex(ctx, mi, id, at); err != nil {
		return runtime.VectorizeMutation{}, fmt.Errorf("vectorize %s: create metadata index: %w", x.name, err)
	}
	x.metaIndexes = append(x.metaIndexes, mi)
	x.processed(id, at)
	return runtime.VectorizeMutation{MutationID: id}, nil
}

// DeleteMetadataIndex drops the metadata index on property and the values
// it indexed.
func (x *Index) DeleteMetadataIndex(ctx context.Context, property string) (runtime.VectorizeMutation, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return runtime.VectorizeMutation{}, errIndexNotFound(x.name)
	}
	i := slices.IndexFunc(x.metaIndexes, func(mi metaIndex) bool { return mi.Property == property })
	if i < 0 {
		return runtime.VectorizeMutation{}, errValidation("no metadata index for property %q", property)
	}
	id, at := newMutationID(), x.svc.clock.Now()
	if err := x.db.dropMetadataIndex(ctx, property, id, at); err != nil {
		return runtime.VectorizeMutation{}, fmt.Errorf("vectorize %s: delete metadata index: %w", x.name, err)
	}
	x.metaIndexes = slices.Delete(x.metaIndexes, i, i+1)
	for j := range x.recs {
		if _, ok := x.recs[j].indexed[property]; ok {
			// Replace rather than edit: query results may share the old map.
			m := cloneWithout(x.recs[j].indexed, property)
			x.recs[j].indexed = m
		}
	}
	x.processed(id, at)
	return runtime.VectorizeMutation{MutationID: id}, nil
}

func cloneWithout(m map[string]any, key string) map[string]any {
	if len(m) <= 1 {
		return nil
	}
	out := make(map[string]any, len(m)-1)
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// ListMetadataIndexes lists the metadata indexes in creation order.
func (x *Index) ListMetadataIndexes(ctx context.Context) ([]runtime.VectorizeMetadataIndex, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errIndexNotFound(x.name)
	}
	out := make([]runtime.VectorizeMetadataIndex, len(x.metaIndexes))
	for i, mi := range x.metaIndexes {
		out[i] = runtime.VectorizeMetadataIndex{PropertyName: mi.Property, IndexType: mi.Type}
	}
	return out, nil
}

// ListVectors returns up to count ids after cursor (an id) in id order, and
// the total number of vectors.
func (x *Index) ListVectors(cursor string, count int) (ids []string, total int, truncated bool, err error) {
	x.mu.RLock()
	all := make([]string, 0, len(x.recs))
	for i := range x.recs {
		all = append(all, x.recs[i].id)
	}
	closed := x.closed
	x.mu.RUnlock()
	if closed {
		return nil, 0, false, errIndexNotFound(x.name)
	}
	slices.Sort(all)
	start, _ := slices.BinarySearch(all, cursor)
	if cursor != "" && start < len(all) && all[start] == cursor {
		start++
	}
	end := min(start+count, len(all))
	return all[start:end], len(all), end < len(all), nil
}

// newMutationID returns a random UUID (version 4), the form Vectorize's
// mutation ids take.
func newMutationID() string { return uuid.NewString() }
