// Package kv emulates Cloudflare Workers KV
// (https://developers.cloudflare.com/kv/): the binding a Worker sees as
// env.NAMESPACE (Namespace implements runtime.KVNamespace) and the KV
// endpoints of the Cloudflare REST API v4 under
// /client/v4/accounts/{account_id}/storage/kv/namespaces (Service.Routes).
//
// Every namespace lives in one Badger database, keys prefixed by the
// namespace id; the namespace list is stored there too. Expiration and
// metadata are kept in a record header of our own, and visibility is decided
// by the injected runtime.Clock only: a pair is gone once now >= expiration,
// for get, bulk get and list alike, and is deleted lazily when seen expired.
// Validation follows workerd and the KV backend in order and wording
// (cloudflare-semantics.md §1, §2 and Appendix M). Binding errors are
// *runtime.KVError values that read like workerd's exceptions ("KV PUT
// failed: 400 ..."); the REST API answers the same words in the v4 envelope,
// with code 10001 for bad input, 10009 for a missing key and 10013 for a
// missing namespace.
//
// # Differences from Cloudflare
//
//   - Strongly consistent: a write is visible everywhere at once (production
//     is eventually consistent, up to 60 s across locations). cacheTtl is
//     validated (minimum 30) and then ignored; cacheStatus is always null.
//   - No limit of one write per second per key (production answers 429).
//   - Config namespaces may share a title with another namespace; titles are
//     unique only among namespaces created through the REST API.
//   - Bulk get counts its 25 MB total in bytes (Miniflare counts UTF-16
//     code units of the decoded strings).
//   - The REST key list does not enforce the OpenAPI minimum limit of 10,
//     and the namespace list clamps per_page to 1..100 instead of refusing it.
//   - Some REST refusals have no documented wording and use ours: metadata
//     that is not JSON, a multipart body without a value part, a bulk write
//     of over 10,000 pairs or a bulk delete of over 10,000 keys, a bulk
//     value that is not valid base64. They are listed in docs/DEVIATIONS.md.
//   - The 32-bit range check of expiration and expirationTtl is the
//     binding's (workerd converts them to int32); the REST API accepts any
//     expiration in the future, as the backend does.
package kv
