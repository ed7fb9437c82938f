package ai

import (
	"testing"

	"jobmatch-edge/runtime"
)

func shortTexts() []string { return hundredTexts() }

// BenchmarkBuiltinEmbed100 embeds 100 short texts into 768 dimensions (the
// issue's target: under 5 ms).
func BenchmarkBuiltinEmbed100(b *testing.B) {
	texts := shortTexts()
	b.ReportAllocs()
	for b.Loop() {
		EmbedBuiltin(texts, 768, PoolingMean)
	}
}

// BenchmarkRunEmbed100 is the same through Run: validation, embedding and
// the JSON output.
func BenchmarkRunEmbed100(b *testing.B) {
	s := mustBuiltin(b)
	in := map[string]any{"text": shortTexts()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Run(b.Context(), "@cf/baai/bge-base-en-v1.5", in, runtime.AIOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltinCompatibility is one compatibility analysis.
func BenchmarkBuiltinCompatibility(b *testing.B) {
	req := chatReq("You are an expert recruiter", compatUser, 4000)
	for b.Loop() {
		ChatBuiltin(req, testNow)
	}
}
