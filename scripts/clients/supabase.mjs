// Real-client test of edge's Supabase Auth stand-in (/auth/v1) with the
// official @supabase/supabase-js, which no one here wrote.
//
//   node supabase.mjs <base-url> [anon-key]
//
// base-url is the server's origin (e.g. http://127.0.0.1:8787), used as the
// Supabase project URL; the anon key defaults to the one in
// fixtures/.dev.vars (edge-local-anon-key). Every run signs up a fresh user,
// so it works against a persistent state dir too. Exits non-zero with a
// message on the first mismatch; prints each check.
import { createClient } from '@supabase/supabase-js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

const [base = process.env.EDGE_URL, anonKey = process.env.SUPABASE_ANON_KEY ?? 'edge-local-anon-key'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node supabase.mjs <base-url> [anon-key]');
  process.exit(2);
}

const url = base.replace(/\/$/, '');
// Node 20 has no global WebSocket and supabase-js's Realtime client demands a
// transport at construction; these checks never open a channel, so a
// transport that refuses to connect stands in for the `ws` package.
class NoRealtime {
  constructor() { throw new Error('Realtime is not used by these checks'); }
}
const opts = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: { transport: NoRealtime } };
const client = () => createClient(url, anonKey, opts);
const ok = (what) => console.log(`ok  ${what}`);

// An auth-js error, checked field by field (class, message, code, status).
function assertAuthError(error, { name, message, code, status }, what) {
  assert.ok(error, `${what}: expected an error, got none`);
  assert.equal(error.name, name, `${what}: error name`);
  assert.equal(error.message, message, `${what}: error message`);
  assert.equal(error.code, code, `${what}: error code`);
  assert.equal(error.status, status, `${what}: error status`);
}

function assertJWT(token, what) {
  assert.equal(typeof token, 'string', `${what}: access_token is not a string`);
  const parts = token.split('.');
  assert.equal(parts.length, 3, `${what}: access_token is not a JWT`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString());
}

async function main() {
  const email = `sbjs-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct-horse-battery';
  const sb = client();

  // signUp: confirmed at once, so it returns a session (GoTrue with autoconfirm).
  {
    const { data, error } = await sb.auth.signUp({ email, password, options: { data: { full_name: 'Supabase JS' } } });
    assert.equal(error, null, `signUp error: ${error?.message}`);
    assert.ok(data.session, 'signUp returned no session');
    assert.equal(data.user.email, email);
    assert.ok(data.user.email_confirmed_at, 'signUp: user not confirmed');
    assert.equal(data.user.user_metadata.full_name, 'Supabase JS');
    const claims = assertJWT(data.session.access_token, 'signUp');
    assert.equal(claims.sub, data.user.id);
    assert.equal(claims.email, email);
    assert.equal(claims.role, 'authenticated');
    assert.equal(claims.aud, 'authenticated');
    assert.ok(claims.session_id, 'signUp: no session_id claim');
    assert.equal(data.session.token_type, 'bearer');
    assert.ok(data.session.refresh_token, 'signUp: no refresh_token');
    ok(`signUp ${email}: confirmed, session with GoTrue claims (sub ${claims.sub})`);
  }

  // Duplicate signup.
  {
    const { data, error } = await client().auth.signUp({ email, password });
    assertAuthError(error, { name: 'AuthApiError', message: 'User already registered', code: 'user_already_exists', status: 422 }, 'duplicate signUp');
    assert.equal(data.session, null);
    ok('duplicate signUp: 422 user_already_exists "User already registered"');
  }

  // Weak password.
  {
    const { error } = await client().auth.signUp({ email: `weak-${randomUUID().slice(0, 8)}@example.com`, password: '123' });
    assertAuthError(error, { name: 'AuthWeakPasswordError', message: 'Password should be at least 6 characters.', code: 'weak_password', status: 422 }, 'weak password');
    assert.deepEqual(error.reasons, ['length']);
    ok('weak password: AuthWeakPasswordError weak_password, reasons [length]');
  }

  // Wrong password, and an unknown user (the same answer, as GoTrue gives).
  for (const [who, creds] of [['wrong password', { email, password: 'not-the-password' }], ['unknown user', { email: `nobody-${randomUUID().slice(0, 8)}@example.com`, password }]]) {
    const { data, error } = await client().auth.signInWithPassword(creds);
    assertAuthError(error, { name: 'AuthApiError', message: 'Invalid login credentials', code: 'invalid_credentials', status: 400 }, who);
    assert.equal(data.session, null);
    ok(`${who}: 400 invalid_credentials "Invalid login credentials"`);
  }

  // signInWithPassword.
  const { data: signIn, error: signInErr } = await sb.auth.signInWithPassword({ email, password });
  assert.equal(signInErr, null, `signInWithPassword error: ${signInErr?.message}`);
  assert.equal(signIn.user.email, email);
  const first = signIn.session;
  assertJWT(first.access_token, 'signInWithPassword');
  ok('signInWithPassword: session');

  // getUser with the client's session, and with an explicit token.
  {
    const { data, error } = await sb.auth.getUser();
    assert.equal(error, null, `getUser error: ${error?.message}`);
    assert.equal(data.user.id, signIn.user.id);
    const { data: d2, error: e2 } = await client().auth.getUser(first.access_token);
    assert.equal(e2, null, `getUser(jwt) error: ${e2?.message}`);
    assert.equal(d2.user.email, email);
    ok('getUser: session user, and getUser(jwt) from a fresh client');
  }

  // refreshSession rotates the refresh token.
  const { data: refreshed, error: refreshErr } = await sb.auth.refreshSession();
  assert.equal(refreshErr, null, `refreshSession error: ${refreshErr?.message}`);
  assert.ok(refreshed.session, 'refreshSession returned no session');
  assert.notEqual(refreshed.session.refresh_token, first.refresh_token, 'refresh token did not rotate');
  assert.equal(refreshed.user.id, signIn.user.id);
  {
    const { data, error } = await sb.auth.getUser();
    assert.equal(error, null, `getUser after refresh: ${error?.message}`);
    assert.equal(data.user.id, signIn.user.id);
  }
  ok('refreshSession: new session, refresh token rotated, getUser works with it');
  {
    // The rotated token is the parent of the active one: GoTrue takes it for
    // a client that lost the answer to its refresh and hands the active
    // refresh token back (later reuse, which revokes the session, is tested
    // in Go with a fake clock: it needs GoTrue's 10 s reuse interval to pass).
    const { data, error } = await client().auth.refreshSession({ refresh_token: first.refresh_token });
    assert.equal(error, null, `refresh with the rotated token: ${error?.message}`);
    assert.equal(data.session.refresh_token, refreshed.session.refresh_token, 'rotated token: the active refresh token is not handed back');
    ok('rotated refresh token (parent of the active one): the active refresh token is handed back');
  }
  {
    const { error } = await client().auth.refreshSession({ refresh_token: 'not-a-refresh-token' });
    assertAuthError(error, { name: 'AuthApiError', message: 'Invalid Refresh Token: Refresh Token Not Found', code: 'refresh_token_not_found', status: 400 }, 'unknown refresh token');
    ok('unknown refresh token: 400 refresh_token_not_found');
  }

  // updateUser.
  {
    const { data, error } = await sb.auth.updateUser({ data: { full_name: 'Renamed', plan: 'pro' } });
    assert.equal(error, null, `updateUser error: ${error?.message}`);
    assert.equal(data.user.user_metadata.full_name, 'Renamed');
    assert.equal(data.user.user_metadata.plan, 'pro');
    const { data: again } = await client().auth.getUser(refreshed.session.access_token);
    assert.equal(again.user.user_metadata.full_name, 'Renamed', 'updateUser not persisted');
    ok('updateUser: user_metadata updated and persisted');
  }

  // signOut revokes the session; the old access token then fails as GoTrue fails.
  const lastToken = refreshed.session.access_token;
  {
    const { error } = await sb.auth.signOut();
    assert.equal(error, null, `signOut error: ${error?.message}`);
    const { data: s } = await sb.auth.getSession();
    assert.equal(s.session, null, 'signOut left a session in the client');
    ok('signOut: no error, client session cleared');
  }
  {
    // auth-js turns GoTrue's 403 session_not_found into AuthSessionMissingError
    // (lib/fetch.js); the wire answer is checked as well.
    const { data, error } = await client().auth.getUser(lastToken);
    assert.ok(error, 'getUser after signOut: expected an error, got none');
    assert.equal(error.name, 'AuthSessionMissingError', 'getUser after signOut: error name');
    assert.equal(error.message, 'Auth session missing!', 'getUser after signOut: error message');
    assert.equal(data.user, null);
    const res = await fetch(`${url}/auth/v1/user`, { headers: { apikey: anonKey, Authorization: `Bearer ${lastToken}` } });
    assert.equal(res.status, 403, 'GET /auth/v1/user after signOut: status');
    assert.deepEqual(await res.json(), { code: 403, error_code: 'session_not_found', msg: 'Session from session_id claim in JWT does not exist' });
    ok('getUser with the signed-out access token: AuthSessionMissingError (wire: 403 session_not_found)');
  }
  {
    // signOut is global by default: the first session is gone too.
    const { error } = await client().auth.getUser(first.access_token);
    assert.equal(error?.name, 'AuthSessionMissingError', `getUser(first token) after signOut: ${error?.name}`);
    const { error: refErr } = await client().auth.refreshSession({ refresh_token: refreshed.session.refresh_token });
    assert.ok(refErr, 'refresh after signOut succeeded');
    ok(`after a global signOut the refresh token is refused too (${refErr.code})`);
  }

  // Sign in again: a new session works.
  {
    const { data, error } = await client().auth.signInWithPassword({ email, password });
    assert.equal(error, null, `sign in after signOut: ${error?.message}`);
    assert.ok(data.session.access_token);
    ok('signInWithPassword after signOut: new session');
  }
  console.log('supabase-js: all checks passed');
}

main().catch((err) => {
  console.error(`FAIL ${err?.message ?? err}`);
  if (err?.stack) console.error(err.stack);
  process.exit(1);
});
