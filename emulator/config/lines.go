package config

import (
	"bufio"
	"bytes"
	"strings"
)

// lineIndex finds the line where a table or an array entry starts, so errors
// can point at it. BurntSushi/toml reports positions only for parse errors.
type lineIndex struct {
	headers []header // [table] and [[array]] headers in file order
	keys    []header // `key =` lines, named by their full dotted path
}

type header struct {
	name  string
	array bool
	line  int
}

func newLineIndex(data []byte) *lineIndex {
	idx := &lineIndex{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	current := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "[["):
			if end := strings.Index(line, "]]"); end > 2 {
				current = normalise(line[2:end])
				idx.headers = append(idx.headers, header{current, true, n})
			}
		case strings.HasPrefix(line, "["):
			if end := strings.Index(line, "]"); end > 1 {
				current = normalise(line[1:end])
				idx.headers = append(idx.headers, header{current, false, n})
			}
		default:
			if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				name := normalise(k)
				if current != "" {
					name = current + "." + name
				}
				idx.keys = append(idx.keys, header{name, false, n})
			}
		}
	}
	return idx
}

func normalise(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// entry returns the line of the i-th element of the array at path: its
// [[path]] header, or the `key = [` line of an inline array.
func (x *lineIndex) entry(path string, i int) int {
	seen := 0
	for _, h := range x.headers {
		if h.array && h.name == path {
			if seen == i {
				return h.line
			}
			seen++
		}
	}
	for _, k := range x.keys {
		if k.name == path {
			return k.line
		}
	}
	return 0
}

// table returns the line of [path], or of `key = {` for an inline table.
func (x *lineIndex) table(path string) int {
	for _, h := range x.headers {
		if !h.array && h.name == path {
			return h.line
		}
	}
	for _, k := range x.keys {
		if k.name == path {
			return k.line
		}
	}
	return 0
}
