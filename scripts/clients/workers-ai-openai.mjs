// Real-client check of the Workers AI OpenAI-compatible REST routes with the
// official `openai` npm package.
//
// usage: node workers-ai-openai.mjs <account base URL>
//   e.g. node workers-ai-openai.mjs http://127.0.0.1:8787/client/v4/accounts/<account id>
// env:   CLOUDFLARE_API_TOKEN (sent as the API key; needed only when edge runs with --api-token)
import OpenAI from "openai";

const [account] = process.argv.slice(2);
if (!account) {
  console.error("usage: node workers-ai-openai.mjs <base URL>/client/v4/accounts/<account id>");
  process.exit(2);
}
const fail = (what, got) => {
  console.error(`FAIL ${what}:`, typeof got === "string" ? got : JSON.stringify(got).slice(0, 400));
  process.exit(1);
};
const client = new OpenAI({ apiKey: process.env.CLOUDFLARE_API_TOKEN || "edge-local", baseURL: `${account}/ai/v1` });

// Embeddings: the SDK asks for base64 by default and decodes it.
const emb = await client.embeddings.create({ model: "@cf/baai/bge-base-en-v1.5", input: ["senior go engineer", "pastry chef"] });
if (emb.object !== "list" || emb.data.length !== 2) fail("embeddings list", emb);
for (const d of emb.data) {
  if (d.embedding.length !== 768) fail("embedding width 768", d.embedding.length);
  const norm = Math.hypot(...d.embedding);
  if (Math.abs(norm - 1) > 1e-5) fail("unit norm", norm);
}
console.log("ok embeddings: 2 x 768, unit norm (base64 transport)");

// Chat completion, then the same request streamed: same text.
const messages = [{ role: "user", content: "hello from the openai client" }];
const chat = await client.chat.completions.create({ model: "@cf/meta/llama-3.1-8b-instruct", messages });
const text = chat.choices?.[0]?.message?.content ?? "";
if (chat.object !== "chat.completion" || !text) fail("chat completion", chat);
if (chat.usage.total_tokens !== chat.usage.prompt_tokens + chat.usage.completion_tokens) fail("usage totals", chat.usage);
console.log(`ok chat: ${chat.usage.prompt_tokens}+${chat.usage.completion_tokens} tokens`);

const stream = await client.chat.completions.create({ model: "@cf/meta/llama-3.1-8b-instruct", messages, stream: true });
let streamed = "";
for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
if (streamed !== text) fail("streamed text equals the whole answer", streamed);
console.log("ok stream: same text as the non-streamed answer");

// Errors: an unknown model is a 400 (the SDK keeps only an OpenAI-style
// `error` field, so the v4 envelope's text is checked with plain fetch).
try {
  await client.embeddings.create({ model: "@cf/acme/none", input: "x" });
  fail("unknown model", "no error");
} catch (err) {
  if (err.status !== 400) fail("unknown model status", err.status);
}
const res = await fetch(`${account}/ai/v1/embeddings`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${process.env.CLOUDFLARE_API_TOKEN || ""}` },
  body: JSON.stringify({ model: "@cf/acme/none", input: "x" }),
});
const body = await res.json();
const want = { code: 5007, message: "No such model @cf/acme/none or task" };
if (res.status !== 400 || body.success !== false || JSON.stringify(body.errors) !== JSON.stringify([want])) fail("unknown model envelope", body);
console.log("ok error: unknown model -> 400, errors [5007 No such model @cf/acme/none or task]");
