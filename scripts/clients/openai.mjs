// Real-client test of edge's AI Gateway with the official `openai` npm
// package, pointed at the gateway's openai provider the way JobMatch's
// createOpenAI does (baseURL = <server>/v1/<account>/<gateway>/openai).
//
// usage: node openai.mjs <server-base-url> [account_id] [gateway_id]
//   (or EDGE_URL, EDGE_ACCOUNT_ID, EDGE_GATEWAY_ID; the gateway must cache,
//   as JobMatch's jobmatch-ai-gateway-dev does by default)
//
// Exits non-zero with a message on the first mismatch; prints each check.
import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';

const base = (process.argv[2] ?? process.env.EDGE_URL ?? '').replace(/\/+$/, '');
const account = process.argv[3] ?? process.env.EDGE_ACCOUNT_ID ?? '280c58ea17d9fe3235c33bd0a52a256b';
const gateway = process.argv[4] ?? process.env.EDGE_GATEWAY_ID ?? 'jobmatch-ai-gateway-dev';
if (!base) {
  console.error('usage: node openai.mjs <server-base-url> [account_id] [gateway_id]');
  process.exit(2);
}

const baseURL = `${base}/v1/${account}/${gateway}/openai`;
const client = new OpenAI({ baseURL, apiKey: 'sk-edge-real-client', maxRetries: 0, timeout: 30_000 });

let checks = 0;
function check(cond, what, detail) {
  if (!cond) {
    console.error(`FAIL: ${what}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
    process.exit(1);
  }
  checks++;
  console.log(`ok   ${what}`);
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
// A fresh request body per run, so the first call is a MISS even on a
// state dir that kept earlier runs' cache.
const nonce = randomUUID();
const params = {
  model: 'gpt-4o-mini',
  temperature: 0.7,
  max_tokens: 300,
  response_format: { type: 'json_object' },
  messages: [
    { role: 'system', content: 'You are an expert resume writer. Return JSON.' },
    { role: 'user', content: `Job: Senior Go Engineer. Skills: Go, Kubernetes. Run ${nonce}.` },
  ],
};

console.log(`openai ${(await import('openai/version')).VERSION} -> ${baseURL}`);

// 1. MISS, read through .withResponse() (the SDK's raw Response).
const first = await client.chat.completions.create(params).withResponse();
check(first.response.status === 200, 'first chat completion: HTTP 200', first.response.status);
check(first.response.headers.get('cf-aig-cache-status') === 'MISS', 'first chat completion: cf-aig-cache-status MISS',
  first.response.headers.get('cf-aig-cache-status'));
const logID1 = first.response.headers.get('cf-aig-log-id');
check(ULID.test(logID1 ?? ''), 'first chat completion: cf-aig-log-id is a ULID', logID1);
const c1 = first.data;
check(c1.object === 'chat.completion' && c1.model === 'gpt-4o-mini' && /^chatcmpl-/.test(c1.id),
  'chat.completion shape (object, model, id)', c1);
check(Array.isArray(c1.choices) && c1.choices.length === 1 && c1.choices[0].message.role === 'assistant' &&
  typeof c1.choices[0].message.content === 'string' && c1.choices[0].message.content.length > 0,
  'one assistant choice with content', c1.choices);
check(['stop', 'length'].includes(c1.choices[0].finish_reason), 'finish_reason', c1.choices[0].finish_reason);
const u = c1.usage;
check(u && u.prompt_tokens > 0 && u.completion_tokens > 0 && u.total_tokens === u.prompt_tokens + u.completion_tokens,
  'usage counts', u);
check(Number.isInteger(c1.created), 'created is a unix time', c1.created);

// 2. The same request again: HIT, the same completion.
const second = await client.chat.completions.create(params).withResponse();
check(second.response.headers.get('cf-aig-cache-status') === 'HIT', 'second identical request: cf-aig-cache-status HIT',
  second.response.headers.get('cf-aig-cache-status'));
const logID2 = second.response.headers.get('cf-aig-log-id');
check(ULID.test(logID2 ?? '') && logID2 !== logID1, 'second request: a new cf-aig-log-id', logID2);
check(JSON.stringify(second.data) === JSON.stringify(c1), 'HIT returns the cached completion unchanged');

// 3. .asResponse(): the raw Response, still a HIT.
const raw = await client.chat.completions.create(params).asResponse();
check(raw.headers.get('cf-aig-cache-status') === 'HIT', '.asResponse(): cf-aig-cache-status HIT', raw.headers.get('cf-aig-cache-status'));
check((await raw.json()).id === c1.id, '.asResponse(): body is the cached completion');

// 4. A different body is a MISS.
const other = await client.chat.completions.create({ ...params, temperature: 0.2 }).withResponse();
check(other.response.headers.get('cf-aig-cache-status') === 'MISS', 'different temperature: MISS',
  other.response.headers.get('cf-aig-cache-status'));

// 5. cf-aig-skip-cache through the SDK's per-request headers.
const skipped = await client.chat.completions.create(params, { headers: { 'cf-aig-skip-cache': 'true' } }).withResponse();
check(skipped.response.headers.get('cf-aig-cache-status') === 'MISS', 'cf-aig-skip-cache: true gives MISS',
  skipped.response.headers.get('cf-aig-cache-status'));

// 6. Embeddings (the SDK asks for base64 and decodes it), MISS then HIT.
const embParams = { model: 'text-embedding-3-small', input: [`go engineer ${nonce}`, `kubernetes ${nonce}`] };
const e1 = await client.embeddings.create(embParams).withResponse();
check(e1.response.headers.get('cf-aig-cache-status') === 'MISS', 'embeddings: MISS', e1.response.headers.get('cf-aig-cache-status'));
check(e1.data.object === 'list' && e1.data.data.length === 2 && e1.data.data.every((d, i) => d.index === i && d.object === 'embedding'),
  'embeddings list shape', e1.data);
const dims = e1.data.data[0].embedding.length;
check(dims === 768, 'embeddings decoded to 768 floats', dims);
const norm = Math.sqrt(e1.data.data[0].embedding.reduce((s, x) => s + x * x, 0));
check(Math.abs(norm - 1) < 1e-3, 'embedding has unit length', norm);
const e2 = await client.embeddings.create(embParams).withResponse();
check(e2.response.headers.get('cf-aig-cache-status') === 'HIT', 'embeddings again: HIT', e2.response.headers.get('cf-aig-cache-status'));

// 7. Streaming: chunks arrive as an async iterator and add up to a reply.
const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
let text = '';
let chunks = 0;
let usage = null;
let notChunk = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.object !== 'chat.completion.chunk') notChunk ??= chunk;
  text += chunk.choices[0]?.delta?.content ?? '';
  if (chunk.usage) usage = chunk.usage;
}
check(notChunk === null, 'stream: every event is a chat.completion.chunk', notChunk);
check(chunks >= 3 && text.length > 0, `stream: ${chunks} chunks, ${text.length} characters`);
check(usage && usage.total_tokens > 0, 'stream: include_usage chunk', usage);

// 8. An error in OpenAI's shape reaches the SDK as a typed error.
try {
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
  check(false, 'empty messages must fail');
} catch (err) {
  check(err instanceof OpenAI.BadRequestError && err.status === 400, 'empty messages: BadRequestError 400', String(err));
  check(err.error?.message === "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead." &&
    err.param === 'messages' && err.code === 'empty_array', 'empty messages: OpenAI error body', err.error);
  check(err.headers?.get?.('cf-aig-cache-status') === 'MISS', 'error responses are not cached (MISS)',
    err.headers?.get?.('cf-aig-cache-status'));
}

console.log(`openai.mjs: ${checks} checks passed`);
