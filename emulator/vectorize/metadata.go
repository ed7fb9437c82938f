package vectorize

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"unicode/utf8"
)

// Metadata index types.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
)

// compactJSON marshals v the way JavaScript's JSON.stringify would (no HTML
// escaping, no trailing newline).
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// normalize turns any Go value into its JSON form (maps, []any, float64,
// string, bool, nil), so metadata and filters from Go callers compare the
// way they would after crossing the wire.
func normalize(v any) (any, []byte, error) {
	raw, err := compactJSON(v)
	if err != nil {
		return nil, nil, err
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, nil, err
	}
	return out, raw, nil
}

// badMetadataKey returns the first key, at any depth, that Vectorize
// refuses: empty, containing '.' or '"', or starting with '$'.
func badMetadataKey(v any) (string, bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if k == "" || strings.ContainsAny(k, `."`) || strings.HasPrefix(k, "$") {
				return k, true
			}
			if bad, ok := badMetadataKey(child); ok {
				return bad, true
			}
		}
	case []any:
		for _, child := range x {
			if bad, ok := badMetadataKey(child); ok {
				return bad, true
			}
		}
	}
	return "", false
}

// lookupPath finds the value at a dotted path ("a.b" is {"a":{"b":...}}).
func lookupPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// truncateUTF8 cuts s to at most n bytes on a UTF-8 boundary, keeping the
// longest well-formed prefix.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// indexedSnapshot returns the values of md that the metadata indexes cover,
// keyed by property path: strings cut to their first maxString bytes,
// numbers as float64, booleans. A value whose JSON type is not the index's
// type is not indexed. The snapshot is fixed when the vector is written, so
// a metadata index created later does not cover older vectors.
func indexedSnapshot(md map[string]any, indexes []metaIndex, maxString int) map[string]any {
	if md == nil || len(indexes) == 0 {
		return nil
	}
	var snap map[string]any
	for _, mi := range indexes {
		v, ok := lookupPath(md, mi.Property)
		if !ok {
			continue
		}
		var iv any
		switch x := v.(type) {
		case string:
			if mi.Type == TypeString {
				iv = truncateUTF8(x, maxString)
			}
		case float64:
			if mi.Type == TypeNumber && !math.IsInf(x, 0) && !math.IsNaN(x) {
				iv = x
			}
		case bool:
			if mi.Type == TypeBoolean {
				iv = x
			}
		}
		if iv == nil {
			continue
		}
		if snap == nil {
			snap = map[string]any{}
		}
		snap[mi.Property] = iv
	}
	return snap
}

// nestSnapshot rebuilds nested metadata from a snapshot keyed by dotted
// paths (what returnMetadata "indexed" answers).
func nestSnapshot(snap map[string]any) map[string]any {
	if len(snap) == 0 {
		return nil
	}
	out := map[string]any{}
	for path, v := range snap {
		parts := strings.Split(path, ".")
		cur := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = v
	}
	return out
}

// metaIndex is one metadata index.
type metaIndex struct {
	Property string
	Type     string
}

// validateIndexType checks a metadata index type.
func validateIndexType(t string) error {
	switch t {
	case TypeString, TypeNumber, TypeBoolean:
		return nil
	}
	return errValidation("invalid indexType %q: expected one of \"string\", \"number\", \"boolean\"", t)
}

// validatePropertyName checks a metadata index property name: a dotted
// path of non-empty keys without '"', not starting with '$'.
func validatePropertyName(p string, maxChars int) error {
	if p == "" || utf8.RuneCountInString(p) > maxChars {
		return errValidation("invalid propertyName %q: must be 1 to %d characters", p, maxChars)
	}
	for part := range strings.SplitSeq(p, ".") {
		if part == "" || strings.Contains(part, `"`) || strings.HasPrefix(part, "$") {
			return errValidation("invalid propertyName %q: each dotted part must be non-empty, contain no '\"' and not start with '$'", p)
		}
	}
	return nil
}
