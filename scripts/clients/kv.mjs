// Real-client test of edge's Workers KV REST API with the official Cloudflare
// TypeScript SDK (npm `cloudflare`), which no one here wrote.
//
//   node kv.mjs <base-url> [account-id] [api-token]
//
// base-url is the server's origin (e.g. http://127.0.0.1:8787); the SDK is
// pointed at <base-url>/client/v4. The account id defaults to JobMatch's
// (280c58ea17d9fe3235c33bd0a52a256b) and the token to a placeholder (edge
// checks it only when started with --api-token). The server must serve the
// JobMatch configuration (any environment: the six KV namespaces). Exits
// non-zero with a message on the first mismatch; prints what it checked.
import Cloudflare from 'cloudflare';
import assert from 'node:assert/strict';

const [base = process.env.EDGE_URL, accountID = process.env.EDGE_ACCOUNT_ID ?? '280c58ea17d9fe3235c33bd0a52a256b', token = process.env.EDGE_API_TOKEN ?? 'local-token'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node kv.mjs <base-url> [account-id] [api-token]');
  process.exit(2);
}

const cf = new Cloudflare({ apiToken: token, baseURL: `${base.replace(/\/$/, '')}/client/v4`, maxRetries: 0 });
const account = { account_id: accountID };
const checked = [];
const ok = (what) => { checked.push(what); console.log(`ok  ${what}`); };

async function main() {
  // Namespaces: the config's exist with binding names as titles.
  const all = [];
  for await (const ns of cf.kv.namespaces.list({ ...account, per_page: 5 })) all.push(ns);
  const titles = all.map((ns) => ns.title);
  for (const want of ['RATE_LIMITS', 'OAUTH_STATES', 'EMBEDDINGS_CACHE', 'JOB_ANALYSIS_CACHE', 'SESSIONS', 'AI_GATEWAY_CACHE']) {
    assert.ok(titles.includes(want), `namespace ${want} not listed (got ${titles.join(', ')})`);
  }
  ok(`namespaces.list (auto-paged, per_page 5): ${all.length} namespaces incl. RATE_LIMITS`);
  const rateLimits = all.find((ns) => ns.title === 'RATE_LIMITS');
  assert.match(rateLimits.id, /^[0-9a-f]{32}$/);
  const got = await cf.kv.namespaces.get(rateLimits.id, account);
  assert.deepEqual({ id: got.id, title: got.title }, { id: rateLimits.id, title: 'RATE_LIMITS' });
  ok('namespaces.get RATE_LIMITS');

  // A namespace of our own, renamed and removed at the end.
  const title = `kv.mjs ${process.pid} ${Date.now()}`;
  const mine = await cf.kv.namespaces.create({ ...account, title });
  assert.equal(mine.title, title);
  const renamed = await cf.kv.namespaces.update(mine.id, { ...account, title: `${title} (renamed)` });
  assert.equal(renamed.title, `${title} (renamed)`);
  ok('namespaces.create and namespaces.update (rename)');
  const nsParams = { ...account, namespace_id: mine.id };

  // Values: put with metadata and TTL, read back, metadata, keys.
  const key = 'rate:user:u-1:GET:/api/jobs';
  const value = JSON.stringify({ count: 1, windowStart: 1893456000000 });
  await cf.kv.namespaces.values.update(key, { ...nsParams, value, metadata: JSON.stringify({ plan: 'pro' }), expiration_ttl: 3600 });
  const resp = await cf.kv.namespaces.values.get(key, nsParams);
  assert.equal(await resp.text(), value);
  const expiration = Number(resp.headers.get('expiration'));
  assert.ok(expiration > 0, `expiration header missing: ${resp.headers.get('expiration')}`);
  ok(`values.update (multipart, metadata, expiration_ttl) + values.get of "${key}" (expiration ${expiration})`);
  assert.deepEqual(await cf.kv.namespaces.metadata.get(key, nsParams), { plan: 'pro' });
  ok('metadata.get');

  const odd = 'dir/with space/ünï©ødé?#%';
  await cf.kv.namespaces.values.update(odd, { ...nsParams, value: 'odd key' });
  assert.equal(await (await cf.kv.namespaces.values.get(odd, nsParams)).text(), 'odd key');
  ok(`key with slashes, space, unicode and ?#% round-trips: ${JSON.stringify(odd)}`);

  const bulk = await cf.kv.namespaces.bulkUpdate(mine.id, {
    ...account,
    body: [
      { key: 'bulk:a', value: 'A' },
      { key: 'bulk:b', value: Buffer.from([0, 1, 2]).toString('base64'), base64: true },
      { key: 'bulk:c', value: '{"n":3}', expiration_ttl: 120, metadata: { tag: 'c' } },
    ],
  });
  assert.deepEqual(bulk, { successful_key_count: 3, unsuccessful_keys: [] });
  const bulkGot = await cf.kv.namespaces.bulkGet(mine.id, { ...account, keys: ['bulk:a', 'bulk:c', 'missing'], type: 'json', withMetadata: true }).catch((e) => e);
  assert.ok(bulkGot instanceof Cloudflare.BadRequestError, 'bulk get of a non-JSON value as json must fail');
  const texts = await cf.kv.namespaces.bulkGet(mine.id, { ...account, keys: ['bulk:a', 'bulk:a', 'missing'] });
  assert.deepEqual(texts, { values: { 'bulk:a': 'A', missing: null } });
  const jsons = await cf.kv.namespaces.bulkGet(mine.id, { ...account, keys: ['bulk:c'], type: 'json', withMetadata: true });
  assert.deepEqual(jsons.values['bulk:c'].value, { n: 3 });
  assert.deepEqual(jsons.values['bulk:c'].metadata, { tag: 'c' });
  ok('namespaces.bulkUpdate + bulkGet (text with duplicate and missing keys; json with metadata; non-JSON refused)');

  const keys = [];
  for await (const k of cf.kv.namespaces.keys.list(mine.id, { ...account, limit: 2 })) keys.push(k);
  assert.deepEqual(keys.map((k) => k.name), ['bulk:a', 'bulk:b', 'bulk:c', odd, key].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  assert.deepEqual(keys.find((k) => k.name === key).metadata, { plan: 'pro' });
  assert.equal(keys.find((k) => k.name === key).expiration, expiration);
  assert.deepEqual(Object.keys(keys.find((k) => k.name === 'bulk:a')), ['name']);
  ok(`keys.list (cursor-paged, limit 2): ${keys.length} keys in UTF-8 byte order, metadata and expiration`);

  // Deletes, then the error case: a missing key is the SDK's NotFoundError with code 10009.
  await cf.kv.namespaces.values.delete(key, nsParams);
  const bulkDel = await cf.kv.namespaces.bulkDelete(mine.id, { ...account, body: ['bulk:a', 'bulk:b', 'bulk:c'] });
  assert.deepEqual(bulkDel, { successful_key_count: 3, unsuccessful_keys: [] });
  ok('values.delete + namespaces.bulkDelete');
  const err = await cf.kv.namespaces.values.get(key, nsParams).then(() => null, (e) => e);
  assert.ok(err instanceof Cloudflare.NotFoundError, `reading a deleted key: want NotFoundError, got ${err}`);
  assert.equal(err.status, 404);
  assert.deepEqual(err.errors, [{ code: 10009, message: "get: 'key not found'" }]);
  ok(`values.get of a deleted key: NotFoundError 404, errors ${JSON.stringify(err.errors)}`);

  const bad = await cf.kv.namespaces.values.update('short', { ...nsParams, value: 'v', expiration_ttl: 30 }).then(() => null, (e) => e);
  assert.ok(bad instanceof Cloudflare.BadRequestError, `ttl 30: want BadRequestError, got ${bad}`);
  assert.deepEqual(bad.errors, [{ code: 10001, message: 'Invalid expiration_ttl of 30. Expiration TTL must be at least 60.' }]);
  ok(`values.update with expiration_ttl 30: BadRequestError, errors ${JSON.stringify(bad.errors)}`);

  await cf.kv.namespaces.delete(mine.id, account);
  const gone = await cf.kv.namespaces.get(mine.id, account).then(() => null, (e) => e);
  assert.ok(gone instanceof Cloudflare.NotFoundError, `deleted namespace: want NotFoundError, got ${gone}`);
  assert.equal(gone.errors[0].code, 10013);
  ok('namespaces.delete, then namespaces.get: NotFoundError 10013');
}

main().then(
  () => console.log(`kv.mjs: all ${checked.length} checks passed against ${base}`),
  (err) => {
    console.error(`kv.mjs: FAILED after ${checked.length} checks: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
