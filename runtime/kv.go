package runtime

import (
	"context"
	"encoding/json"
	"net/http"
)

// KVNamespace is a Workers KV namespace binding (env.NS in a Worker).
type KVNamespace interface {
	// Get returns the value of key. A missing or expired key gives ErrKVKeyNotFound.
	Get(ctx context.Context, key string) (KVEntry, error)
	// Put stores val under key, replacing value, expiration and metadata.
	Put(ctx context.Context, key string, val []byte, o KVPutOptions) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns keys in UTF-8 byte order.
	List(ctx context.Context, o KVListOptions) (KVListResult, error)
}

// KVEntry is a stored value with its metadata and expiration.
type KVEntry struct {
	Value      []byte
	Metadata   json.RawMessage // nil when none was stored
	Expiration int64           // unix seconds; 0 when the key never expires
}

// KVPutOptions are put's options. Zero values mean "not given".
type KVPutOptions struct {
	Expiration    int64 // absolute unix seconds
	ExpirationTTL int64 // seconds from now; wins over Expiration
	Metadata      json.RawMessage
}

// KVListOptions are list's options.
type KVListOptions struct {
	Prefix string
	Limit  int
	Cursor string
}

// KVKey is one entry of a list result.
type KVKey struct {
	Name       string          `json:"name"`
	Expiration int64           `json:"expiration,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// KVListResult is list's result.
type KVListResult struct {
	Keys         []KVKey `json:"keys"`
	ListComplete bool    `json:"list_complete"`
	Cursor       string  `json:"cursor,omitempty"`
	CacheStatus  *string `json:"cacheStatus"`
}

// ErrKVKeyNotFound is returned by Get for a missing or expired key.
var ErrKVKeyNotFound = &Error{Status: http.StatusNotFound, Code: CodeKVKeyNotFound, Message: "get: 'key not found'"}
