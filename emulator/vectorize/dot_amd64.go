package vectorize

import "golang.org/x/sys/cpu"

// hasAVX2FMA is fixed at start by the CPU the process runs on.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotAVX2 returns the dot product of the first n floats of a and b, n a
// multiple of 32 (dot_amd64.s).
//
//go:noescape
func dotAVX2(a, b *float32, n int) float32

// dot is the float32 dot product of a and b (len(b) >= len(a)): AVX2 with
// FMA when the CPU has them, the portable loop otherwise.
func dot(a, b []float32) float32 {
	n := len(a) &^ 31
	if !hasAVX2FMA || n == 0 {
		return dotGeneric(a, b)
	}
	b = b[:len(a)]
	s := dotAVX2(&a[0], &b[0], n)
	for i := n; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}
