package vectorize

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"jobmatch-edge/runtime"
)

// Filter operators [DOCS vectorize/reference/metadata-filtering.mdx].
const (
	opEq  = "$eq"
	opNe  = "$ne"
	opIn  = "$in"
	opNin = "$nin"
	opLt  = "$lt"
	opLte = "$lte"
	opGt  = "$gt"
	opGte = "$gte"
)

// cond is one compiled condition: the indexed value at path against op.
type cond struct {
	path    string
	op      string
	operand any   // string, float64, bool or nil
	set     []any // for $in / $nin
}

// filter is a compiled metadata filter; its conditions are ANDed.
type filter []cond

// errFilter is the query error for a filter Vectorize would refuse.
// Differs from Cloudflare: the code (40026) and texts are edge's [INF].
func errFilter(format string, args ...any) *runtime.Error {
	return opError(opQuery, runtime.CodeVectorizeParseQuery, format, args...)
}

// compileFilter validates a filter and compiles it. A nil filter is no
// filter; an empty one is refused, as the docs require a non-empty object.
func compileFilter(f map[string]any, lim Limits) (filter, error) {
	if f == nil {
		return nil, nil
	}
	norm, raw, err := normalize(f)
	if err != nil {
		return nil, errFilter("invalid filter: %v", err)
	}
	m, _ := norm.(map[string]any)
	if len(m) == 0 || len(raw) >= lim.MaxFilterBytes {
		return nil, errFilter("filter must be non-empty object whose compact JSON representation must be less than %d bytes", lim.MaxFilterBytes)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic error order
	var out filter
	for _, key := range keys {
		if err := validateFilterKey(key, lim.MaxFilterKeyChars); err != nil {
			return nil, err
		}
		switch v := m[key].(type) {
		case map[string]any:
			conds, err := compileOperators(key, v)
			if err != nil {
				return nil, err
			}
			out = append(out, conds...)
		case []any:
			return nil, errFilter("invalid filter value for key %q: arrays are only allowed with $in and $nin", key)
		default: // a bare value means $eq
			out = append(out, cond{path: key, op: opEq, operand: v})
		}
	}
	// Strings are indexed on their first bytes only, so filter strings are
	// compared on the same prefix.
	for i := range out {
		out[i].operand = truncateOperand(out[i].operand, lim.IndexedStringBytes)
		for j := range out[i].set {
			out[i].set[j] = truncateOperand(out[i].set[j], lim.IndexedStringBytes)
		}
	}
	return out, nil
}

func truncateOperand(v any, n int) any {
	if s, ok := v.(string); ok {
		return truncateUTF8(s, n)
	}
	return v
}

// validateFilterKey checks a filter key: non-empty, at most maxChars
// characters, no '"', not starting with '$', and no empty dotted part
// (a dot addresses a nested key).
func validateFilterKey(key string, maxChars int) error {
	bad := key == "" || strings.Contains(key, `"`) || strings.HasPrefix(key, "$") || utf8.RuneCountInString(key) > maxChars
	if !bad {
		bad = slices.Contains(strings.Split(key, "."), "")
	}
	if bad {
		return errFilter("invalid filter key %q: filter keys cannot be empty, contain '\"', start with '$', or be longer than %d characters", key, maxChars)
	}
	return nil
}

func compileOperators(key string, ops map[string]any) ([]cond, error) {
	if len(ops) == 0 {
		return nil, errFilter("invalid filter value for key %q: an operator object cannot be empty", key)
	}
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	slices.Sort(names)
	if slices.Contains(names, opGt) && slices.Contains(names, opGte) {
		return nil, errFilter("invalid filter for key %q: only one lower bound ($gt or $gte) may be given", key)
	}
	if slices.Contains(names, opLt) && slices.Contains(names, opLte) {
		return nil, errFilter("invalid filter for key %q: only one upper bound ($lt or $lte) may be given", key)
	}
	var out []cond
	for _, op := range names {
		v := ops[op]
		switch op {
		case opEq, opNe:
			if !isScalar(v) {
				return nil, errFilter("invalid filter value for %s on key %q: expected a string, number, boolean or null", op, key)
			}
			out = append(out, cond{path: key, op: op, operand: v})
		case opIn, opNin:
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				return nil, errFilter("invalid filter value for %s on key %q: expected a non-empty array", op, key)
			}
			for _, x := range arr {
				if !isScalar(x) {
					return nil, errFilter("invalid filter value for %s on key %q: array items must be strings, numbers, booleans or null", op, key)
				}
			}
			out = append(out, cond{path: key, op: op, set: arr})
		case opLt, opLte, opGt, opGte:
			switch v.(type) {
			case string, float64:
			default:
				return nil, errFilter("invalid filter value for %s on key %q: expected a string or a number", op, key)
			}
			out = append(out, cond{path: key, op: op, operand: v})
		default:
			return nil, errFilter("unsupported filter operator %q on key %q: expected one of $eq, $ne, $in, $nin, $lt, $lte, $gt, $gte", op, key)
		}
	}
	return out, nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, float64, bool:
		return true
	}
	return false
}

// match reports whether a vector's indexed values satisfy every condition.
// A property the vector has no indexed value for (no metadata index, a
// different type, or written before the index existed) is "absent": it
// equals null, so $eq/$in match it only through null, and $ne/$nin match it
// unless they name null. Ranges never match an absent value.
func (f filter) match(snap map[string]any) bool {
	for i := range f {
		if !f[i].match(snap) {
			return false
		}
	}
	return true
}

func (c *cond) match(snap map[string]any) bool {
	v, ok := snap[c.path]
	if !ok {
		v = nil
	}
	switch c.op {
	case opEq:
		return equal(v, c.operand)
	case opNe:
		return !equal(v, c.operand)
	case opIn:
		return slices.ContainsFunc(c.set, func(x any) bool { return equal(v, x) })
	case opNin:
		return !slices.ContainsFunc(c.set, func(x any) bool { return equal(v, x) })
	}
	cmp, ok := compare(v, c.operand)
	if !ok {
		return false
	}
	switch c.op {
	case opLt:
		return cmp < 0
	case opLte:
		return cmp <= 0
	case opGt:
		return cmp > 0
	case opGte:
		return cmp >= 0
	}
	return false
}

// equal compares two JSON scalars of the same type; values of different
// types are never equal, and null equals only null.
func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}

// compare orders two strings (by bytes) or two numbers.
func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(x, y), true
	case float64:
		y, ok := b.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// String renders a condition for debugging.
func (c cond) String() string {
	if c.set != nil {
		return fmt.Sprintf("%s %s %v", c.path, c.op, c.set)
	}
	return fmt.Sprintf("%s %s %v", c.path, c.op, c.operand)
}
