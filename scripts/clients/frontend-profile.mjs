// Real-client test of the JobMatch profile and application routes, driven the
// way the frontend's hooks drive them: the session comes from
// @supabase/supabase-js against edge's Auth stand-in (stored under the
// frontend's storage key, `jobmatch-auth-token`), and every API call is the
// hook's own `fetch` — the same URL, method, headers and body
// (useProfile, lib/workersApi.ts for work experience and the avatar,
// useEducation, useApplications).
//
//   node frontend-profile.mjs <base-url> [anon-key]
//
// base-url is the server's origin, both VITE_API_URL and VITE_SUPABASE_URL;
// the anon key defaults to fixtures/.dev.vars's. Every run signs up fresh
// users. Exits non-zero on the first mismatch; prints each check.
import { createClient } from '@supabase/supabase-js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

const [base = process.env.EDGE_URL, anonKey = process.env.SUPABASE_ANON_KEY ?? 'edge-local-anon-key'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node frontend-profile.mjs <base-url> [anon-key]');
  process.exit(2);
}
const API_URL = base.replace(/\/$/, '');
const ok = (what) => console.log(`ok  ${what}`);

// Node has no WebSocket for supabase-js's Realtime client; these checks open
// no channel (the hooks' postgres_changes subscriptions are not exercised).
class NoRealtime {
  constructor() { throw new Error('Realtime is not used by these checks'); }
}

// A browser's localStorage, which supabase-js (src/lib/supabase.ts) and
// workersApi share.
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

// A signed-in browser: supabase-js with the frontend's options, and the
// token workersApi reads back from localStorage.
async function signIn(label) {
  const localStorage = memoryStorage();
  const supabase = createClient(API_URL, anonKey, {
    auth: { persistSession: true, autoRefreshToken: false, detectSessionInUrl: false, storageKey: 'jobmatch-auth-token', storage: localStorage },
    realtime: { transport: NoRealtime },
  });
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const { data, error } = await supabase.auth.signUp({ email, password: 'correct-horse-battery', options: { data: { display_name: label } } });
  assert.equal(error, null, `signUp ${email}: ${error?.message}`);
  assert.ok(data.session, 'signUp returned no session');
  const workersToken = () => JSON.parse(localStorage.getItem('jobmatch-auth-token')).access_token;
  assert.equal(workersToken(), data.session.access_token, 'the session is not under jobmatch-auth-token');
  return { supabase, email, id: data.user.id, workersToken };
}

// The hooks that call supabase.auth.getSession() for every request.
async function sessionToken(browser) {
  const { data } = await browser.supabase.auth.getSession();
  return data.session.access_token;
}

// workersApi.request: JSON headers, the token from localStorage.
async function workersRequest(browser, endpoint, options = {}) {
  const res = await fetch(`${API_URL}${endpoint}`, {
    ...options,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${browser.workersToken()}`, ...options.headers },
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

// workersApi.upload: FormData, only the Authorization header.
async function workersUpload(browser, endpoint, formData) {
  const res = await fetch(`${API_URL}${endpoint}`, { method: 'POST', headers: { Authorization: `Bearer ${browser.workersToken()}` }, body: formData });
  return { status: res.status, body: await res.json() };
}

// The fetch of useProfile / useEducation / useApplications: the token from
// getSession(), Content-Type JSON except on useApplications' DELETE.
async function hookFetch(browser, path, { method = 'GET', body, json = true } = {}) {
  const headers = { Authorization: `Bearer ${await sessionToken(browser)}` };
  if (json) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${API_URL}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), contentType: res.headers.get('content-type') };
}

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

async function main() {
  const ada = await signIn('ada');
  const bob = await signIn('bob');
  ok(`signed up ${ada.email} and ${bob.email}; workersApi's token is the session's`);

  // useProfile: GET creates the row, PATCH sends snake_case.
  for (const b of [ada, bob]) {
    const r = await hookFetch(b, '/api/profile');
    assert.equal(r.status, 200, `GET /api/profile: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.profile.email, b.email);
  }
  {
    const r = await hookFetch(ada, '/api/profile', { method: 'PATCH', body: { first_name: 'Ada', last_name: 'Lovelace', current_title: 'Engineer', professional_summary: 'Writes Go.', location: 'Berlin' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.message, 'Profile updated successfully');
    assert.equal(r.body.profile.first_name, 'Ada');
    assert.equal(r.body.profile.current_title, 'Engineer');
    ok('useProfile: GET /api/profile creates the row, PATCH updates it');
  }

  // useWorkExperience through workersApi: position → title, camelCase → snake_case.
  const toApi = (d) => {
    const apiData = { company: d.company, title: d.position, start_date: d.startDate };
    for (const [k, v] of [['location', d.location], ['description', d.description], ['end_date', d.endDate], ['is_current', d.current], ['accomplishments', d.accomplishments]]) {
      if (v !== undefined) apiData[k] = v;
    }
    return apiData;
  };
  let workId;
  {
    const data = { company: 'Initech', position: 'Backend Engineer', location: 'Berlin', description: 'Payments', startDate: '2021-03', endDate: null, current: true, accomplishments: ['Cut latency by 40%'] };
    const r = await workersRequest(ada, '/api/profile/work-experience', { method: 'POST', body: JSON.stringify(toApi(data)) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const e = r.body.experience;
    workId = e.id;
    assert.deepEqual([e.title, e.company, e.location, e.is_current, e.end_date, e.accomplishments], ['Backend Engineer', 'Initech', 'Berlin', 1, null, '["Cut latency by 40%"]']);
    const list = await workersRequest(ada, '/api/profile/work-experience');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.workExperience.map((w) => w.id), [workId]);
    const upd = { company: 'Initech', title: 'Staff Engineer', location: 'Hamburg', end_date: '2025-12', is_current: false, accomplishments: ['Cut latency by 40%', 'Mentored 4 engineers'] };
    const p = await workersRequest(ada, `/api/profile/work-experience/${workId}`, { method: 'PATCH', body: JSON.stringify(upd) });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.message, 'Work experience updated successfully');
    assert.deepEqual([p.body.experience.title, p.body.experience.location, p.body.experience.is_current], ['Staff Engineer', 'Hamburg', 0]);
    const other = await workersRequest(bob, `/api/profile/work-experience/${workId}`, { method: 'DELETE' });
    assert.deepEqual([other.status, other.body], [404, { error: 'Work experience not found or access denied' }]);
    const d = await workersRequest(ada, `/api/profile/work-experience/${workId}`, { method: 'DELETE' });
    assert.deepEqual([d.status, d.body], [200, { message: 'Work experience deleted successfully' }]);
    ok('workersApi work experience: POST, GET, PATCH and DELETE of the row; another user gets 404');
  }

  // useEducation: camelCase bodies, undefined dates dropped by JSON.stringify.
  {
    const r = await hookFetch(ada, '/api/profile/education', { method: 'POST', body: { school: 'TU Berlin', degree: 'BSc', field: 'Computer Science', startDate: '2013-10', endDate: undefined, highlights: ['Thesis', "Dean's list"] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const e = r.body.education;
    assert.deepEqual([e.institution, e.field_of_study, e.start_date, e.end_date, e.description], ['TU Berlin', 'Computer Science', '2013-10', null, "Thesis\nDean's list"]);
    const p = await hookFetch(ada, `/api/profile/education/${e.id}`, { method: 'PATCH', body: { degree: 'MSc', endDate: '2019-07', highlights: [] } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.deepEqual([p.body.education.degree, p.body.education.end_date, p.body.education.description], ['MSc', '2019-07', null]);
    const other = await hookFetch(bob, `/api/profile/education/${e.id}`, { method: 'PATCH', body: { school: 'x' } });
    assert.deepEqual([other.status, other.body], [404, { error: 'Education not found or access denied' }]);
    const list = await hookFetch(ada, '/api/profile/education');
    assert.deepEqual(list.body.education.map((x) => x.id), [e.id]);
    const d = await hookFetch(ada, `/api/profile/education/${e.id}`, { method: 'DELETE' });
    assert.deepEqual([d.status, d.body], [200, { message: 'Education deleted successfully' }]);
    ok('useEducation: POST, PATCH, GET, DELETE; another user gets 404');
  }

  // workersApi.uploadAvatar: FormData with the file under "avatar".
  {
    const form = new FormData();
    form.append('avatar', new Blob([png], { type: 'image/png' }), 'me.png');
    const r = await workersUpload(ada, '/api/profile/avatar', form);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.file.key, new RegExp(`^users/${ada.id}/profile/me-\\d{13}-[0-9a-z]{6}\\.png$`));
    assert.equal(r.body.file.size, png.length);
    assert.equal(r.body.file.url, `/api/files/download/${encodeURIComponent(r.body.file.key)}`);
    assert.equal(r.body.profile.photo_url, r.body.file.url);
    const bad = new FormData();
    bad.append('avatar', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    const t = await workersUpload(ada, '/api/profile/avatar', bad);
    assert.deepEqual([t.status, t.body], [415, { error: 'Failed to upload avatar', message: 'Invalid file type. Allowed types: jpg, jpeg, png, webp, gif' }]);
    const big = new FormData();
    big.append('avatar', new Blob([new Uint8Array(6 << 20)], { type: 'image/png' }), 'big.png');
    const s = await workersUpload(ada, '/api/profile/avatar', big);
    assert.deepEqual([s.status, s.body], [413, { error: 'Failed to upload avatar', message: 'File size 6.00MB exceeds maximum allowed size of 5.00MB' }]);
    const none = await workersUpload(ada, '/api/profile/avatar', new FormData());
    assert.deepEqual([none.status, none.body], [400, { error: 'No file provided' }]);
    const d = await workersRequest(ada, '/api/profile/avatar', { method: 'DELETE' });
    assert.deepEqual([d.status, d.body], [200, { message: 'Avatar deleted successfully' }]);
    const again = await workersRequest(ada, '/api/profile/avatar', { method: 'DELETE' });
    assert.deepEqual([again.status, again.body], [404, { error: 'No avatar found' }]);
    ok('avatar: FormData/Blob upload (key, size, url), 415, 413, 400, DELETE then 404');
  }

  // useApplications: list, addApplication, useApplication, updateApplication, deleteApplication.
  {
    const empty = await hookFetch(ada, '/api/applications?page=1&limit=20');
    assert.deepEqual([empty.status, empty.body], [200, { applications: [], total: 0, page: 1, limit: 20, hasMore: false }]);
    const variant = { id: 'variant-impact', name: 'Impact-Focused', resume: { summary: 'Go engineer', experience: [], skills: ['Go'], education: [] }, coverLetter: 'Dear Acme', aiRationale: ['kept the facts'] };
    const data = { jobId: '', jobTitle: 'Senior Go Engineer', company: 'Acme', status: 'draft', selectedVariantId: 'variant-impact', variants: [variant] };
    const c = await hookFetch(ada, '/api/applications', { method: 'POST', body: { jobId: data.jobId || null, jobTitle: data.jobTitle || '', company: data.company || '', status: data.status, selectedVariantId: data.selectedVariantId, variants: data.variants } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.deepEqual(Object.keys(c.body), ['id', 'jobId', 'jobTitle', 'company', 'status', 'createdAt', 'selectedVariantId', 'variants']);
    assert.deepEqual(c.body.variants, [variant]);
    const id = c.body.id;
    const list = await hookFetch(ada, '/api/applications?page=1&limit=20');
    assert.equal(list.body.total, 1);
    assert.equal(list.body.applications[0].job_title, 'Senior Go Engineer');
    const one = await hookFetch(ada, `/api/applications/${id}`);
    assert.equal(one.status, 200);
    assert.ok(Array.isArray(one.body.variants), 'variants not parsed');
    assert.equal(one.body.variants[0].cover_letter, 'Dear Acme');
    const edited = { ...variant, coverLetter: 'Dear Acme team' };
    const u = await hookFetch(ada, `/api/applications/${id}`, { method: 'PATCH', body: { status: 'submitted', variants: [edited] } });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.status, 'submitted');
    assert.ok(u.body.submitted_at, 'submitted_at not set');
    const after = await hookFetch(ada, `/api/applications/${id}`);
    assert.equal(after.body.variants[0].cover_letter, 'Dear Acme team');
    const foreign = await hookFetch(bob, `/api/applications/${id}`);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.message, `Application with ID ${id} not found`);
    const d = await hookFetch(ada, `/api/applications/${id}`, { method: 'DELETE', json: false });
    assert.deepEqual([d.status, d.body, d.contentType], [204, undefined, null]);
    const gone = await hookFetch(ada, `/api/applications/${id}`);
    assert.deepEqual([gone.status, gone.body.code], [404, 'NOT_FOUND']);
    ok('useApplications: list, create (201, key order), get (variants parsed), PATCH with edited variants, 404 for another user, DELETE 204');
  }

  {
    const res = await fetch(`${API_URL}/api/profile/education`);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { code: 'MISSING_AUTH_HEADER', message: 'No authorization header provided', statusCode: 401 });
    ok('no token: 401 MISSING_AUTH_HEADER');
  }
  console.log('frontend profile and applications: all checks passed');
}

main().catch((err) => {
  console.error(`FAIL ${err?.message ?? err}`);
  if (err?.stack) console.error(err.stack);
  process.exit(1);
});
