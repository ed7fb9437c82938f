// Package supabase stands in for Supabase Auth (GoTrue) at /auth/v1, for
// the calls the JobMatch API and its frontend make: sign-up, password and
// refresh-token grants, the current user (GET/PUT /user), logout and
// settings. Tokens are HS256 JWTs with GoTrue's claims, signed with the
// configuration's SUPABASE_JWT_SECRET; the `apikey` header must carry the
// anon or service-role key, as Supabase's gateway requires.
//
// Errors use GoTrue's JSON shape {"code", "error_code", "msg"} and words.
//
// Differences from Supabase:
//   - Sign-ups are confirmed at once (a local Supabase's default), so
//     signUp returns a session; no mail is sent.
//   - Only the email/password provider exists; no OAuth, OTP, MFA or phone.
//   - The apikey check accepts exactly the configured anon or service-role
//     key string; real Supabase keys are themselves JWTs.
//   - Users and sessions are kept in memory and written through to SQLite
//     (auth.sqlite in the state dir).
//   - A token without a session_id claim is refused (GoTrue skips the
//     session check for it).
//   - Reusing a refresh token outside GoTrue's rules (not the parent of the
//     active token, rotated more than 10 s ago) ends the whole session, its
//     access tokens included; GoTrue revokes only its refresh tokens.
package supabase
