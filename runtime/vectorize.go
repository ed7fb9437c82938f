package runtime

import (
	"context"
	"encoding/json"
	"time"
)

// VectorizeIndex is a Vectorize v2 index binding (env.VECTORIZE in a
// Worker). Errors are *Error values whose Message is the text the Worker
// would see, "<OP>_ERROR (code = <n>): <error>", and whose Code is n.
type VectorizeIndex interface {
	// Describe returns the index's size and how far mutations are processed.
	Describe(ctx context.Context) (VectorizeIndexInfo, error)
	// Query returns the vectors nearest to vector, best first. The filter
	// and namespace are applied before topK.
	Query(ctx context.Context, vector []float32, o VectorizeQueryOptions) (VectorizeMatches, error)
	// QueryByID queries with the values of the stored vector id; a missing id
	// gives no matches.
	QueryByID(ctx context.Context, id string, o VectorizeQueryOptions) (VectorizeMatches, error)
	// Insert adds vectors; an id that already exists keeps its first write.
	Insert(ctx context.Context, vectors []VectorizeVector) (VectorizeMutation, error)
	// Upsert adds or replaces vectors; the last write of an id wins.
	Upsert(ctx context.Context, vectors []VectorizeVector) (VectorizeMutation, error)
	// GetByIDs returns the stored vectors among ids, in the order asked;
	// missing ids are left out.
	GetByIDs(ctx context.Context, ids []string) ([]VectorizeVector, error)
	// DeleteByIDs removes vectors; missing ids are not an error.
	DeleteByIDs(ctx context.Context, ids []string) (VectorizeMutation, error)

	// CreateMetadataIndex makes property (dotted for nested keys) filterable
	// for vectors written from now on. Type is "string", "number" or "boolean".
	CreateMetadataIndex(ctx context.Context, property, indexType string) (VectorizeMutation, error)
	// DeleteMetadataIndex drops the metadata index on property.
	DeleteMetadataIndex(ctx context.Context, property string) (VectorizeMutation, error)
	// ListMetadataIndexes lists the metadata indexes in creation order.
	ListMetadataIndexes(ctx context.Context) ([]VectorizeMetadataIndex, error)
}

// VectorizeVector is one vector: Cloudflare's VectorizeVector.
type VectorizeVector struct {
	ID        string          `json:"id"`
	Values    VectorizeValues `json:"values"`
	Namespace string          `json:"namespace,omitempty"`
	Metadata  map[string]any  `json:"metadata,omitempty"`
}

// VectorizeValues are a vector's components, stored as float32. On the wire
// each is written as the float64 the float32 holds, as Cloudflare does
// (58.8 comes back as 58.79999923706055).
type VectorizeValues []float32

// MarshalJSON writes the values as float64 numbers.
func (v VectorizeValues) MarshalJSON() ([]byte, error) {
	if v == nil {
		return []byte("null"), nil
	}
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return json.Marshal(f)
}

// Vectorize returnMetadata values.
const (
	VectorizeMetadataNone    = "none"
	VectorizeMetadataIndexed = "indexed"
	VectorizeMetadataAll     = "all"
)

// VectorizeQueryOptions are query's options. Zero values take Cloudflare's
// defaults: topK 5, all namespaces, no values, returnMetadata "none".
type VectorizeQueryOptions struct {
	TopK           int            `json:"topK,omitempty"`
	Namespace      string         `json:"namespace,omitempty"`
	ReturnValues   bool           `json:"returnValues,omitempty"`
	ReturnMetadata string         `json:"returnMetadata,omitempty"` // "none" | "indexed" | "all"
	Filter         map[string]any `json:"filter,omitempty"`         // nil: no filter
}

// VectorizeMatch is one query result.
type VectorizeMatch struct {
	ID        string          `json:"id"`
	Score     float64         `json:"score"`
	Values    VectorizeValues `json:"values,omitempty"`
	Metadata  map[string]any  `json:"metadata,omitempty"`
	Namespace string          `json:"namespace,omitempty"`
}

// VectorizeMatches is query's result: count is the number of matches.
type VectorizeMatches struct {
	Count   int              `json:"count"`
	Matches []VectorizeMatch `json:"matches"`
}

// VectorizeMutation is the result of a write: the id of the mutation that
// carries it.
type VectorizeMutation struct {
	MutationID string `json:"mutationId"`
}

// VectorizeIndexInfo is describe's result.
type VectorizeIndexInfo struct {
	VectorCount           int        `json:"vectorCount"`
	Dimensions            int        `json:"dimensions"`
	ProcessedUpToDatetime *time.Time `json:"processedUpToDatetime"` // nil before the first mutation
	ProcessedUpToMutation string     `json:"processedUpToMutation"`
}

// VectorizeMetadataIndex is one metadata index.
type VectorizeMetadataIndex struct {
	PropertyName string `json:"propertyName"`
	IndexType    string `json:"indexType"` // "string" | "number" | "boolean"
}
