package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"

	"github.com/ollama/ollama/fs/ggml"
)

// Spec is the shape of the generated model.
type Spec struct {
	Dim     int    // hidden size = embedding dimension
	Layers  int    // encoder layers
	Heads   int    // attention heads
	FFN     int    // feed-forward width
	Context int    // maximum tokens (position embeddings)
	Seed    uint64 // weight seed
}

// DefaultSpec is the test model of ../shared/docs/real-ollama.md: 64
// dimensions, 2 layers, 4 heads, context 512.
func DefaultSpec() Spec {
	return Spec{Dim: 64, Layers: 2, Heads: 4, FFN: 256, Context: 512, Seed: 20300101}
}

func (s Spec) validate() error {
	switch {
	case s.Dim <= 0 || s.Layers <= 0 || s.Heads <= 0 || s.FFN <= 0 || s.Context <= 0:
		return fmt.Errorf("dim, layers, heads, ffn and ctx must be positive (got %+v)", s)
	case s.Dim%s.Heads != 0:
		return fmt.Errorf("heads (%d) must divide dim (%d)", s.Heads, s.Dim)
	}
	return nil
}

// Special tokens, at the start of the vocabulary as in BERT's vocab.txt.
const (
	tokPad = iota
	tokUnk
	tokCLS
	tokSep
	tokMask
)

// Token types of GGUF vocabularies (llama.cpp's llama_token_type).
const (
	tokenTypeNormal  = 1
	tokenTypeControl = 3
)

// wordStart marks a piece that begins a word. Ollama's WordPiece tokenizer
// looks pieces up in GGML's form: "▁word" for a word start, "piece" for a
// continuation (BERT's "##piece").
const wordStart = "\u2581"

// words are whole-word tokens: common English and the vocabulary of job
// postings and resumes, so typical test sentences tokenize into words.
var words = []string{
	"the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "at", "by", "from",
	"as", "is", "are", "was", "be", "we", "you", "i", "our", "your", "my", "it", "this", "that",
	"will", "can", "have", "has", "not", "no", "yes", "new", "more", "all", "team", "work",
	"job", "jobs", "role", "company", "remote", "hybrid", "office", "full", "time", "part",
	"senior", "junior", "lead", "staff", "principal", "engineer", "engineering", "developer",
	"software", "data", "scientist", "analyst", "manager", "product", "design", "designer",
	"backend", "frontend", "stack", "web", "mobile", "cloud", "platform", "infrastructure",
	"devops", "security", "machine", "learning", "ai", "ml", "model", "models", "api", "apis",
	"python", "go", "golang", "java", "javascript", "typescript", "rust", "sql", "react",
	"node", "kubernetes", "docker", "aws", "gcp", "azure", "linux", "git", "postgres",
	"experience", "years", "skills", "skill", "resume", "cover", "letter", "application",
	"apply", "salary", "benefits", "startup", "growth", "build", "building", "scale",
	"systems", "distributed", "services", "service", "testing", "tests", "performance",
	"customer", "customers", "users", "user", "search", "match", "matching", "interview",
	"hiring", "candidate", "candidates", "degree", "computer", "science", "communication",
	"leadership", "project", "projects", "agile", "open", "source", "text", "number", "hello",
	"world", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "cat", "sat", "mat",
}

// suffixes are common continuation pieces.
var suffixes = []string{"s", "es", "ed", "ing", "er", "ers", "ly", "tion", "ment", "ness", "al", "ic", "ity", "able"}

// Vocabulary returns the model's WordPiece vocabulary, GGML-style: specials,
// whole words, then every lowercase letter and digit both as a word start and
// as a continuation (so any ASCII word tokenizes without [UNK]), then
// punctuation and suffixes.
func Vocabulary() []string {
	v := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	for _, w := range words {
		v = append(v, wordStart+w)
	}
	for c := 'a'; c <= 'z'; c++ {
		v = append(v, wordStart+string(c), string(c))
	}
	for c := '0'; c <= '9'; c++ {
		v = append(v, wordStart+string(c), string(c))
	}
	for _, p := range ".,;:!?'\"()[]{}-_/\\@#$%&*+=<>|~`^" {
		v = append(v, wordStart+string(p))
	}
	v = append(v, suffixes...)
	return dedupe(v)
}

func dedupe(v []string) []string {
	seen := make(map[string]bool, len(v))
	out := v[:0]
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// KV returns the GGUF metadata: the keys Ollama's converter writes for a
// BERT model (convert/convert_bert.go), with mean pooling and normalised
// output. pooling_type is what makes Ollama report the embedding capability.
func KV(s Spec) ggml.KV {
	vocab := Vocabulary()
	types := make([]int32, len(vocab))
	scores := make([]float32, len(vocab))
	for i, t := range vocab {
		types[i] = tokenTypeNormal
		if len(t) > 1 && t[0] == '[' && t[len(t)-1] == ']' {
			types[i] = tokenTypeControl
		}
		scores[i] = -float32(i)
	}
	return ggml.KV{
		"general.architecture":              "bert",
		"general.name":                      "tiny-bert",
		"general.file_type":                 uint32(0), // all F32
		"general.description":               "jobmatch-edge test model: random fixed-seed weights, no meaning",
		"bert.attention.causal":             false,
		"bert.pooling_type":                 uint32(1), // mean
		"bert.normalize_embeddings":         true,
		"bert.block_count":                  uint32(s.Layers),
		"bert.context_length":               uint32(s.Context),
		"bert.embedding_length":             uint32(s.Dim),
		"bert.feed_forward_length":          uint32(s.FFN),
		"bert.attention.head_count":         uint32(s.Heads),
		"bert.attention.layer_norm_epsilon": float32(1e-12),
		"tokenizer.ggml.model":              "bert",
		"tokenizer.ggml.pre":                "default",
		"tokenizer.ggml.tokens":             vocab,
		"tokenizer.ggml.token_type":         types,
		"tokenizer.ggml.scores":             scores,
		"tokenizer.ggml.token_type_count":   uint32(2),
		"tokenizer.ggml.padding_token_id":   uint32(tokPad),
		"tokenizer.ggml.unknown_token_id":   uint32(tokUnk),
		"tokenizer.ggml.cls_token_id":       uint32(tokCLS),
		"tokenizer.ggml.separator_token_id": uint32(tokSep),
		"tokenizer.ggml.mask_token_id":      uint32(tokMask),
		"tokenizer.ggml.add_bos_token":      true,
		"tokenizer.ggml.add_eos_token":      true,
	}
}

// init kinds of tensor values.
type initKind int

const (
	initOnes    initKind = iota // LayerNorm gains
	initUniform                 // uniform in [-scale, scale)
)

// tensor is one F32 tensor whose values are a pure function of the seed and
// its name, so the file does not depend on the order tensors are written in.
type tensor struct {
	name  string
	shape []uint64 // GGML order: innermost dimension first
	kind  initKind
	scale float64
	seed  uint64
}

func (t *tensor) elements() uint64 {
	n := uint64(1)
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// WriteTo writes the values as little-endian float32.
func (t *tensor) WriteTo(w io.Writer) (int64, error) {
	n := t.elements()
	buf := make([]byte, 4*n)
	h := fnv.New64a()
	h.Write([]byte(t.name))
	rng := splitmix64{state: t.seed ^ h.Sum64()}
	for i := range n {
		v := float32(1)
		if t.kind == initUniform {
			v = float32(t.scale * rng.uniform())
		}
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	written, err := w.Write(buf)
	return int64(written), err
}

// splitmix64 is Steele, Lea and Flood's generator: tiny, fast and fully
// specified, so the weights never change with a Go release.
type splitmix64 struct{ state uint64 }

func (s *splitmix64) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform returns a value in [-1, 1).
func (s *splitmix64) uniform() float64 {
	return float64(s.next()>>11)/(1<<52) - 1
}

// Tensors lists the model's tensors with the names Ollama's bert model
// loads (model/models/bert), shapes in GGML order.
func Tensors(s Spec) []*tensor {
	d, f, v := uint64(s.Dim), uint64(s.FFN), uint64(len(Vocabulary()))
	sqrt3 := math.Sqrt(3)
	// Linear layers get variance 1/fan_in; token embeddings unit variance
	// so the token, not the position, dominates each vector.
	lin := func(fanIn uint64) float64 { return sqrt3 / math.Sqrt(float64(fanIn)) }
	ts := []*tensor{
		{name: "token_embd.weight", shape: []uint64{d, v}, kind: initUniform, scale: sqrt3},
		{name: "token_types.weight", shape: []uint64{d, 2}, kind: initUniform, scale: 0.1 * sqrt3},
		{name: "position_embd.weight", shape: []uint64{d, uint64(s.Context)}, kind: initUniform, scale: 0.1 * sqrt3},
		{name: "token_embd_norm.weight", shape: []uint64{d}, kind: initOnes},
		{name: "token_embd_norm.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
	}
	for i := range s.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts,
			&tensor{name: p + "attn_q.weight", shape: []uint64{d, d}, kind: initUniform, scale: lin(d)},
			&tensor{name: p + "attn_q.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
			&tensor{name: p + "attn_k.weight", shape: []uint64{d, d}, kind: initUniform, scale: lin(d)},
			&tensor{name: p + "attn_k.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
			&tensor{name: p + "attn_v.weight", shape: []uint64{d, d}, kind: initUniform, scale: lin(d)},
			&tensor{name: p + "attn_v.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
			&tensor{name: p + "attn_output.weight", shape: []uint64{d, d}, kind: initUniform, scale: lin(d)},
			&tensor{name: p + "attn_output.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
			&tensor{name: p + "attn_output_norm.weight", shape: []uint64{d}, kind: initOnes},
			&tensor{name: p + "attn_output_norm.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
			&tensor{name: p + "ffn_up.weight", shape: []uint64{d, f}, kind: initUniform, scale: lin(d)},
			&tensor{name: p + "ffn_up.bias", shape: []uint64{f}, kind: initUniform, scale: 0.02},
			&tensor{name: p + "ffn_down.weight", shape: []uint64{f, d}, kind: initUniform, scale: lin(f)},
			&tensor{name: p + "ffn_down.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
			&tensor{name: p + "layer_output_norm.weight", shape: []uint64{d}, kind: initOnes},
			&tensor{name: p + "layer_output_norm.bias", shape: []uint64{d}, kind: initUniform, scale: 0.02},
		)
	}
	for _, t := range ts {
		t.seed = s.Seed
	}
	return ts
}

// Write writes the model to f as GGUF v3 with Ollama's writer.
func Write(f *os.File, s Spec) error {
	if err := s.validate(); err != nil {
		return err
	}
	if f == nil {
		return errors.New("nil file")
	}
	var out []*ggml.Tensor
	for _, t := range Tensors(s) {
		out = append(out, &ggml.Tensor{Name: t.name, Kind: uint32(ggml.TensorTypeF32), Shape: t.shape, WriterTo: t})
	}
	return ggml.WriteGGUF(f, KV(s), out)
}
