// Real-client test of edge's D1 REST API with the official Cloudflare
// TypeScript SDK (npm `cloudflare`), which no one here wrote.
//
//   node d1.mjs <base-url> [account-id] [api-token]
//
// base-url is the server's origin (e.g. http://127.0.0.1:8787); the SDK is
// pointed at <base-url>/client/v4. The account id defaults to JobMatch's and
// the token to a placeholder (edge checks it only with --api-token). The
// script creates its own database, so any configuration works; it deletes
// it at the end. Exits non-zero with a message on the first mismatch;
// prints what it checked.
import Cloudflare from 'cloudflare';
import assert from 'node:assert/strict';

const [base = process.env.EDGE_URL, accountID = process.env.EDGE_ACCOUNT_ID ?? '280c58ea17d9fe3235c33bd0a52a256b', token = process.env.EDGE_API_TOKEN ?? 'local-token'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node d1.mjs <base-url> [account-id] [api-token]');
  process.exit(2);
}

const cf = new Cloudflare({ apiToken: token, baseURL: `${base.replace(/\/$/, '')}/client/v4`, maxRetries: 0 });
const account = { account_id: accountID };
const ok = (what) => console.log(`ok  ${what}`);

async function all(page) {
  const out = [];
  for await (const item of page) out.push(item);
  return out;
}

async function main() {
  const name = `d1-mjs-${process.pid}-${Date.now()}`;
  const db = await cf.d1.database.create({ ...account, name });
  assert.equal(db.name, name);
  assert.match(db.uuid, /^[0-9a-f-]{36}$/);
  ok(`database.create ${name} (${db.uuid})`);

  try {
    const got = await cf.d1.database.get(db.uuid, account);
    assert.equal(got.name, name);
    assert.equal(got.version, 'production');
    const listed = await all(cf.d1.database.list({ ...account, name }));
    assert.deepEqual(listed.map((d) => d.uuid), [db.uuid]);
    ok('database.get and database.list (name filter)');

    // query: schema, params, one result per statement.
    let res = await all(cf.d1.database.query(db.uuid, {
      ...account,
      sql: 'CREATE TABLE jobs (id INTEGER PRIMARY KEY, title TEXT NOT NULL, salary REAL, logo BLOB); ' +
        "INSERT INTO jobs (title, salary, logo) VALUES ('Engineer', 120000.5, X'CAFE')",
    }));
    assert.equal(res.length, 2, 'one result per statement');
    assert.ok(res.every((r) => r.success === true));
    assert.equal(res[1].meta.changes, 1);
    assert.equal(res[1].meta.last_row_id, 1);
    assert.equal(res[1].meta.changed_db, true);
    assert.ok(res[1].meta.size_after > 0);
    ok('database.query: CREATE + INSERT give two results, meta.changes 1, last_row_id 1');

    res = await all(cf.d1.database.query(db.uuid, {
      ...account, sql: 'INSERT INTO jobs (title, salary) VALUES (?, ?)', params: ['Designer', '95000'],
    }));
    assert.equal(res[0].meta.last_row_id, 2);
    res = await all(cf.d1.database.query(db.uuid, {
      ...account, sql: 'SELECT id, title, salary, logo FROM jobs WHERE id = ? OR title = ? ORDER BY id', params: ['1', 'Designer'],
    }));
    assert.deepEqual(res[0].results, [
      { id: 1, title: 'Engineer', salary: 120000.5, logo: [202, 254] },
      { id: 2, title: 'Designer', salary: 95000, logo: null },
    ]);
    assert.ok(res[0].meta.rows_read >= 2, `rows_read ${res[0].meta.rows_read}`);
    ok('database.query with params: rows as objects, BLOB as byte array');

    // raw: columns and rows, duplicates kept.
    const raw = await all(cf.d1.database.raw(db.uuid, { ...account, sql: 'SELECT id, title, id FROM jobs ORDER BY id' }));
    assert.deepEqual(raw[0].results.columns, ['id', 'title', 'id']);
    assert.deepEqual(raw[0].results.rows, [[1, 'Engineer', 1], [2, 'Designer', 2]]);
    ok('database.raw: columns ["id","title","id"], rows as arrays');

    // Errors: D1's 400 / 7500 with SQLite's message.
    await assert.rejects(
      all(cf.d1.database.query(db.uuid, { ...account, sql: 'SELECT * FROM events' })),
      (err) => {
        assert.ok(err instanceof Cloudflare.BadRequestError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 400);
        assert.deepEqual(err.errors, [{ code: 7500, message: 'no such table: events: SQLITE_ERROR' }]);
        assert.equal(err.headers.get('cf-d1'), 'err=7500');
        return true;
      },
    );
    ok('database.query error: 400, [{code 7500, "no such table: events: SQLITE_ERROR"}], cf-d1: err=7500');
    await assert.rejects(
      all(cf.d1.database.raw(db.uuid, { ...account, sql: 'INSERT INTO jobs (id, title) VALUES (1, ?)', params: ['dup'] })),
      (err) => {
        assert.equal(err.status, 400);
        assert.deepEqual(err.errors, [{ code: 7500, message: 'UNIQUE constraint failed: jobs.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)' }]);
        return true;
      },
    );
    ok('database.raw error: UNIQUE constraint with extended code');
    await assert.rejects(
      all(cf.d1.database.query('00000000-0000-0000-0000-000000000000', { ...account, sql: 'SELECT 1' })),
      (err) => {
        assert.ok(err instanceof Cloudflare.NotFoundError, `got ${err?.constructor?.name}: ${err}`);
        assert.deepEqual(err.errors, [{ code: 7404, message: 'Not Found' }]);
        return true;
      },
    );
    ok('database.query on an unknown database: 404 / 7404');
  } finally {
    await cf.d1.database.delete(db.uuid, account);
  }
  await assert.rejects(cf.d1.database.get(db.uuid, account), (err) => err.status === 404);
  ok('database.delete');
}

main().catch((err) => {
  console.error(`FAIL d1.mjs: ${err?.stack ?? err}`);
  process.exit(1);
});
