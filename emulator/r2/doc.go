// Package r2 emulates Cloudflare R2 (https://developers.cloudflare.com/r2/):
// the Workers binding (runtime.R2Bucket: head, get, put, delete, list,
// multipart uploads) and the S3-compatible API with SigV4 header and
// presigned-URL authentication, served by S3Handler on its own listener.
//
// Storage: metadata of every bucket in <state>/r2/r2.sqlite (WAL); object
// and part contents as files <state>/r2/<bucket>/blobs/<id>, written to
// <state>/r2/<bucket>/tmp/ and renamed into place before the metadata row
// that names them is committed. A crash therefore leaves at most a temp
// file or an unreferenced blob, never a half object; both are swept when
// the bucket is next opened. In memory (Options.InMemory) the same SQL runs
// on a private in-memory SQLite database and contents live in a map.
//
// Semantics follow ../shared/docs/cloudflare-semantics.md §7: errors print
// as "<method>: <message> (<code>)"; onlyIf follows RFC 7232 (a failing
// get condition returns the object without a body, a failing put
// condition stores nothing and returns nil); ranges, list order,
// delimiters, cursors and multipart rules as documented; the S3 endpoint
// answers R2's XML errors (no xmlns, ' as &apos;). All time comes from the
// injected runtime.Clock: uploaded dates, presigned expiry, the ±15 minute
// skew window, multipart expiry and the response Date header.
//
// Differences from Cloudflare:
//   - Metadata limit: 8,192 bytes (the documented R2 limit) counted as the
//     bytes of httpMetadata values plus customMetadata keys and values;
//     Miniflare enforces 2,048 on customMetadata with its own sizing.
//   - The per-key limit of one write per second (429) is not emulated.
//   - list: include never shortens a page (Miniflare caps at 100); the
//     cursor is base64url of our own position encoding; an unreadable
//     cursor ends the listing instead of failing.
//   - delete of more than 1,000 keys fails with a RangeError whose text is
//     ours (no documented text).
//   - Multipart: a final part larger than the others, duplicate part
//     numbers and an empty part list fail with 10048; completed multipart
//     objects carry no checksums.
//   - S3: flexible checksums (x-amz-checksum-*) and aws-chunked trailer
//     signatures are read but not verified; chunk signatures of
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD are. Anonymous requests get 401
//     Unauthorized. A region other than auto/""/us-east-1, a malformed
//     Authorization header, and a presigned URL dated more than 15 minutes
//     ahead get texts of ours (AWS's where one exists). ListObjects
//     max-keys above 1,000 is InvalidMaxKeys rather than clamped. Bucket
//     management, CopyObject, ListParts, ListMultipartUploads, tagging, ACLs
//     and CORS answer 501 NotImplemented. Virtual-host-style addressing is
//     not supported (path style only).
//   - SSE-C keys are not supported.
package r2
