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
	CodeKVTitleMissing      = 10019 // "request is missing a title definition" (observed in public API mocks)
	CodeKVValidation        = 10001 // bad KV input (TTL, sizes, keys, limits): Miniflare's choice, kept

	// D1.
	CodeD1Error            = 7500
	CodeD1DatabaseNotFound = 7404
)

// D1 (emulator/d1).
const (
	// CodeD1DatabaseExists answers POST /d1/database with a name in use;
	// wrangler maps code 7502 to "A database with that name already exists"
	// (cloudflare/workers-sdk PR #2143).
	CodeD1DatabaseExists = 7502
)

// Workers AI (emulator/ai). Codes and texts from the Workers AI errors page
// (cloudflare-semantics.md §4.1, §4.4); 1001 is the binding's InvalidInput.
const (
	CodeAIInvalidInput      = 1001 // InvalidInput: "prompt and messages are mutually exclusive"
	CodeAIIncompleteRequest = 3003 // 400 "Request is missing headers or body: {what}"
	CodeAIRequestTooLarge   = 3006 // 413 "Request is too large"
	CodeAITimeout           = 3007 // 408 "Request timeout"
	CodeAIAborted           = 3008 // 408 "Request was aborted"
	CodeAIOutOfCapacity     = 3040 // 429 "No more data centers to forward the request to"
	CodeAIInvalidModelID    = 3042 // 404 "The model name is invalid"
	CodeAIInvalidData       = 5004 // 400 "Invalid data type for base64 input: ${type}"
	CodeAIBadInput          = 5006 // 400 schema validation failure ("Bad input")
	CodeAINoSuchModel       = 5007 // 400 "No such model ${model} or task"
)

// Vectorize. Codes marked [OBS] were seen in production errors; [INF] codes
// are edge's choice where no real response has been recorded (each is listed
// in docs/DEVIATIONS.md).
const (
	CodeVectorizeIndexNotFound      = 3000  // [OBS] vectorize.index.not_found
	CodeVectorizeIndexDuplicateName = 3002  // [OBS] vectorize.index.duplicate_name
	CodeVectorizeQueryDimensions    = 40006 // [OBS] invalid query vector, expected N dimensions
	CodeVectorizeTooManyIDs         = 40007 // [OBS] too many ids in payload (also used for too many vectors [INF])
	CodeVectorizeIDTooLong          = 40008 // [OBS] id too long; max is 64 bytes
	CodeVectorizeNamespaceTooLong   = 40009 // [INF] namespace too long; max is 64 bytes
	CodeVectorizeMetadataTooLarge   = 40010 // [INF] metadata over 10 KiB
	CodeVectorizeInvalidMetadataKey = 40011 // [INF] metadata key empty, with '.' or '"', or starting with '$'
	CodeVectorizeInsertDimensions   = 40012 // [OBS] invalid vector for id=..., expected N dimensions
	CodeVectorizeParseVectors       = 40023 // [OBS] failed to parse upsert vectors request in json format
	CodeVectorizeTopK               = 40025 // [OBS] max top K is 50 / 100
	CodeVectorizeParseQuery         = 40026 // [OBS] Failed to parse the request body as JSON (also bad filters [INF])
)

// R2 (binding errors, printed "<method>: <message> (<code>)"; texts in r2.go).
const (
	CodeR2Internal           = 10001
	CodeR2NoSuchKey          = 10007
	CodeR2EntityTooSmall     = 10011
	CodeR2MetadataTooLarge   = 10012
	CodeR2InvalidObjectName  = 10020
	CodeR2InvalidMaxKeys     = 10022
	CodeR2NoSuchUpload       = 10024
	CodeR2InvalidPart        = 10025
	CodeR2InvalidMetadata    = 10029
	CodeR2PreconditionFailed = 10031
	CodeR2BadDigest          = 10037
	CodeR2InvalidRange       = 10039
	CodeR2BadUpload          = 10048
	CodeR2EntityTooLarge     = 100100
)

// AI Gateway (emulator/gateway).
const (
	// CodeGatewayUnauthorized is "Unauthorized": an authenticated gateway
	// without a valid cf-aig-authorization, HTTP 401, in the gateway's
	// {"success":false,"error":[...]} envelope (cloudflare-semantics.md §5.4).
	CodeGatewayUnauthorized = 2009
)
