// Package api is the JobMatch AI API, the Hono Worker of the original, on
// Echo. It sees only the runtime contract: bindings by name from
// runtime.Env, the clock, and runtime.Env.Fetch for Supabase Auth and the AI
// Gateway, so the same code runs against edge's emulated services or the
// real ones.
//
// The request pipeline follows jobmatch-contract.md §2.0 in order: security
// headers, CORS (preflights answered here), the in-memory IP limiter on
// /api, then per route authentication and the per-user KV rate limiter, the
// global error handler, strict routing, and the 404 body.
//
// Differences from the original Worker are listed in docs/DEVIATIONS.md.
package api
