// Real-client test of the JobMatch files and tracker routes, driven the way
// the frontend's hooks drive them: the session comes from
// @supabase/supabase-js against edge's Auth stand-in, and every API call is
// the hook's own `fetch` with the same URL, method, headers and body:
// useFileUpload (uploadFile: FormData file/bucket/path; deleteFile;
// getSignedUrl), useResumeParser's storage path, and useTrackedApplications
// (list, active, get, add, update, archive, unarchive, delete).
//
//   node frontend-files.mjs <base-url> [anon-key]
//
// base-url is the server's origin, both VITE_API_URL and VITE_SUPABASE_URL;
// the anon key defaults to fixtures/.dev.vars's. Every run signs up fresh
// users. Exits non-zero on the first mismatch; prints each check.
import { createClient } from '@supabase/supabase-js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

const [base = process.env.EDGE_URL, anonKey = process.env.SUPABASE_ANON_KEY ?? 'edge-local-anon-key'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node frontend-files.mjs <base-url> [anon-key]');
  process.exit(2);
}
const API_URL = base.replace(/\/$/, '');
const ok = (what) => console.log(`ok  ${what}`);

// Node has no WebSocket for supabase-js's Realtime client; these checks open
// no channel.
class NoRealtime {
  constructor() { throw new Error('Realtime is not used by these checks'); }
}

async function signIn(label) {
  const supabase = createClient(API_URL, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: NoRealtime },
  });
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const { data, error } = await supabase.auth.signUp({ email, password: 'correct-horse-battery' });
  assert.equal(error, null, `signUp ${email}: ${error?.message}`);
  assert.ok(data.session, 'signUp returned no session');
  return { supabase, id: data.user.id };
}

async function token(browser) {
  const { data: { session } } = await browser.supabase.auth.getSession();
  return session.access_token;
}

// ---- useFileUpload, as written ----

// uploadFile(file, storagePath, bucketType): the bucket from the path when
// 'files', the path field the last segment of storagePath.
async function uploadFile(browser, file, storagePath, bucketType = 'files') {
  let bucket = bucketType;
  if (bucketType === 'files') {
    if (storagePath.includes('profile') || storagePath.includes('avatar')) bucket = 'avatars';
    else if (storagePath.includes('resume')) bucket = 'resumes';
    else if (storagePath.includes('export')) bucket = 'exports';
    else bucket = 'resumes';
  }
  const formData = new FormData();
  formData.append('file', file);
  formData.append('bucket', bucket);
  formData.append('path', storagePath.split('/').pop() || file.name);
  const response = await fetch(`${API_URL}/api/files/upload`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await token(browser)}` },
    body: formData,
  });
  return { status: response.status, body: await response.json() };
}

async function deleteFile(browser, storagePath) {
  const response = await fetch(`${API_URL}/api/files/${encodeURIComponent(storagePath)}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${await token(browser)}` },
  });
  return { status: response.status, body: await response.json() };
}

async function getSignedUrl(browser, storagePath, expiresIn = 3600) {
  const response = await fetch(`${API_URL}/api/files/${encodeURIComponent(storagePath)}/signed-url?expiresIn=${expiresIn}`, {
    method: 'GET',
    headers: { Authorization: `Bearer ${await token(browser)}` },
  });
  return { status: response.status, body: await response.json() };
}

// A download URL is fetched with the bearer token (the API never serves
// files without one, except the public avatar).
async function download(browser, url) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${await token(browser)}` } });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

// ---- useTrackedApplications, as written ----

async function tracked(browser, path, { method = 'GET', body, json = true } = {}) {
  const headers = { Authorization: `Bearer ${await token(browser)}` };
  if (json) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${API_URL}/api/tracked-applications${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

async function main() {
  const ada = await signIn('ada');
  const bob = await signIn('bob');
  for (const b of [ada, bob]) {
    const r = await fetch(`${API_URL}/api/profile`, { headers: { Authorization: `Bearer ${await token(b)}`, 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200, 'GET /api/profile');
  }

  // useResumeParser: storagePath resumes/{uid}/{ts}_{name}, bucket inferred.
  const pdf = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff);
  const file = new File([pdf], 'Ada Lovelace CV.pdf', { type: 'application/pdf' });
  const storagePath = `resumes/${ada.id}/1893456000000_${file.name}`;
  const up = await uploadFile(ada, file, storagePath);
  const key = `users/${ada.id}/resumes/1893456000000_Ada Lovelace CV.pdf`;
  assert.equal(up.status, 201, `upload: ${JSON.stringify(up.body)}`);
  assert.deepEqual(Object.keys(up.body), ['key', 'downloadURL', 'fullPath', 'size', 'uploadedAt']);
  assert.equal(up.body.key, key);
  assert.equal(up.body.fullPath, key);
  assert.equal(up.body.size, pdf.length);
  assert.equal(up.body.downloadURL, `/api/files/download/${encodeURIComponent(key)}`);
  ok('uploadFile: FormData file/bucket/path, 201 with the fullPath useResumeParser parses');

  // uploadFile's result.downloadURL is backendUrl + data.downloadURL.
  const got = await download(ada, API_URL + up.body.downloadURL);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'application/pdf');
  assert.equal(got.headers.get('content-disposition'), 'attachment; filename="1893456000000_Ada Lovelace CV.pdf"');
  assert.deepEqual(got.bytes, pdf);
  ok('download: the same bytes, type and file name');
  assert.equal((await download(bob, API_URL + up.body.downloadURL)).status, 403);
  ok("download: another user's key is 403");

  const signed = await getSignedUrl(ada, key, 600);
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  assert.equal(signed.body.signedUrl, `${API_URL}/api/files/download/${encodeURIComponent(key)}`);
  assert.equal(signed.body.expiresIn, 600);
  assert.equal(signed.body.key, key);
  assert.deepEqual((await download(ada, signed.body.signedUrl)).bytes, pdf);
  if (signed.body.presignedUrl) {
    // The extra member is a real presigned S3 URL: no token needed.
    const res = await fetch(signed.body.presignedUrl);
    assert.equal(res.status, 200, `presignedUrl: ${await res.text()}`);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), pdf);
    ok('getSignedUrl: signedUrl fetches the file; presignedUrl does without the token');
  } else {
    ok('getSignedUrl: signedUrl fetches the file');
  }
  assert.equal((await getSignedUrl(bob, key)).status, 403);

  // A profile photo through uploadFile(file, 'profile/...'): avatars.
  const photo = await uploadFile(ada, new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'me.png', { type: 'image/png' }), 'profile/avatar.png');
  assert.equal(photo.status, 201);
  assert.equal(photo.body.key, `users/${ada.id}/profile/avatar.png`);
  const pub = await fetch(`${API_URL}/api/files/avatar/${ada.id}`);
  assert.equal(pub.status, 200);
  assert.equal(pub.headers.get('content-type'), 'image/png');
  ok('avatar: uploaded to avatars, public at /api/files/avatar/:id');

  assert.equal((await deleteFile(bob, key)).status, 403);
  const del = await deleteFile(ada, key);
  assert.equal(del.status, 200);
  assert.deepEqual(del.body, { message: 'File deleted successfully', key });
  assert.equal((await download(ada, API_URL + up.body.downloadURL)).status, 404);
  ok("deleteFile: 200, then the file is gone; another user's delete is 403");

  // useTrackedApplications.
  const added = await tracked(ada, '', {
    method: 'POST',
    body: {
      jobId: '', applicationId: '', company: 'Acme', jobTitle: 'Go Engineer', location: 'Berlin', matchScore: 88,
      status: 'applied', appliedDate: '2030-01-01', statusHistory: [{ status: 'applied', date: '2030-01-01' }],
      interviews: [], followUpActions: [], notes: '', activityLog: [], archived: false,
    },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const id = added.body.id;
  const first = await tracked(ada, '?page=1&limit=20');
  assert.equal(first.status, 200);
  assert.equal(first.body.total, 1);
  assert.equal(first.body.hasMore, false);
  assert.equal(first.body.trackedApplications[0].id, id);
  assert.deepEqual(first.body.trackedApplications[0].statusHistory, [{ status: 'applied', date: '2030-01-01' }]);
  const one = await tracked(ada, `/${id}`);
  assert.equal(one.body.company, 'Acme');
  assert.equal(one.body.matchScore, 88);
  const upd = await tracked(ada, `/${id}`, { method: 'PATCH', body: { status: 'screening', notes: 'Recruiter called' } });
  assert.equal(upd.status, 200);
  assert.equal(upd.body.status, 'screening');
  assert.equal((await tracked(ada, `/${id}/archive`, { method: 'PATCH', json: false })).body.archived, true);
  assert.equal((await tracked(ada, '/active?page=1&limit=20')).body.activeApplications.length, 0);
  assert.equal((await tracked(ada, `/${id}/unarchive`, { method: 'PATCH', json: false })).body.archived, false);
  assert.equal((await tracked(ada, '/active?page=1&limit=20')).body.activeApplications.length, 1);
  ok('useTrackedApplications: add, list, get, update, archive, unarchive');

  assert.equal((await tracked(bob, `/${id}`)).status, 404);
  assert.equal((await tracked(bob, `/${id}`, { method: 'PATCH', body: { notes: 'x' } })).status, 404);
  assert.equal((await tracked(bob, `/${id}`, { method: 'DELETE', json: false })).status, 404);
  assert.equal((await tracked(bob, '?page=1&limit=20')).body.total, 0);
  ok("useTrackedApplications: another user's id is 404 everywhere");

  assert.equal((await tracked(ada, `/${id}`, { method: 'DELETE', json: false })).status, 204);
  assert.equal((await tracked(ada, `/${id}`)).status, 404);
  ok('deleteTrackedApplication: 204, then 404');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
