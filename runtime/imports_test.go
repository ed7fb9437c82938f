package runtime_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// imports lists the imports of the non-test Go files in dir.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	out := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[p] = append(out[p], filepath.Base(f))
		}
	}
	return out
}

// TestDependencyDirection keeps the seams of DESIGN.md: runtime uses the
// standard library only, and the JobMatch API sees runtime but never the
// emulator, so it runs unchanged against real services.
func TestDependencyDirection(t *testing.T) {
	for p, files := range imports(t, ".") {
		if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") || strings.HasPrefix(p, "jobmatch-edge/") {
			t.Errorf("runtime imports %s (%v): runtime is standard library only", p, files)
		}
	}
	for p, files := range imports(t, filepath.Join("..", "api")) {
		if strings.HasPrefix(p, "jobmatch-edge/") && p != "jobmatch-edge/runtime" {
			t.Errorf("api imports %s (%v): api sees only runtime", p, files)
		}
	}
}
