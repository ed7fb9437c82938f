package ai

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// The built-in embedder: feature hashing of normalised words and word pairs
// into the model's dimension, then L2 normalisation. Texts that share words
// share features, so their cosine is higher than that of unrelated texts;
// the same text always gives the same vector. It has no weights and knows
// no synonyms.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	// clsSeed changes every hash for pooling "cls", so cls and mean vectors
	// of one text differ (Workers AI: cls embeddings are not compatible with
	// mean ones).
	clsSeed = 0x9e3779b97f4a7c15

	unigramWeight = 1.0
	bigramWeight  = 0.5
)

// stopWords are not features: they would make unrelated English texts look alike.
var stopWords = func() map[uint64]bool {
	m := map[uint64]bool{}
	for _, w := range []string{
		"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it",
		"its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with", "i", "we", "you",
	} {
		h := uint64(fnvOffset)
		for _, r := range w {
			h = hashRune(h, r)
		}
		m[h] = true
	}
	return m
}()

func hashRune(h uint64, r rune) uint64 {
	// FNV-1a over the rune's bytes, little-endian; only the low bytes of
	// ASCII runes are nonzero, so the common case costs one round.
	u := uint32(r)
	for {
		h ^= uint64(u & 0xff)
		h *= fnvPrime
		u >>= 8
		if u == 0 {
			return h
		}
	}
}

// mix is splitmix64's finaliser: spreads a hash over all 64 bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// EmbedBuiltin embeds each text into dims dimensions with the built-in
// feature-hashing embedder (pooling "cls" uses a different hash seed than
// "mean" or ""). Every vector has unit length.
func EmbedBuiltin(texts []string, dims int, pooling string) [][]float32 {
	out := make([][]float32, len(texts))
	backing := make([]float32, len(texts)*dims)
	for i, t := range texts {
		v := backing[i*dims : (i+1)*dims : (i+1)*dims]
		embedOne(v, t, pooling == PoolingCLS)
		out[i] = v
	}
	return out
}

func embedOne(v []float32, text string, cls bool) {
	dims := uint64(len(v))
	var seed uint64
	if cls {
		seed = clsSeed
	}
	add := func(h uint64, w float32) {
		h = mix(h ^ seed)
		if h>>63 == 1 {
			w = -w
		}
		v[(h&0x7fffffffffffffff)%dims] += w
	}
	var prev uint64
	havePrev, features := false, 0
	h, inWord := uint64(fnvOffset), false
	flush := func() {
		if !inWord {
			return
		}
		inWord = false
		if stopWords[h] {
			return
		}
		add(h, unigramWeight)
		if havePrev {
			add(prev*31+h, bigramWeight)
		}
		prev, havePrev = h, true
		features++
	}
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case isWordRune(r):
			r = unicode.ToLower(r)
		case inWord && (r == '+' || r == '#'):
			// c++, c#, f#: the symbol is part of the word.
		default:
			flush()
			continue
		}
		if !inWord {
			h, inWord = fnvOffset, true
		}
		h = hashRune(h, r)
	}
	flush()
	if features == 0 {
		// No words (punctuation only, or only stop words): hash the raw text.
		h := uint64(fnvOffset)
		for _, r := range text {
			h = hashRune(h, r)
		}
		add(h, unigramWeight)
	}
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		v[0] = 1
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for j := range v {
		v[j] *= inv
	}
}
