package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ollama/ollama/fs/ggml"
)

func mustWrite(t *testing.T, s Spec) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny-bert.gguf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, s); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustDecode(t *testing.T, path string) *ggml.GGML {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := ggml.Decode(f, -1)
	if err != nil {
		t.Fatalf("ggml.Decode: %v", err)
	}
	return g
}

func TestWriteIsByteIdentical(t *testing.T) {
	a, err := os.ReadFile(mustWrite(t, DefaultSpec()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(mustWrite(t, DefaultSpec()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs differ (%d and %d bytes)", len(a), len(b))
	}
	other := DefaultSpec()
	other.Seed++
	c, err := os.ReadFile(mustWrite(t, other))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Fatal("a different seed wrote the same file")
	}
}

func TestWriteDecodesAsBERT(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{"default 64", DefaultSpec()},
		{"768 wide", Spec{Dim: 768, Layers: 1, Heads: 12, FFN: 1024, Context: 512, Seed: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := mustDecode(t, mustWrite(t, tc.spec))
			kv := g.KV()
			got := map[string]any{
				"arch":      kv.Architecture(),
				"dim":       kv.EmbeddingLength(),
				"layers":    kv.BlockCount(),
				"ctx":       kv.ContextLength(),
				"pooling":   kv.Uint("pooling_type"),
				"normalize": kv.Bool("normalize_embeddings"),
				"tokenizer": kv.String("tokenizer.ggml.model"),
				"tokens":    len(kv.Strings("tokenizer.ggml.tokens")),
				"types":     len(kv.Ints("tokenizer.ggml.token_type")),
			}
			want := map[string]any{
				"arch":      "bert",
				"dim":       uint64(tc.spec.Dim),
				"layers":    uint64(tc.spec.Layers),
				"ctx":       uint64(tc.spec.Context),
				"pooling":   uint32(1),
				"normalize": true,
				"tokenizer": "bert",
				"tokens":    len(Vocabulary()),
				"types":     len(Vocabulary()),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			shapes := map[string][]uint64{}
			for _, ts := range g.Tensors().Items() {
				shapes[ts.Name] = ts.Shape
			}
			d, f, v := uint64(tc.spec.Dim), uint64(tc.spec.FFN), uint64(len(Vocabulary()))
			for name, want := range map[string][]uint64{
				"token_embd.weight":              {d, v},
				"token_types.weight":             {d, 2},
				"position_embd.weight":           {d, uint64(tc.spec.Context)},
				"token_embd_norm.bias":           {d},
				"blk.0.attn_q.weight":            {d, d},
				"blk.0.ffn_up.weight":            {d, f},
				"blk.0.ffn_down.weight":          {f, d},
				"blk.0.layer_output_norm.weight": {d},
			} {
				if diff := cmp.Diff(want, shapes[name]); diff != "" {
					t.Errorf("shape of %s (-want +got):\n%s", name, diff)
				}
			}
			if got, want := len(shapes), 5+16*tc.spec.Layers; got != want {
				t.Errorf("%d tensors, want %d", got, want)
			}
		})
	}
}

// TestVocabularyCoversASCIIWords checks, the way Ollama's WordPiece tokenizer
// looks pieces up, that any lowercase ASCII word splits into known pieces.
func TestVocabularyCoversASCIIWords(t *testing.T) {
	index := map[string]bool{}
	for _, v := range Vocabulary() {
		if index[v] {
			t.Fatalf("duplicate token %q", v)
		}
		index[v] = true
	}
	for _, w := range []string{"kubernetes", "zyxwv", "q", "h3ll0", "golang", "ml", "2030"} {
		t.Run(w, func(t *testing.T) {
			if !index[wordStart+w[:1]] {
				t.Fatalf("no word-start piece for %q", w[:1])
			}
			for _, c := range w[1:] {
				if !index[string(c)] {
					t.Fatalf("no continuation piece for %q", c)
				}
			}
		})
	}
	specials := Vocabulary()[:5]
	if diff := cmp.Diff([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, specials); diff != "" {
		t.Errorf("special tokens (-want +got):\n%s", diff)
	}
}

func TestSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"heads must divide dim", Spec{Dim: 64, Layers: 1, Heads: 5, FFN: 8, Context: 8}, "heads (5) must divide dim (64)"},
		{"zero layers", Spec{Dim: 64, Layers: 0, Heads: 4, FFN: 8, Context: 8}, "must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRunRequiresOut(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), nil, &out)
	if err == nil || err.Error() != "-out is required" {
		t.Fatalf("run() = %v, want -out is required", err)
	}
}
