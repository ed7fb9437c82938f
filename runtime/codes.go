package runtime

// Cloudflare API v4 error codes. This is the only table of codes; services
// name them through these constants. Sources are cited in
// ../shared/docs/cloudflare-semantics.md and recorded responses in fixtures/.
const (
	// Generic API codes.
	CodeInternal       = 10001 // also Miniflare's validation code for bad input
	CodeValidation     = 10001
	CodeAuthentication = 10000 // "Authentication error"
	CodeNoRoute        = 7003  // "Could not route to …"
	CodeMethodNotAllow = 10405

	// Workers KV.
	CodeKVKeyNotFound       = 10009
	CodeKVNamespaceNotFound = 10013
	CodeKVTitleExists       = 10014

	// D1.
	CodeD1Error            = 7500
	CodeD1DatabaseNotFound = 7404
)
