package r2

import "time"

// Limits are R2's limits (cloudflare-semantics.md §7.1). Tests shrink them
// through Options.Limits.
type Limits struct {
	MaxKeyBytes      int           // longest key: 1,024 bytes
	MaxMetadataBytes int           // httpMetadata + customMetadata: 8,192 bytes
	MaxPutBytes      int64         // one put or one part: 5 GiB - 5 MiB
	MaxObjectBytes   int64         // a completed multipart object: 5 TiB - 5 GiB
	MinPartBytes     int64         // every part but the last: 5 MiB
	MaxPartNumber    int           // parts are numbered 1..10,000
	MaxListLimit     int           // list limit: 1,000
	MaxDeleteKeys    int           // keys per delete: 1,000
	UploadLifetime   time.Duration // unfinished multipart uploads are aborted after 7 days
}

// DefaultLimits are production R2's limits.
var DefaultLimits = Limits{
	MaxKeyBytes:      1024,
	MaxMetadataBytes: 8192,
	MaxPutBytes:      5<<30 - 5<<20,
	MaxObjectBytes:   5<<40 - 5<<30,
	MinPartBytes:     5 << 20,
	MaxPartNumber:    10000,
	MaxListLimit:     1000,
	MaxDeleteKeys:    1000,
	UploadLifetime:   7 * 24 * time.Hour,
}

// S3 endpoint constants (cloudflare-semantics.md §7.2).
const (
	// Region is R2's only region; "" and "us-east-1" are accepted as aliases.
	Region = "auto"
	// SigningService is the SigV4 service name.
	SigningService = "s3"
	// MaxPresignExpires is the longest X-Amz-Expires, in seconds (one week).
	MaxPresignExpires = 604800
	// MaxClockSkew is how far a header-signed request's date may be from the clock.
	MaxClockSkew = 15 * time.Minute
	// DefaultS3Addr is where `edge serve` listens for S3 clients.
	DefaultS3Addr = "127.0.0.1:8789"
	// DefaultAccessKeyID is the access key id the S3 endpoint accepts unless told otherwise.
	DefaultAccessKeyID = "edge-local-access-key"
	// DefaultSecretAccessKey is the secret that goes with DefaultAccessKeyID.
	DefaultSecretAccessKey = "edge-local-secret-key"
)

// Credentials are an R2 API token's S3 credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// DefaultCredentials are the local stand-in credentials.
var DefaultCredentials = Credentials{AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey}
