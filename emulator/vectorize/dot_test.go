package vectorize

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDotMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 31, 32, 33, 64, 100, 768, 1536} {
		a, b := make([]float32, n), make([]float32, n)
		var exact float64
		for i := range a {
			a[i], b[i] = r.Float32()*2-1, r.Float32()*2-1
			exact += float64(a[i]) * float64(b[i])
		}
		for name, f := range map[string]func(a, b []float32) float32{"dot": dot, "generic": dotGeneric} {
			if got := float64(f(a, b)); math.Abs(got-exact) > 1e-4*math.Max(1, math.Abs(exact)) {
				t.Errorf("%s(n=%d) = %v, want %v", name, n, got, exact)
			}
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 64, "abc"},
		{"héllo", 2, "h"}, // the cut would split é
		{"héllo", 3, "hé"},
		{"日本語", 4, "日"},
		{"", 0, ""},
	} {
		if got := truncateUTF8(tc.in, tc.n); got != tc.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
