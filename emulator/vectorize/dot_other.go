//go:build !amd64

package vectorize

// dot is the float32 dot product of a and b (len(b) >= len(a)).
func dot(a, b []float32) float32 { return dotGeneric(a, b) }
