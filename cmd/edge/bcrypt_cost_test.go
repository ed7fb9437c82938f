package main

import "testing"

func TestBenchBcryptCost(t *testing.T) {
	for _, tc := range []struct {
		val     string
		want    int
		wantErr bool
	}{
		{"", 0, false}, // unset: the stand-in's default
		{"4", 4, false},
		{"12", 12, false},
		{"3", 0, true},
		{"32", 0, true},
		{"low", 0, true},
	} {
		t.Run(tc.val, func(t *testing.T) {
			got, err := benchBcryptCost(func(k string) string {
				if k == "EDGE_BENCH_BCRYPT_COST" {
					return tc.val
				}
				return ""
			})
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("benchBcryptCost(%q) = %d, %v; want %d, error %v", tc.val, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
