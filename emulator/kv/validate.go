package kv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"jobmatch-edge/runtime"
)

// workerd's method names, as they appear in "KV <METHOD> failed: ...".
const (
	opGet     = "GET" // get, getWithMetadata and list
	opPut     = "PUT"
	opDelete  = "DELETE"
	opGetBulk = "GET_BULK"
)

// failed is a refusal by the KV backend: workerd reports it as
// "KV <op> failed: <status> <message>", the REST API as message.
func failed(op string, status int, format string, args ...any) *runtime.KVError {
	return &runtime.KVError{Op: op, Err: runtime.NewError(status, runtime.CodeKVValidation, fmt.Sprintf(format, args...))}
}

// refused is a check workerd makes itself before any I/O (a TypeError or a
// RangeError in JavaScript): the message alone.
func refused(op, message string) *runtime.KVError {
	return &runtime.KVError{Op: op, Client: true, Err: runtime.NewError(http.StatusBadRequest, runtime.CodeKVValidation, message)}
}

// validateKey checks a single-key operation's key as workerd does before
// any I/O: its TypeErrors for "", "." and "..", then the 414 length error.
func validateKey(op, key string) error {
	switch key {
	case "":
		return refused(op, "Key name cannot be empty.")
	case ".", "..":
		return refused(op, fmt.Sprintf("%q is not allowed as a key name.", key))
	}
	return validateKeyLength(op, key)
}

func validateKeyLength(op, key string) error {
	if len(key) > MaxKeyBytes {
		return failed(op, http.StatusRequestURITooLong,
			"UTF-8 encoded length of %d exceeds key length limit of %d.", len(key), MaxKeyBytes)
	}
	return nil
}

// validateBackendKey checks a key the way the KV backend does: for bulk
// operations, which workerd does not check itself.
func validateBackendKey(op, key string) error {
	switch key {
	case "":
		return failed(op, http.StatusBadRequest, "Key names must not be empty")
	case ".", "..":
		return failed(op, http.StatusBadRequest, "Illegal key name %q. Please use a different name.", key)
	}
	return validateKeyLength(op, key)
}

// validateInt32 is workerd's conversion of a numeric option to a 32-bit
// integer, which happens before the call itself.
func validateInt32(op string, v int64) error {
	if v < minExpiration || v > maxExpiration {
		return refused(op, fmt.Sprintf("Value out of range. Must be between %d and %d (inclusive).", int64(minExpiration), int64(maxExpiration)))
	}
	return nil
}

// putRequest is one put as the backend receives it: the expiration options
// as the raw strings sent (absent when nil), the metadata as JSON.
type putRequest struct {
	key           string
	expiration    *string
	expirationTTL *string
	metadata      []byte
	valueLen      int
}

// validatePut checks a put in the backend's order (key length, TTL, expiration,
// metadata, value) and returns the absolute expiration (0 = never) and the
// metadata to store (compact JSON, nil for none or JSON null).
func (s *Service) validatePut(op string, p putRequest, now int64) (expiration int64, metadata []byte, err error) {
	if err := validateKeyLength(op, p.key); err != nil {
		return 0, nil, err
	}
	switch {
	case p.expirationTTL != nil:
		raw := *p.expirationTTL
		ttl, err := strconv.ParseInt(raw, 10, 64) // saturates beyond int64
		tooLate := ttl > maxStoredExpiration-now
		if err != nil && !tooLate || ttl <= 0 {
			return 0, nil, failed(op, http.StatusBadRequest, "Invalid expiration_ttl of %s. Please specify integer greater than 0.", raw)
		}
		if ttl < MinExpirationTTL {
			return 0, nil, failed(op, http.StatusBadRequest, "Invalid expiration_ttl of %s. Expiration TTL must be at least %d.", raw, MinExpirationTTL)
		}
		if tooLate {
			// Differs from Cloudflare: no recorded bound; worded like key_count_limit's.
			return 0, nil, failed(op, http.StatusBadRequest, "Invalid expiration_ttl of %s. Please specify an integer less than %d.", raw, maxStoredExpiration-now+1)
		}
		expiration = now + ttl
	case p.expiration != nil:
		raw := *p.expiration
		exp, err := strconv.ParseInt(raw, 10, 64) // saturates beyond int64
		tooLate := exp > maxStoredExpiration
		if err != nil && !tooLate || exp <= now {
			return 0, nil, failed(op, http.StatusBadRequest, "Invalid expiration of %s. Please specify integer greater than the current number of seconds since the UNIX epoch.", raw)
		}
		if tooLate {
			// Differs from Cloudflare: no recorded bound; worded like key_count_limit's.
			return 0, nil, failed(op, http.StatusBadRequest, "Invalid expiration of %s. Please specify an integer less than %d.", raw, int64(maxStoredExpiration)+1)
		}
		if exp < now+MinExpirationTTL {
			return 0, nil, failed(op, http.StatusBadRequest, "Invalid expiration of %s. Expiration times must be at least %d seconds in the future.", raw, MinExpirationTTL)
		}
		expiration = exp
	}
	if metadata, err = normalizeMetadata(op, p.metadata); err != nil {
		return 0, nil, err
	}
	if len(metadata) > s.limits.MaxMetadataBytes {
		return 0, nil, failed(op, http.StatusRequestEntityTooLarge, "Metadata length of %d exceeds limit of %d.", len(metadata), s.limits.MaxMetadataBytes)
	}
	if p.valueLen > s.limits.MaxValueBytes {
		return 0, nil, failed(op, http.StatusRequestEntityTooLarge, "Value length of %d exceeds limit of %d.", p.valueLen, s.limits.MaxValueBytes)
	}
	return expiration, metadata, nil
}

// normalizeMetadata serialises metadata as JSON.stringify would (compact),
// and maps absent or JSON null to nil.
//
// Differs from Cloudflare: a Worker cannot pass metadata that is not JSON
// (JSON.stringify always succeeds or throws first); a Go caller or a REST
// multipart part can, and is refused with a message of our own.
func normalizeMetadata(op string, raw []byte) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, failed(op, http.StatusBadRequest, "Metadata is not valid JSON.")
	}
	if buf.String() == "null" {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// parseJSInt reads an integer the way JavaScript's parseInt(s, 10) does:
// leading white space, an optional sign, then as many digits as there are
// ("60.5" is 60, "60s" is 60); no digits at all is NaN (ok = false).
// Values beyond int64 saturate.
func parseJSInt(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := int64(s[i] - '0')
		if n > (1<<63-1-d)/10 {
			n = 1<<63 - 1
		} else {
			n = n*10 + d
		}
		i++
	}
	if i == start {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// validateCacheTTL checks get's cacheTtl (0 = not given).
func validateCacheTTL(op string, ttl int64) error {
	if ttl == 0 {
		return nil
	}
	if err := validateInt32(op, ttl); err != nil {
		return err
	}
	if ttl < MinCacheTTL {
		return failed(op, http.StatusBadRequest, "Invalid cache_ttl of %d. Cache TTL must be at least %d.", ttl, MinCacheTTL)
	}
	return nil
}

// validateListLimit maps list's limit to the page size: absent, 0 or
// negative mean the default (workerd sends the limit only when > 0).
func validateListLimit(limit int) (int, error) {
	if limit <= 0 {
		return DefaultListLimit, nil
	}
	if limit > MaxListLimit {
		return 0, failed(opGet, http.StatusBadRequest, "Invalid key_count_limit of %d. Please specify an integer less than %d.", limit, MaxListLimit)
	}
	return limit, nil
}

func ptr(s string) *string { return &s }

func formatInt(v int64) *string { return ptr(strconv.FormatInt(v, 10)) }
