/** PutObject, GetObject/HeadObject, DeleteObject, DeleteObjects, CopyObject, ListObjects(V2). */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readSmallBody, receiveBody } from './body.js';
import { CHECKSUM_ALGORITHMS, headerOf, newHasher, type ChecksumAlgorithm } from './checksums.js';
import { canonicalId } from './buckets.js';
import { tagsFromHeader } from './config.js';
import { expirationOf } from './lifecycle.js';
import { S3Error, noSuchBucket, noSuchKey } from './errors.js';
import type { S3Ctx, S3Op } from './index.js';
import { refuseAcls, storedHeaders, userMetadata, validateKey } from './names.js';
import type { BucketMeta, ObjectMeta } from './store.js';
import { asList, doc, el, isoMs, malformed, parseXml } from './xml.js';

const unquote = (e: string): string => e.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

function etagListMatches(list: string, etag: string): boolean {
  return list.split(',').some((e) => e.trim() === '*' || unquote(e) === unquote(etag));
}

/** HTTP dates compare at second precision. */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Evaluates If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), as S3 orders them. */
export function conditionResult(headers: Readonly<Record<string, string>>, meta: ObjectMeta, prefix = ''): 'ok' | { status: 304 | 412; condition: string } {
  const ifMatch = headers[`${prefix}if-match`];
  const ifNoneMatch = headers[`${prefix}if-none-match`];
  const ifModifiedSince = headers[`${prefix}if-modified-since`];
  const ifUnmodifiedSince = headers[`${prefix}if-unmodified-since`];
  const lm = seconds(meta.lastModified);
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, meta.etag)) return { status: 412, condition: 'If-Match' };
  } else if (ifUnmodifiedSince !== undefined) {
    const d = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(d) && lm > seconds(d)) return { status: 412, condition: 'If-Unmodified-Since' };
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, meta.etag)) return { status: 304, condition: 'If-None-Match' };
  } else if (ifModifiedSince !== undefined) {
    const d = Date.parse(ifModifiedSince);
    if (!Number.isNaN(d) && lm <= seconds(d)) return { status: 304, condition: 'If-Modified-Since' };
  }
  return 'ok';
}

const preconditionFailed = (condition: string): S3Error => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition });

function objectOf(b: BucketMeta, key: string): ObjectMeta | undefined {
  return Object.hasOwn(b.objects, key) ? b.objects[key] : undefined;
}

/** Replaces (or creates) `key` with the file at `temp`; the old file is removed. */
export async function commitObject(ctx: S3Ctx, b: BucketMeta, key: string, temp: string, meta: Omit<ObjectMeta, 'file'>): Promise<ObjectMeta> {
  const file = ctx.files.newObjectFile();
  await rename(temp, ctx.files.objectPath(file));
  const old = objectOf(b, key);
  const stored: ObjectMeta = { ...meta, file };
  b.objects[key] = stored;
  ctx.changed();
  if (old) await ctx.files.remove(ctx.files.objectPath(old.file));
  return stored;
}

function checksumHeaders(meta: { checksum?: { algorithm: ChecksumAlgorithm; value: string; type?: string } }): Record<string, string> {
  if (!meta.checksum) return {};
  return { [headerOf(meta.checksum.algorithm)]: meta.checksum.value, 'x-amz-checksum-type': meta.checksum.type ?? 'FULL_OBJECT' };
}

/** The checksum algorithm a copy or multipart request asks for (`x-amz-checksum-algorithm`). */
export function requestedAlgorithm(headers: Readonly<Record<string, string>>): ChecksumAlgorithm | undefined {
  const a = headers['x-amz-checksum-algorithm']?.toUpperCase();
  if (a === undefined) return undefined;
  if (!CHECKSUM_ALGORITHMS.includes(a as ChecksumAlgorithm)) throw new S3Error('InvalidRequest', `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]`, 400);
  return a as ChecksumAlgorithm;
}

const putObject: S3Op = async (ctx) => {
  const { req, key } = ctx;
  const b = ctx.requireBucket();
  validateKey(key);
  ctx.authorize('s3:PutObject', `${ctx.bucket}/${key}`, b);
  const metadata = userMetadata(req.headers);
  const tags = tagsFromHeader(req.headers['x-amz-tagging']);
  refuseAcls(req.headers);
  // Conditional writes: If-None-Match: * (create only) and If-Match (replace that version only).
  const existing = objectOf(b, key);
  if (req.headers['if-none-match'] !== undefined) {
    if (req.headers['if-none-match'].trim() !== '*') throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, { Header: 'If-None-Match' });
    if (existing) throw preconditionFailed('If-None-Match');
  }
  if (req.headers['if-match'] !== undefined) {
    if (!existing) throw noSuchKey(key);
    if (!etagListMatches(req.headers['if-match'], existing.etag)) throw preconditionFailed('If-Match');
  }
  const temp = ctx.files.tempPath();
  const got = await receiveBody(ctx.stream, req.headers, temp, req.chunkSigning);
  const meta = await commitObject(ctx, b, key, temp, {
    size: got.size, etag: `"${got.md5}"`, lastModified: ctx.now(), headers: storedHeaders(req.headers), metadata,
    checksum: got.checksum ? { ...got.checksum, type: 'FULL_OBJECT' } : undefined, tags,
  });
  return { status: 200, headers: { etag: meta.etag, ...checksumHeaders(meta) } };
};

/** Range header -> [start, end] inclusive; undefined when absent or not a single valid byte range (ignored, as S3 does). */
function parseRange(range: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (range === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (m[2] !== '' && end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return [start, Math.min(end, size - 1)];
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type', 'response-content-language': 'content-language', 'response-expires': 'expires',
  'response-cache-control': 'cache-control', 'response-content-disposition': 'content-disposition', 'response-content-encoding': 'content-encoding',
};

function objectHeaders(meta: ObjectMeta): Record<string, string> {
  const h: Record<string, string> = {
    ...meta.headers, etag: meta.etag, 'last-modified': new Date(meta.lastModified).toUTCString(), 'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(meta.metadata)) h[`x-amz-meta-${k}`] = v;
  const tagCount = Object.keys(meta.tags ?? {}).length;
  if (tagCount > 0) h['x-amz-tagging-count'] = String(tagCount);
  return h;
}

const getObject: S3Op = async (ctx) => {
  const { req, key } = ctx;
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetObject', `${ctx.bucket}/${key}`, b);
  const meta = objectOf(b, key);
  if (!meta) {
    // Without s3:ListBucket a missing key is indistinguishable from a forbidden one.
    if (!ctx.allowed('s3:ListBucket', ctx.bucket, b)) throw new S3Error('AccessDenied', 'Access Denied', 403);
    throw noSuchKey(key);
  }
  const cond = conditionResult(req.headers, meta);
  if (cond !== 'ok') {
    if (cond.status === 412) throw preconditionFailed(cond.condition);
    return { status: 304, headers: { etag: meta.etag, 'last-modified': new Date(meta.lastModified).toUTCString() } };
  }
  const headers = objectHeaders(meta);
  if (ctx.principal) {
    for (const [q, h] of Object.entries(RESPONSE_OVERRIDES)) if (req.query[q] !== undefined) headers[h] = req.query[q];
  }
  const range = parseRange(req.headers.range, meta.size);
  if (range === 'unsatisfiable') {
    throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: req.headers.range ?? '', ActualObjectSize: String(meta.size) }, { 'content-range': `bytes */${meta.size}` });
  }
  const expiration = expirationOf(b, key, meta);
  if (expiration) headers['x-amz-expiration'] = `expiry-date="${new Date(expiration.at).toUTCString()}", rule-id="${expiration.ruleId}"`;
  if (!range && req.headers['x-amz-checksum-mode']?.toUpperCase() === 'ENABLED') Object.assign(headers, checksumHeaders(meta));
  const [start, end] = range ?? [0, meta.size - 1];
  const length = meta.size === 0 ? 0 : end - start + 1;
  headers['content-length'] = String(length);
  if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
  const status = range ? 206 : 200;
  if (req.method === 'HEAD' || length === 0) return { status, headers, body: req.method === 'HEAD' ? undefined : Buffer.alloc(0) };
  // Opened now, so a concurrent overwrite (which unlinks the old file) cannot break this read.
  const fh = await open(ctx.files.objectPath(meta.file), 'r');
  return { status, headers, body: fh.createReadStream({ start, end }) };
};

const deleteObject: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:DeleteObject', `${ctx.bucket}/${ctx.key}`, b);
  const meta = objectOf(b, ctx.key);
  if (meta) {
    delete b.objects[ctx.key];
    ctx.changed();
    await ctx.files.remove(ctx.files.objectPath(meta.file));
  }
  return { status: 204 };
};

const deleteObjects: S3Op = async (ctx) => {
  const { req } = ctx;
  const b = ctx.requireBucket();
  const hasDigest = req.headers['content-md5'] !== undefined || Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-algorithm');
  if (!hasDigest) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5', 400);
  const body = await readSmallBody(ctx.stream, req.headers);
  const del = parseXml(body, 'Delete');
  const objects = asList(del.Object);
  if (objects.length === 0 || objects.length > 1000) throw malformed();
  const quiet = String(del.Quiet ?? 'false').toLowerCase() === 'true';
  let out = '';
  for (const o of objects) {
    const key = (o as Record<string, unknown>).Key;
    if (typeof key !== 'string') throw malformed();
    if (!ctx.allowed('s3:DeleteObject', `${ctx.bucket}/${key}`, b)) {
      out += `<Error>${el('Key', key)}${el('Code', 'AccessDenied')}${el('Message', 'Access Denied')}</Error>`;
      continue;
    }
    const meta = objectOf(b, key);
    if (meta) {
      delete b.objects[key];
      ctx.changed();
      await ctx.files.remove(ctx.files.objectPath(meta.file));
    }
    if (!quiet) out += `<Deleted>${el('Key', key)}</Deleted>`;
  }
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('DeleteResult', out) };
};

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded. */
export function copySource(ctx: S3Ctx): { bucket: BucketMeta; key: string; meta: ObjectMeta } {
  const raw = ctx.req.headers['x-amz-copy-source'] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.split('?')[0]!);
  } catch {
    decoded = raw;
  }
  const s = decoded.replace(/^\//, '');
  const i = s.indexOf('/');
  if (i <= 0 || i === s.length - 1) throw new S3Error('InvalidArgument', 'Invalid copy source object key', 400, { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw });
  const bucketName = s.slice(0, i);
  const key = s.slice(i + 1);
  const bucket = Object.hasOwn(ctx.state.buckets, bucketName) ? ctx.state.buckets[bucketName] : undefined;
  if (!bucket) throw noSuchBucket(bucketName);
  ctx.authorize('s3:GetObject', `${bucketName}/${key}`, bucket);
  const meta = objectOf(bucket, key);
  if (!meta) throw noSuchKey(key);
  const cond = conditionResult(ctx.req.headers, meta, 'x-amz-copy-source-');
  if (cond !== 'ok') throw preconditionFailed(`x-amz-copy-source-${cond.condition}`);
  return { bucket, key, meta };
}

/** Copies bytes [start, end] of an object file to a temp file, hashing MD5 (and a checksum) on the way. */
export async function copyBytes(ctx: S3Ctx, file: string, start: number, end: number, algorithm?: ChecksumAlgorithm): Promise<{ temp: string; md5: string; checksum?: string }> {
  const temp = ctx.files.tempPath();
  const md5 = createHash('md5');
  const sum = algorithm ? newHasher(algorithm) : undefined;
  const source: AsyncIterable<Buffer> = end < start ? Readable.from([]) : createReadStream(ctx.files.objectPath(file), { start, end });
  await pipeline(source, async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) {
      md5.update(c);
      sum?.update(c);
      yield c;
    }
  }, createWriteStream(temp));
  return { temp, md5: md5.digest('hex'), checksum: sum?.digest() };
}

const copyObject: S3Op = async (ctx) => {
  const { req, key } = ctx;
  const b = ctx.requireBucket();
  validateKey(key);
  const src = copySource(ctx);
  ctx.authorize('s3:PutObject', `${ctx.bucket}/${key}`, b);
  refuseAcls(req.headers);
  const directive = (req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive.', 400, { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  const algorithm = requestedAlgorithm(req.headers) ?? src.meta.checksum?.algorithm;
  if (src.bucket === b && src.key === key && directive === 'COPY' && algorithm === src.meta.checksum?.algorithm) {
    throw new S3Error('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.", 400);
  }
  const copied = await copyBytes(ctx, src.meta.file, 0, src.meta.size - 1, algorithm);
  const meta = await commitObject(ctx, b, key, copied.temp, {
    size: src.meta.size, etag: `"${copied.md5}"`, lastModified: ctx.now(),
    headers: directive === 'REPLACE' ? storedHeaders(req.headers) : { ...src.meta.headers },
    metadata: directive === 'REPLACE' ? userMetadata(req.headers) : { ...src.meta.metadata },
    checksum: algorithm && copied.checksum ? { algorithm, value: copied.checksum, type: 'FULL_OBJECT' } : undefined,
    tags: (req.headers['x-amz-tagging-directive'] ?? 'COPY').toUpperCase() === 'REPLACE' ? tagsFromHeader(req.headers['x-amz-tagging']) : src.meta.tags,
  });
  const checksumEl = meta.checksum ? el(`Checksum${meta.checksum.algorithm}`, meta.checksum.value) + el('ChecksumType', 'FULL_OBJECT') : '';
  return {
    status: 200, headers: { 'content-type': 'application/xml' },
    body: doc('CopyObjectResult', `${el('ETag', meta.etag)}${el('LastModified', isoMs(meta.lastModified))}${checksumEl}`),
  };
};

interface Token { k: string; cp?: boolean }

function encodeToken(t: Token): string {
  return Buffer.from(JSON.stringify(t)).toString('base64');
}

function decodeToken(s: string): Token {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64').toString('utf8')) as Token;
    if (typeof t.k === 'string') return t;
  } catch {
    // fall through
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token' });
}

/** Keys (and common prefixes) after `after`, in UTF-8 binary order, at most `max`. */
function listPage(b: BucketMeta, prefix: string, delimiter: string, after: Token | undefined, max: number): { items: ({ key: string; meta: ObjectMeta } | { cp: string })[]; truncated: boolean } {
  const keys = Object.keys(b.objects).filter((k) => k.startsWith(prefix)).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  const items: ({ key: string; meta: ObjectMeta } | { cp: string })[] = [];
  let lastCp: string | undefined;
  for (const key of keys) {
    if (after && (Buffer.compare(Buffer.from(key), Buffer.from(after.k)) <= 0 || (after.cp && key.startsWith(after.k)))) continue;
    let cp: string | undefined;
    if (delimiter) {
      const i = key.indexOf(delimiter, prefix.length);
      if (i >= 0) cp = key.slice(0, i + delimiter.length);
    }
    if (cp !== undefined && cp === lastCp) continue;
    if (items.length >= max) return { items, truncated: true };
    if (cp !== undefined) {
      lastCp = cp;
      items.push({ cp });
    } else {
      items.push({ key, meta: b.objects[key]! });
    }
  }
  return { items, truncated: false };
}

const listObjects: S3Op = async (ctx) => {
  const q = ctx.req.query;
  const b = ctx.requireBucket();
  const prefix = q.prefix ?? '';
  const delimiter = q.delimiter ?? '';
  ctx.authorize('s3:ListBucket', ctx.bucket, b);
  const maxKeys = q['max-keys'] === undefined ? 1000 : Number(q['max-keys']);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400, { ArgumentName: 'max-keys', ArgumentValue: q['max-keys'] ?? '' });
  const max = Math.min(maxKeys, 1000);
  const urlEncode = q['encoding-type'] === 'url';
  if (q['encoding-type'] !== undefined && !urlEncode) throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, { ArgumentName: 'encoding-type' });
  const enc = (s: string): string => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  const v2 = q['list-type'] === '2';
  let after: Token | undefined;
  if (v2) {
    if (q['continuation-token'] !== undefined) after = decodeToken(q['continuation-token']);
    else if (q['start-after']) after = { k: q['start-after'] };
  } else if (q.marker) {
    after = { k: q.marker, cp: delimiter !== '' && q.marker.endsWith(delimiter) };
  }
  const page = listPage(b, prefix, delimiter, after, max);
  let contents = '';
  let prefixes = '';
  for (const it of page.items) {
    if ('cp' in it) prefixes += `<CommonPrefixes>${el('Prefix', enc(it.cp))}</CommonPrefixes>`;
    else {
      const m = it.meta;
      const sum = m.checksum ? `${el('ChecksumAlgorithm', m.checksum.algorithm)}${el('ChecksumType', m.checksum.type)}` : '';
      contents += `<Contents>${el('Key', enc(it.key))}${el('LastModified', isoMs(m.lastModified))}${el('ETag', m.etag)}${sum}${el('Size', m.size)}${el('StorageClass', 'STANDARD')}</Contents>`;
    }
  }
  const last = page.items[page.items.length - 1];
  const lastToken: Token | undefined = last === undefined ? undefined : 'cp' in last ? { k: last.cp, cp: true } : { k: last.key };
  if (v2 && q['fetch-owner'] === 'true') contents = contents.replace(/<StorageClass>STANDARD<\/StorageClass><\/Contents>/g, `<StorageClass>STANDARD</StorageClass><Owner>${el('ID', canonicalId(b.owner))}</Owner></Contents>`);
  let head = `${el('Name', ctx.bucket)}${el('Prefix', enc(prefix))}${delimiter ? el('Delimiter', enc(delimiter)) : ''}${el('MaxKeys', max)}`;
  if (urlEncode) head += el('EncodingType', 'url');
  head += el('IsTruncated', page.truncated);
  if (v2) {
    head += el('KeyCount', page.items.length);
    if (q['continuation-token'] !== undefined) head += el('ContinuationToken', q['continuation-token']);
    if (page.truncated && lastToken) head += el('NextContinuationToken', encodeToken(lastToken));
    if (q['start-after']) head += el('StartAfter', enc(q['start-after']));
  } else {
    head += el('Marker', q.marker ?? '');
    if (page.truncated && delimiter && lastToken) head += el('NextMarker', enc(lastToken.k));
  }
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('ListBucketResult', head + contents + prefixes) };
};

export const objectOps = { putObject, getObject, deleteObject, deleteObjects, copyObject, listObjects };
