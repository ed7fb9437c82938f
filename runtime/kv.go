package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// KVNamespace is a Workers KV namespace binding (env.NS in a Worker).
//
// The JavaScript surface maps onto it as follows:
//
//	get(key) / get(key, "text"|"json"|"arrayBuffer"|"stream")  Get, then KVEntry.Text / JSON / Value / Stream
//	getWithMetadata(key)                                        Get (the entry carries metadata and expiration)
//	get(key, {cacheTtl})                                        GetWithOptions
//	get([keys]) / getWithMetadata([keys])                       GetBulk
//	put / delete / list                                         Put / Delete / List
//
// Where a Worker sees null (a missing or expired key), Get returns
// ErrKVKeyNotFound and GetBulk maps the key to nil. Bad input fails with a
// *KVError worded as workerd words it.
type KVNamespace interface {
	// Get returns the value of key with its metadata and expiration. A
	// missing or expired key gives ErrKVKeyNotFound.
	Get(ctx context.Context, key string) (KVEntry, error)
	// GetWithOptions is Get with get's options (cacheTtl).
	GetWithOptions(ctx context.Context, key string, o KVGetOptions) (KVEntry, error)
	// GetBulk reads up to 100 keys at once. Every requested key is in the
	// result; a missing or expired one maps to nil. Duplicate keys collapse.
	GetBulk(ctx context.Context, keys []string, o KVBulkGetOptions) (map[string]*KVEntry, error)
	// Put stores val under key, replacing value, expiration and metadata.
	Put(ctx context.Context, key string, val []byte, o KVPutOptions) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns keys in UTF-8 byte order.
	List(ctx context.Context, o KVListOptions) (KVListResult, error)
}

// KVEntry is a stored value with its metadata and expiration. Its methods
// give the typed views of get(key, type).
type KVEntry struct {
	Value      []byte
	Metadata   json.RawMessage // nil when none was stored
	Expiration int64           // unix seconds; 0 when the key never expires
}

// Text is the value as get(key, "text") returns it.
func (e KVEntry) Text() string { return string(e.Value) }

// JSON decodes the value into v, as get(key, "json") parses it. A value that
// is not JSON gives the decoder's *json.SyntaxError.
func (e KVEntry) JSON(v any) error { return json.Unmarshal(e.Value, v) }

// Stream reads the value, as get(key, "stream") does.
func (e KVEntry) Stream() io.Reader { return bytes.NewReader(e.Value) }

// KVGetOptions are get's options.
type KVGetOptions struct {
	// CacheTTL is cacheTtl in seconds, at least 30 when given; 0 means not
	// given. Locally it is validated and then ignored (there is one location).
	CacheTTL int64
}

// KVBulkGetOptions are the options of get([keys]) and getWithMetadata([keys]).
type KVBulkGetOptions struct {
	// Type is "text" (the default when empty) or "json". With "json" every
	// present value must parse as JSON. Other types are refused, as workerd
	// refuses "arrayBuffer" and "stream" for bulk reads.
	Type     string
	CacheTTL int64 // as in KVGetOptions
}

// KVPutOptions are put's options. Zero values mean "not given".
type KVPutOptions struct {
	Expiration    int64 // absolute unix seconds
	ExpirationTTL int64 // seconds from now; wins over Expiration
	// Metadata is any JSON value, at most 1024 bytes once serialised
	// compactly (as JSON.stringify does). JSON null means no metadata.
	Metadata json.RawMessage
}

// KVListOptions are list's options.
type KVListOptions struct {
	Prefix string
	Limit  int // 0 or negative: the default of 1000; at most 1000
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

// KVError is a KV operation refused for its input. Error() reads like the
// exception workerd throws into a Worker:
//
//	KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.
//
// or, for the checks workerd makes itself before any I/O (its TypeErrors and
// argument conversions), just the message:
//
//	Key name cannot be empty.
//
// It wraps an *Error with the HTTP status and the bare message, which is
// what the REST API answers in its v4 envelope.
type KVError struct {
	Op     string // workerd's method name: GET (get, getWithMetadata, list), PUT, DELETE, GET_BULK
	Client bool   // raised by the binding itself before any I/O (a TypeError or RangeError in JS)
	Err    *Error
}

// Error returns the message a Worker would see.
func (e *KVError) Error() string {
	if e.Client {
		return e.Err.Message
	}
	return fmt.Sprintf("KV %s failed: %d %s", e.Op, e.Err.Status, e.Err.Message)
}

// Unwrap returns the *Error the REST API answers with.
func (e *KVError) Unwrap() error { return e.Err }
