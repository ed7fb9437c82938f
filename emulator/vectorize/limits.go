package vectorize

// Limits are Vectorize's documented limits [DOCS vectorize/platform/limits.mdx]
// plus the per-call caps production enforces. Tests shrink them through
// Options.Limits.
type Limits struct {
	MaxDimensions       int // 1536 dimensions per vector
	MaxIDBytes          int // 64 bytes per vector id
	MaxNamespaceBytes   int // 64 bytes per namespace name
	MaxMetadataBytes    int // 10 KiB of metadata JSON per vector
	MaxMetadataIndexes  int // 10 metadata indexes per index
	IndexedStringBytes  int // the first 64 bytes of a string are indexed
	MaxFilterBytes      int // a filter's compact JSON must be shorter than 2048 bytes
	MaxFilterKeyChars   int // 512 characters per filter key
	MaxMetadataKeyChars int // 512 characters per metadata index property name
	MaxTopK             int // topK without values or full metadata
	MaxTopKWithValues   int // topK with returnValues or returnMetadata "all"
	MaxBatchBinding     int // vectors per insert/upsert through the binding
	MaxBatchHTTP        int // vectors per insert/upsert over REST
	MaxGetIDs           int // ids per getByIds
	MaxDeleteIDs        int // ids per deleteByIds
	MaxListVectors      int // ids per page of REST list
	DefaultListVectors  int // ids per page of REST list when count is not given
	MaxIndexNameLength  int // characters per index name
	DefaultTopK         int // topK when not given
}

// DefaultLimits are Cloudflare's values.
var DefaultLimits = Limits{
	MaxDimensions:       1536,
	MaxIDBytes:          64,
	MaxNamespaceBytes:   64,
	MaxMetadataBytes:    10 << 10,
	MaxMetadataIndexes:  10,
	IndexedStringBytes:  64,
	MaxFilterBytes:      2048,
	MaxFilterKeyChars:   512,
	MaxMetadataKeyChars: 512,
	MaxTopK:             100, // production; §9.2 of cloudflare-semantics.md
	MaxTopKWithValues:   50,  // production says 50 (docs still say 20)
	MaxBatchBinding:     1000,
	MaxBatchHTTP:        5000,
	MaxGetIDs:           20,  // VECTOR_GET_ERROR (code = 40007) above 20 [OBS]
	MaxDeleteIDs:        100, // VECTOR_DELETE_ERROR (code = 40007) above 100 [OBS]
	MaxListVectors:      1000,
	DefaultListVectors:  100,
	MaxIndexNameLength:  64,
	DefaultTopK:         5,
}

// withDefaults fills every zero field of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxDimensions, d.MaxDimensions)
	set(&l.MaxIDBytes, d.MaxIDBytes)
	set(&l.MaxNamespaceBytes, d.MaxNamespaceBytes)
	set(&l.MaxMetadataBytes, d.MaxMetadataBytes)
	set(&l.MaxMetadataIndexes, d.MaxMetadataIndexes)
	set(&l.IndexedStringBytes, d.IndexedStringBytes)
	set(&l.MaxFilterBytes, d.MaxFilterBytes)
	set(&l.MaxFilterKeyChars, d.MaxFilterKeyChars)
	set(&l.MaxMetadataKeyChars, d.MaxMetadataKeyChars)
	set(&l.MaxTopK, d.MaxTopK)
	set(&l.MaxTopKWithValues, d.MaxTopKWithValues)
	set(&l.MaxBatchBinding, d.MaxBatchBinding)
	set(&l.MaxBatchHTTP, d.MaxBatchHTTP)
	set(&l.MaxGetIDs, d.MaxGetIDs)
	set(&l.MaxDeleteIDs, d.MaxDeleteIDs)
	set(&l.MaxListVectors, d.MaxListVectors)
	set(&l.DefaultListVectors, d.DefaultListVectors)
	set(&l.MaxIndexNameLength, d.MaxIndexNameLength)
	set(&l.DefaultTopK, d.DefaultTopK)
	return l
}

// Metrics an index can use.
const (
	MetricCosine     = "cosine"
	MetricEuclidean  = "euclidean"
	MetricDotProduct = "dot-product"
)

// Presets are the models an index can be created for with {"preset": ...},
// and the shape each implies.
var Presets = map[string]IndexConfig{
	"@cf/baai/bge-small-en-v1.5":     {Dimensions: 384, Metric: MetricCosine},
	"@cf/baai/bge-base-en-v1.5":      {Dimensions: 768, Metric: MetricCosine},
	"@cf/baai/bge-large-en-v1.5":     {Dimensions: 1024, Metric: MetricCosine},
	"openai/text-embedding-ada-002":  {Dimensions: 1536, Metric: MetricCosine},
	"cohere/embed-multilingual-v2.0": {Dimensions: 768, Metric: MetricCosine},
}
