//go:build !linux

package vectorize_test

import "time"

// threadCPU is not measured outside Linux; the cpu metrics then read 0.
func threadCPU() time.Duration { return 0 }
