// Real-client test of edge's Vectorize v2 REST API with the official
// Cloudflare TypeScript SDK (npm `cloudflare`), which no one here wrote.
//
//   node vectorize.mjs <base-url> [account-id] [api-token]
//
// base-url is the server's origin (e.g. http://127.0.0.1:8787); the SDK is
// pointed at <base-url>/client/v4. The account id defaults to JobMatch's and
// the token to a placeholder (edge checks it only with --api-token). The
// script creates its own index, so any configuration works; it deletes it
// at the end. Exits non-zero with a message on the first mismatch; prints
// what it checked.
import Cloudflare, { toFile } from 'cloudflare';
import assert from 'node:assert/strict';

const [base = process.env.EDGE_URL, accountID = process.env.EDGE_ACCOUNT_ID ?? '280c58ea17d9fe3235c33bd0a52a256b', token = process.env.EDGE_API_TOKEN ?? 'local-token'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node vectorize.mjs <base-url> [account-id] [api-token]');
  process.exit(2);
}

const cf = new Cloudflare({ apiToken: token, baseURL: `${base.replace(/\/$/, '')}/client/v4`, maxRetries: 0 });
const account = { account_id: accountID };
const ok = (what) => console.log(`ok  ${what}`);
const ndjson = (vectors) => toFile(Buffer.from(vectors.map((v) => JSON.stringify(v)).join('\n') + '\n'), 'vectors.ndjson');

async function all(page) {
  const out = [];
  for await (const item of page) out.push(item);
  return out;
}

async function expectError(promise, status, code, message) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.status, status, `status of ${err}`);
    const e = err.errors?.[0];
    assert.equal(e?.code, code, `code of ${err}`);
    assert.equal(e?.message, message);
    return;
  }
  assert.fail(`expected error ${code}: ${message}`);
}

async function main() {
  const name = `vec-mjs-${process.pid}-${Date.now()}`;
  const created = await cf.vectorize.indexes.create({ ...account, name, description: 'from vectorize.mjs', config: { dimensions: 3, metric: 'cosine' } });
  assert.equal(created.name, name);
  assert.deepEqual(created.config, { dimensions: 3, metric: 'cosine' });
  ok(`indexes.create ${name}`);

  try {
    await expectError(cf.vectorize.indexes.create({ ...account, name, config: { dimensions: 3, metric: 'cosine' } }),
      400, 3002, `vectorize.index.duplicate_name - Index name "${name}"`);
    ok('indexes.create duplicate → 3002');

    const got = await cf.vectorize.indexes.get(name, account);
    assert.equal(got.description, 'from vectorize.mjs');
    const listed = await all(cf.vectorize.indexes.list(account));
    assert.ok(listed.some((i) => i.name === name), 'index listed');
    ok('indexes.get, indexes.list');

    const mi = await cf.vectorize.indexes.metadataIndex.create(name, { ...account, propertyName: 'userId', indexType: 'string' });
    assert.match(mi.mutationId, /^[0-9a-f-]{36}$/);
    const mis = await cf.vectorize.indexes.metadataIndex.list(name, account);
    assert.deepEqual(mis.metadataIndexes, [{ propertyName: 'userId', indexType: 'string' }]);
    ok('metadataIndex.create, metadataIndex.list');

    const ins = await cf.vectorize.indexes.insert(name, { ...account, body: await ndjson([
      { id: 'job:1', values: [1, 0, 0], metadata: { userId: 'u1', title: 'Go' } },
      { id: 'job:2', values: [0, 1, 0], metadata: { userId: 'u2' } },
      { id: 'job:3', values: [58.8, 1, 1], namespace: 'ns', metadata: { userId: 'u1' } },
    ]) });
    assert.match(ins.mutationId, /^[0-9a-f-]{36}$/);
    await cf.vectorize.indexes.insert(name, { ...account, body: await ndjson([{ id: 'job:1', values: [0, 0, 1] }]) });
    await cf.vectorize.indexes.upsert(name, { ...account, body: await ndjson([{ id: 'job:4', values: [0, 0, 1] }, { id: 'job:4', values: [0, 1, 1] }]) });
    ok('insert, insert over an existing id, upsert (NDJSON)');

    const info = await cf.vectorize.indexes.info(name, account);
    assert.equal(info.vectorCount, 4);
    assert.equal(info.dimensions, 3);
    ok(`info: vectorCount ${info.vectorCount}, processedUpToMutation ${info.processedUpToMutation}`);

    const q = await cf.vectorize.indexes.query(name, { ...account, vector: [1, 0, 0], topK: 2, returnValues: true, returnMetadata: 'all', filter: { userId: 'u1' } });
    assert.equal(q.count, 2);
    assert.deepEqual(q.matches.map((m) => m.id), ['job:1', 'job:3']);
    assert.equal(q.matches[0].score, 1);
    assert.deepEqual(q.matches[0].values, [1, 0, 0]); // insert kept the first write
    assert.deepEqual(q.matches[1].values, [58.79999923706055, 1, 1]);
    assert.equal(q.matches[1].namespace, 'ns');
    assert.deepEqual(q.matches[0].metadata, { userId: 'u1', title: 'Go' });
    ok('query with filter, returnValues and returnMetadata=all');

    await expectError(cf.vectorize.indexes.query(name, { ...account, vector: [1, 0], topK: 1 }),
      400, 40006, 'VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 3 dimensions, and got 2 dimensions');
    await expectError(cf.vectorize.indexes.query(name, { ...account, vector: [1, 0, 0], topK: 51, returnMetadata: 'all' }),
      400, 40025, 'VECTOR_QUERY_ERROR (code = 40025): with returnValues=true or returnMetadata=all, max top K is 50, but got 51; for a top K up to 100, retry with returnValues=false and returnMetadata=indexed');
    await expectError(cf.vectorize.indexes.query(name, { ...account, vector: [1, 0, 0], returnMetadata: true }),
      400, 40026, 'VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: returnMetadata: expected value');
    ok('query errors 40006, 40025, 40026');

    const byIds = await cf.vectorize.indexes.getByIDs(name, { ...account, ids: ['job:4', 'nope'] });
    assert.deepEqual(byIds, [{ id: 'job:4', values: [0, 1, 1] }]);
    ok('getByIDs (upsert kept the last write)');

    const page = await cf.vectorize.indexes.listVectors(name, { ...account, count: 3 });
    assert.equal(page.count, 3);
    assert.equal(page.totalCount, 4);
    assert.equal(page.isTruncated, true);
    const rest = await cf.vectorize.indexes.listVectors(name, { ...account, count: 3, cursor: page.nextCursor });
    assert.deepEqual([...page.vectors, ...rest.vectors].map((v) => v.id), ['job:1', 'job:2', 'job:3', 'job:4']);
    ok('listVectors with a cursor');

    const del = await cf.vectorize.indexes.deleteByIDs(name, { ...account, ids: ['job:1', 'job:2'] });
    assert.match(del.mutationId, /^[0-9a-f-]{36}$/);
    assert.equal((await cf.vectorize.indexes.info(name, account)).vectorCount, 2);
    await cf.vectorize.indexes.metadataIndex.delete(name, { ...account, propertyName: 'userId' });
    assert.deepEqual((await cf.vectorize.indexes.metadataIndex.list(name, account)).metadataIndexes, []);
    ok('deleteByIDs, metadataIndex.delete');
  } finally {
    await cf.vectorize.indexes.delete(name, account);
  }
  await expectError(cf.vectorize.indexes.get(name, account), 400, 3000, `vectorize.index.not_found - Index name "${name}"`);
  ok('indexes.delete, then get → 3000');
}

main().catch((err) => {
  console.error(`FAIL vectorize.mjs: ${err?.stack ?? err}`);
  process.exit(1);
});
