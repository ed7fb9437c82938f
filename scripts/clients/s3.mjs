// Drives edge's S3-compatible R2 endpoint with the AWS SDK for JavaScript v3
// (@aws-sdk/client-s3 and @aws-sdk/s3-request-presigner), a client no one
// here wrote. Exits non-zero with a message on the first mismatch.
//
//   node scripts/clients/s3.mjs [endpoint] [bucket]
//
// endpoint  the S3 listener (default $S3_ENDPOINT or http://127.0.0.1:8789)
// bucket    an R2 bucket from the config (default $S3_BUCKET or jobmatch-ai-dev-avatars)
// $R2_ACCESS_KEY_ID / $R2_SECRET_ACCESS_KEY  credentials (default edge's local stand-ins)
// $S3_NOW   the server clock (RFC 3339) when it is not the wall clock, e.g. a
//           test's fake clock; requests and presigned URLs are signed at it.

import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand, DeleteObjectCommand,
  ListObjectsV2Command, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand, AbortMultipartUploadCommand, DeleteObjectsCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const endpoint = process.argv[2] || process.env.S3_ENDPOINT || "http://127.0.0.1:8789";
const bucket = process.argv[3] || process.env.S3_BUCKET || "jobmatch-ai-dev-avatars";
const credentials = {
  accessKeyId: process.env.R2_ACCESS_KEY_ID || "edge-local-access-key",
  secretAccessKey: process.env.R2_SECRET_ACCESS_KEY || "edge-local-secret-key",
};
const serverNow = process.env.S3_NOW ? Date.parse(process.env.S3_NOW) : Date.now();
if (Number.isNaN(serverNow)) fail(`S3_NOW ${process.env.S3_NOW} is not a date`);
const offset = serverNow - Date.now();
const now = () => new Date(Date.now() + offset);

const client = new S3Client({ endpoint, region: "auto", forcePathStyle: true, credentials, systemClockOffset: offset, maxAttempts: 1 });
const prefix = `s3mjs-${process.pid}/`;
let checks = 0;

function fail(msg) {
  console.error(`s3.mjs: FAIL: ${msg}`);
  process.exit(1);
}
function check(cond, what, detail = "") {
  if (!cond) fail(`${what}${detail ? ": " + detail : ""}`);
  checks++;
  console.log(`ok  ${what}`);
}
function eq(got, want, what) {
  check(got === want, what, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
const md5 = (data) => createHash("md5").update(data).digest("hex");
async function expectError(promise, name, status, what) {
  try {
    await promise;
  } catch (e) {
    check(e.name === name && e.$metadata?.httpStatusCode === status, what, `got ${e.name} ${e.$metadata?.httpStatusCode}: ${e.message}`);
    return;
  }
  fail(`${what}: no error`);
}
function xmlCode(text) {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}

// put (a string body: flexible checksum header plus a signed payload hash)
const key = prefix + "users/u1/resumes/cv (final) ä.txt";
const text = "hello from the AWS SDK";
const put = await client.send(new PutObjectCommand({
  Bucket: bucket, Key: key, Body: text, ContentType: "text/plain", Metadata: { userid: "u1" }, CacheControl: "max-age=60",
}));
eq(put.ETag, `"${md5(text)}"`, "PutObject returns the MD5 etag");

// put a stream (aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER)
const streamed = Buffer.alloc(200_000, "s");
const putStream = await client.send(new PutObjectCommand({
  Bucket: bucket, Key: prefix + "streamed.bin", Body: Readable.from([streamed.subarray(0, 70_000), streamed.subarray(70_000)]), ContentLength: streamed.length,
}));
eq(putStream.ETag, `"${md5(streamed)}"`, "PutObject with a stream body (aws-chunked) stores every byte");

// put 2 MiB (the SDK sends Expect: 100-continue above 1 MiB)
const big = Buffer.alloc(2 << 20, 7);
const putBig = await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + "big.bin", Body: big }));
eq(putBig.ETag, `"${md5(big)}"`, "PutObject of 2 MiB (Expect: 100-continue) succeeds");

// get, head, range
const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
eq(await got.Body.transformToString(), text, "GetObject returns the body");
eq(got.ContentType, "text/plain", "GetObject returns Content-Type");
eq(got.Metadata?.userid, "u1", "GetObject returns x-amz-meta-*");
eq(got.CacheControl, "max-age=60", "GetObject returns Cache-Control");
const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
eq(head.ContentLength, Buffer.byteLength(text), "HeadObject returns the size");
const part = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: "bytes=6-9" }));
eq(await part.Body.transformToString(), "from", "GetObject with Range returns the bytes asked for");
eq(part.ContentRange, `bytes 6-9/${Buffer.byteLength(text)}`, "GetObject with Range returns Content-Range");

// list
const list = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
eq(JSON.stringify(list.Contents.map((o) => o.Key)), JSON.stringify([prefix + "big.bin", prefix + "streamed.bin", key].sort()), "ListObjectsV2 lists the keys in order");
const delim = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/" }));
eq(JSON.stringify(delim.CommonPrefixes.map((p) => p.Prefix)), JSON.stringify([prefix + "users/"]), "ListObjectsV2 with Delimiter rolls up CommonPrefixes");
const page1 = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 2 }));
check(page1.IsTruncated && page1.NextContinuationToken, "ListObjectsV2 MaxKeys=2 is truncated with a token");
const page2 = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 2, ContinuationToken: page1.NextContinuationToken }));
eq(page2.Contents.length + page1.Contents.length, 3, "ListObjectsV2 continuation returns the rest");

// multipart
const mpKey = prefix + "multipart.bin";
const mp = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: mpKey, ContentType: "application/octet-stream" }));
const p1 = Buffer.alloc(5 << 20, 1), p2 = Buffer.from("last part");
const u1 = await client.send(new UploadPartCommand({ Bucket: bucket, Key: mpKey, UploadId: mp.UploadId, PartNumber: 1, Body: p1 }));
const u2 = await client.send(new UploadPartCommand({ Bucket: bucket, Key: mpKey, UploadId: mp.UploadId, PartNumber: 2, Body: p2 }));
const done = await client.send(new CompleteMultipartUploadCommand({
  Bucket: bucket, Key: mpKey, UploadId: mp.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: u1.ETag }, { PartNumber: 2, ETag: u2.ETag }] },
}));
const mpEtag = md5(Buffer.concat([Buffer.from(md5(p1), "hex"), Buffer.from(md5(p2), "hex")])) + "-2";
eq(done.ETag, `"${mpEtag}"`, "CompleteMultipartUpload returns md5(part md5s)-N");
const mpHead = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: mpKey }));
eq(mpHead.ContentLength, p1.length + p2.length, "the completed object has every part");
const mp2 = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: mpKey + ".aborted" }));
await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: mpKey + ".aborted", UploadId: mp2.UploadId }));
await expectError(client.send(new UploadPartCommand({ Bucket: bucket, Key: mpKey + ".aborted", UploadId: mp2.UploadId, PartNumber: 1, Body: "x" })),
  "NoSuchUpload", 404, "UploadPart after AbortMultipartUpload is NoSuchUpload");

// presigned GET and PUT through fetch
const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 600, signingDate: now() });
let res = await fetch(getUrl);
eq(res.status, 200, "presigned GET answers 200");
eq(await res.text(), text, "presigned GET returns the body");
const putKey = prefix + "presigned upload.txt";
const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: putKey }), { expiresIn: 600, signingDate: now() });
res = await fetch(putUrl, { method: "PUT", body: "uploaded with a presigned URL" });
eq(res.status, 200, "presigned PUT answers 200");
const back = await client.send(new GetObjectCommand({ Bucket: bucket, Key: putKey }));
eq(await back.Body.transformToString(), "uploaded with a presigned URL", "presigned PUT stored the body");

// an expired presigned URL: minted two hours ago for one hour
const oldUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 3600, signingDate: new Date(serverNow - 2 * 3600_000) });
res = await fetch(oldUrl);
let body = await res.text();
eq(res.status, 403, "expired presigned URL answers 403");
eq(xmlCode(body), "ExpiredRequest", "expired presigned URL is ExpiredRequest");
check(body.includes("<Message>Request has expired</Message>"), "ExpiredRequest message", body);

// a tampered presigned URL: another key under the same signature
const tampered = getUrl.replace(encodeURIComponent("cv (final)").replace(/[()]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()), "cv%20%28other%29");
check(tampered !== getUrl, "tampering changed the URL", tampered);
res = await fetch(tampered);
body = await res.text();
eq(res.status, 403, "tampered presigned URL answers 403");
eq(xmlCode(body), "SignatureDoesNotMatch", "tampered presigned URL is SignatureDoesNotMatch");
check(body.includes("<CanonicalRequest>GET\n"), "SignatureDoesNotMatch shows the canonical request", body);
// and a tampered signature
res = await fetch(getUrl.replace(/X-Amz-Signature=([0-9a-f])/, (m, c) => "X-Amz-Signature=" + (c === "0" ? "1" : "0")));
eq(xmlCode(await res.text()), "SignatureDoesNotMatch", "a changed signature is SignatureDoesNotMatch");

// wrong credentials, unknown bucket
const wrong = new S3Client({ endpoint, region: "auto", forcePathStyle: true, systemClockOffset: offset, maxAttempts: 1,
  credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: "not-the-secret" } });
await expectError(wrong.send(new GetObjectCommand({ Bucket: bucket, Key: key })), "SignatureDoesNotMatch", 403, "a wrong secret is SignatureDoesNotMatch");
const stranger = new S3Client({ endpoint, region: "auto", forcePathStyle: true, systemClockOffset: offset, maxAttempts: 1,
  credentials: { accessKeyId: "nobody", secretAccessKey: "x" } });
await expectError(stranger.send(new GetObjectCommand({ Bucket: bucket, Key: key })), "Unauthorized", 401, "an unknown access key is 401 Unauthorized");
await expectError(client.send(new GetObjectCommand({ Bucket: "no-such-bucket", Key: "k" })), "NoSuchBucket", 404, "an unknown bucket is NoSuchBucket");

// delete
await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
await expectError(client.send(new GetObjectCommand({ Bucket: bucket, Key: key })), "NoSuchKey", 404, "GetObject after DeleteObject is NoSuchKey");
const rest = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
const del = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: rest.Contents.map((o) => ({ Key: o.Key })) } }));
eq(del.Deleted.length, rest.Contents.length, "DeleteObjects deletes the rest");
const empty = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
eq(empty.KeyCount, 0, "nothing is left under the prefix");

console.log(`s3.mjs: ${checks} checks passed against ${endpoint} (bucket ${bucket})`);
