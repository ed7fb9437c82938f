// Package vectorize emulates Cloudflare Vectorize (v2 indexes): the Worker
// binding (runtime.VectorizeIndex) and the REST API under
// /client/v4/accounts/{account_id}/vectorize/v2/indexes.
//
// Docs: https://developers.cloudflare.com/vectorize/ (reference/client-api,
// reference/metadata-filtering, platform/limits). Semantics, limits and
// error texts follow ../shared/docs/cloudflare-semantics.md §6.
//
// Each index is one SQLite file, <state>/vectorize/<index>.sqlite (WAL;
// values as little-endian float32 BLOBs), loaded at start into memory: all
// values in one contiguous float32 slab with a precomputed norm per vector.
// A query scans the slab (namespace first, then the metadata filter, then
// the score) keeping the topK best in a heap, then scores the winners again
// exactly in float64. On amd64 with AVX2 and FMA the scan's dot product is
// in assembly (dot_amd64.s); elsewhere it is portable Go.
//
// # Differences from Cloudflare
//
//   - Mutations are applied synchronously: a write is visible to the very
//     next call, and describe() reports it as processed at once
//     (processedUpToMutation is the id the write returned). Cloudflare
//     applies mutations asynchronously, seconds later.
//   - Scores are always exact (float64 over the stored float32 values);
//     Cloudflare scores approximately unless returnValues is true.
//   - euclidean scores are the plain (not squared) L2 distance, lower is
//     better; dot-product scores are the negative dot product, lower is
//     better, as the docs word it. Cloudflare's exact forms need a live check.
//   - A filter on a property that has no metadata index (or a vector written
//     before the index existed) sees the property as absent: $eq/$in match
//     only null, $ne/$nin match. Cloudflare's answer there is not documented.
//   - Error codes and texts marked [INF] in runtime/codes.go (namespace too
//     long, metadata too large, bad metadata keys, too many vectors, filter
//     errors, metadata index and index-name validation) are edge's choice.
//   - Missing indexes answer HTTP 400 with code 3000, as recorded responses
//     show.
//   - REST list vectors orders ids by byte order; its cursor never expires
//     (cursorExpirationTimestamp is null).
//   - topK <= 0 means the default 5.
//
// See docs/DEVIATIONS.md for the reasoning behind each.
package vectorize
