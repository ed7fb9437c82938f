package kv

// Cloudflare's Workers KV limits (cloudflare-semantics.md §1, §2.2). Tests
// shrink the size limits through Options.Limits.
const (
	MaxKeyBytes       = 512         // UTF-8 bytes of a key name
	MaxValueBytes     = 25 << 20    // 26,214,400: one value
	MaxMetadataBytes  = 1024        // serialised metadata JSON
	MinExpirationTTL  = 60          // seconds; also the minimum distance of an absolute expiration
	MinCacheTTL       = 30          // seconds (changelog 2026-01-30)
	DefaultListLimit  = 1000        // keys per list page when limit is absent, 0 or negative
	MaxListLimit      = 1000        // keys per list page
	MaxBulkGetKeys    = 100         // keys per bulk get
	MaxBulkGetBytes   = 25 << 20    // total value size of one bulk get
	MaxBulkWriteItems = 10000       // pairs per REST bulk write
	MaxBulkDeleteKeys = 10000       // keys per REST bulk delete
	minExpiration     = -2147483648 // expiration and expirationTtl are int32 in the binding
	maxExpiration     = 2147483647  //
	namespacePageMax  = 100         // per_page cap of the namespace list
	namespacePageDflt = 20          // per_page default of the namespace list
	expiredSweepBatch = 256         // at most this many expired pairs deleted by one list call
	badgerGCGraceSecs = 60          // Badger TTL = expiration + this, and only with the system clock
	contentTypeOctet  = "application/octet-stream"
	headerExpiration  = "expiration" // REST value GET: unix seconds, when the key expires
)

// maxStoredExpiration is the latest expiration (unix seconds) a put may
// set, over REST too: 2^53-1, the largest integer a JavaScript number
// (workerd's, or a client's JSON parser) holds exactly, so the expiration a
// list shows is the one the value header shows.
const maxStoredExpiration = 1<<53 - 1

// Limits are the size limits a Service enforces. The zero value of a field
// means Cloudflare's limit.
type Limits struct {
	MaxValueBytes     int // default MaxValueBytes
	MaxMetadataBytes  int // default MaxMetadataBytes
	MaxBulkWriteItems int // default MaxBulkWriteItems
	MaxBulkDeleteKeys int // default MaxBulkDeleteKeys
	MaxBulkGetBytes   int // default MaxBulkGetBytes
}

func (l Limits) withDefaults() Limits {
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = MaxValueBytes
	}
	if l.MaxMetadataBytes <= 0 {
		l.MaxMetadataBytes = MaxMetadataBytes
	}
	if l.MaxBulkWriteItems <= 0 {
		l.MaxBulkWriteItems = MaxBulkWriteItems
	}
	if l.MaxBulkDeleteKeys <= 0 {
		l.MaxBulkDeleteKeys = MaxBulkDeleteKeys
	}
	if l.MaxBulkGetBytes <= 0 {
		l.MaxBulkGetBytes = MaxBulkGetBytes
	}
	return l
}
