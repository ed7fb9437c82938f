// Package runtime is the contract between the JobMatch API and the platform
// it runs on: the binding interfaces a Worker sees on its env (KV, D1, R2,
// Vectorize, Workers AI), the Env that carries them, the Clock every service
// reads time from, and the Cloudflare error type with its v4 envelope.
//
// It imports the standard library only. Import it as goruntime-free code:
// packages that also need the standard runtime package import that one as
// goruntime.
package runtime
