package ai

// Limits of the Workers AI input schemas (cloudflare-semantics.md §4.2-4.3).
const (
	maxEmbedBatch    = 100    // `text` array items per embeddings call
	maxPromptChars   = 131072 // `prompt` length, 1..131072 characters
	defaultMaxTokens = 256    // `max_tokens` when absent
	defaultTemp      = 0.6    // `temperature` when absent
	maxTemperature   = 5      // `temperature` 0..5
	maxTopP          = 2      // `top_p` 0..2
	minTopK, maxTopK = 1, 50  // `top_k` 1..50
	maxSeed          = 9999999999
	maxPenalty       = 2 // repetition/frequency/presence penalties 0..2

	// maxRunBody bounds a REST /ai/run body (Workers AI answers 3006 "Request
	// is too large" above its own limit; edge uses 10 MiB).
	maxRunBody = 10 << 20

	// charsPerToken is the built-in token approximation: one token per four
	// UTF-8 bytes, rounded up, plus tokensPerMessage for each chat message.
	charsPerToken    = 4
	tokensPerMessage = 4
)
