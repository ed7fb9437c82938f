// Package ai emulates Cloudflare Workers AI (https://developers.cloudflare.com/workers-ai/):
// the `env.AI.run(model, input, options)` binding (Service.Run implements
// runtime.AI) and the REST API under /client/v4/accounts/{account_id}/ai
// (POST /ai/run/{model}, and the OpenAI-compatible /ai/v1/embeddings and
// /ai/v1/chat/completions).
//
// The model catalog is one table (catalog.go): the bge embedding models
// (384, 768 and 1024 dimensions; `text` as a string or up to 100 strings;
// `pooling` mean|cls; output {shape, data, pooling}) and the text-generation
// models JobMatch uses (prompt or messages form; max_tokens, temperature,
// response_format json_object; output {response, usage}). Inputs are
// validated before any backend runs, with Workers AI's codes: 5006 for
// schema failures, 5007 for unknown models, 1001 for prompt plus messages.
//
// Two backends compute outputs:
//
//   - ollama: a local Ollama server through github.com/ollama/ollama/api.
//     Each Workers AI model maps to an Ollama model (defaults
//     nomic-embed-text for 768 dimensions, all-minilm for 384,
//     mxbai-embed-large for 1024, llama3.2 for text; --ai-model-map
//     overrides). Embeddings are requested with the Workers AI dimension and
//     checked: a model that cannot give it is an error naming both numbers.
//   - builtin: deterministic and weight-free. Embeddings by feature hashing
//     of normalised words and word pairs, L2-normalised; text generation
//     answers the JobMatch tasks (compatibility analysis, application
//     variants, resume parsing, gap analysis) with JSON computed from the
//     prompt, and anything else with a reply labelled "[edge builtin model]".
//
// Backend "auto" (the default) probes Ollama once at Open (version and
// tags) and uses it when it answers and holds every mapped model; otherwise
// builtin. Service.Status says which and why.
//
// # Differences from Cloudflare
//
//   - Only the catalog's models exist; any other id is 5007 "No such model
//     <id> or task". The OpenAI entries (gpt-4o-mini, text-embedding-3-small,
//     ...) serve only Service.Chat and Service.Embed, for the AI Gateway.
//   - Validation texts: the oneOf/required and "Type mismatch" messages are
//     production's; the other 5006 messages (minLength, maxItems, minimum,
//     maximum, enum) are edge's, written in the same style. The REST API
//     shows 5006 as "AiError: Bad input: Error: <detail> (<request id>)" as
//     production does; the binding error's message is "Error: <detail>".
//   - Ollama failures (server down, model missing, wrong dimension) are 3040
//     with HTTP 503 and a message saying what to run; Workers AI uses 3040
//     with 429 for "out of capacity".
//   - The async batch form ({requests: [...]}, queueRequest) is rejected
//     with 5006. Embedding inputs are not truncated to 512 tokens by the
//     builtin backend (the Ollama backend asks Ollama to truncate).
//   - pooling "cls" changes the builtin vectors (a different hash seed) but
//     is not applied by Ollama, which pools as its model does.
//   - Run ignores `stream` and returns the whole answer (a Go binding has no
//     ReadableStream); the REST route streams it as server-sent events.
//   - With response_format json_object, `response` is the JSON text as a
//     string (JobMatch JSON.parse()s it); production may return an object.
//   - The builtin generator ignores temperature, top_p, top_k and seed; its
//     token counts are ceil(bytes/4) per text plus 4 per chat message, and
//     an answer longer than max_tokens is cut there.
//   - Request ids are random UUIDs (runtime.AIOptions.Info, the
//     cf-ai-req-id header); a gateway log id exists only when a gateway is
//     connected (SetGateway) and the run asks for it.
//   - No neuron accounting, rate limits, daily allocation (3036) or model
//     agreements (5016).
package ai
