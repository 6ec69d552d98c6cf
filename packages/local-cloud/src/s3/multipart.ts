/**
 * Multipart uploads: Create, UploadPart, UploadPartCopy, Complete (ETag `<md5 of the parts' md5s>-N`),
 * Abort, ListParts, ListMultipartUploads. Parts are files; Complete concatenates them by streaming.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { readSmallBody, receiveBody } from './body.js';
import { headerOf, newHasher } from './checksums.js';
import { tagsFromHeader } from './config.js';
import { S3Error, noSuchUpload } from './errors.js';
import type { S3Ctx, S3Op } from './index.js';
import { refuseAcls, storedHeaders, userMetadata, validateKey } from './names.js';
import { commitObject, copyBytes, copySource, requestedAlgorithm } from './objects.js';
import { newUploadId, type BucketMeta, type UploadMeta } from './store.js';
import { asList, doc, el, isoMs, malformed, parseXml } from './xml.js';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

function uploadOf(ctx: S3Ctx, b: BucketMeta): UploadMeta {
  const id = ctx.req.query.uploadId ?? '';
  const u = Object.hasOwn(b.uploads, id) ? b.uploads[id] : undefined;
  if (!u || u.key !== ctx.key) throw noSuchUpload(id);
  return u;
}

function partNumberOf(ctx: S3Ctx): number {
  const raw = ctx.req.query.partNumber ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PARTS) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400, { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

const initiator = (ctx: S3Ctx): string => ctx.principal?.arn ?? 'anonymous';

const createMultipartUpload: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  validateKey(ctx.key);
  ctx.authorize('s3:PutObject', `${ctx.bucket}/${ctx.key}`, b);
  const algorithm = requestedAlgorithm(ctx.req.headers);
  refuseAcls(ctx.req.headers);
  const uploadId = newUploadId();
  b.uploads[uploadId] = {
    uploadId, key: ctx.key, initiated: ctx.now(), initiator: initiator(ctx), headers: storedHeaders(ctx.req.headers),
    metadata: userMetadata(ctx.req.headers), checksumAlgorithm: algorithm, parts: {}, tags: tagsFromHeader(ctx.req.headers['x-amz-tagging']),
  };
  await mkdir(ctx.files.uploadDir(uploadId), { recursive: true });
  ctx.changed();
  const headers: Record<string, string> = { 'content-type': 'application/xml' };
  if (algorithm) {
    headers['x-amz-checksum-algorithm'] = algorithm;
    headers['x-amz-checksum-type'] = 'COMPOSITE';
  }
  return { status: 200, headers, body: doc('InitiateMultipartUploadResult', `${el('Bucket', ctx.bucket)}${el('Key', ctx.key)}${el('UploadId', uploadId)}`) };
};

async function storePart(ctx: S3Ctx, u: UploadMeta, n: number, temp: string, part: { size: number; md5: string; checksum?: { algorithm: import('./checksums.js').ChecksumAlgorithm; value: string } }): Promise<string> {
  const file = `${n}-${ctx.files.newObjectFile()}`;
  await rename(temp, ctx.files.partPath(u.uploadId, file));
  const old = u.parts[String(n)];
  const etag = `"${part.md5}"`;
  u.parts[String(n)] = { file, size: part.size, etag, lastModified: ctx.now(), checksum: part.checksum };
  ctx.changed();
  if (old) await ctx.files.remove(ctx.files.partPath(u.uploadId, old.file));
  return etag;
}

const uploadPart: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const n = partNumberOf(ctx);
  ctx.authorize('s3:PutObject', `${ctx.bucket}/${ctx.key}`, b);
  const u = uploadOf(ctx, b);
  const temp = ctx.files.tempPath();
  const got = await receiveBody(ctx.stream, ctx.req.headers, temp, ctx.req.chunkSigning);
  if (got.size > 5 * 1024 ** 3) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
  // The upload may have been aborted or completed while the body streamed in.
  if (b.uploads[u.uploadId] !== u) {
    await ctx.files.remove(temp);
    throw noSuchUpload(u.uploadId);
  }
  const etag = await storePart(ctx, u, n, temp, got);
  const headers: Record<string, string> = { etag };
  if (got.checksum) headers[headerOf(got.checksum.algorithm)] = got.checksum.value;
  return { status: 200, headers };
};

const uploadPartCopy: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const n = partNumberOf(ctx);
  const src = copySource(ctx);
  ctx.authorize('s3:PutObject', `${ctx.bucket}/${ctx.key}`, b);
  const u = uploadOf(ctx, b);
  let start = 0;
  let end = src.meta.size - 1;
  const range = ctx.req.headers['x-amz-copy-source-range'];
  if (range !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= src.meta.size) {
      throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${src.meta.size}`, 400, { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: range });
    }
    start = Number(m[1]);
    end = Number(m[2]);
  }
  const copied = await copyBytes(ctx, src.meta.file, start, end, u.checksumAlgorithm);
  const checksum = u.checksumAlgorithm && copied.checksum ? { algorithm: u.checksumAlgorithm, value: copied.checksum } : undefined;
  const etag = await storePart(ctx, u, n, copied.temp, { size: end - start + 1, md5: copied.md5, checksum });
  const sum = checksum ? el(`Checksum${checksum.algorithm}`, checksum.value) : '';
  return {
    status: 200, headers: { 'content-type': 'application/xml' },
    body: doc('CopyPartResult', `${el('ETag', etag)}${el('LastModified', isoMs(ctx.now()))}${sum}`),
  };
};

const completeMultipartUpload: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:PutObject', `${ctx.bucket}/${ctx.key}`, b);
  const u = uploadOf(ctx, b);
  const body = await readSmallBody(ctx.stream, ctx.req.headers);
  const listed = asList(parseXml(body, 'CompleteMultipartUpload').Part).map((p) => {
    const r = p as Record<string, unknown>;
    const n = Number(r.PartNumber);
    if (!Number.isInteger(n) || typeof r.ETag !== 'string') throw malformed();
    return { n, etag: r.ETag, checksums: r };
  });
  if (listed.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.n <= listed[i - 1]!.n) throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400, { UploadId: u.uploadId });
  }
  const parts = listed.map((l, i) => {
    const p = u.parts[String(l.n)];
    const quoted = `"${l.etag.replace(/^"|"$/g, '')}"`;
    if (!p || p.etag !== quoted) {
      throw new S3Error('InvalidPart', "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", 400, { UploadId: u.uploadId, PartNumber: String(l.n), ETag: l.etag });
    }
    if (i < listed.length - 1 && p.size < MIN_PART_SIZE) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, { ProposedSize: String(p.size), MinSizeAllowed: String(MIN_PART_SIZE), PartNumber: String(l.n), ETag: p.etag });
    }
    if (u.checksumAlgorithm) {
      const sent = l.checksums[`Checksum${u.checksumAlgorithm}`];
      if (sent === undefined || !p.checksum) {
        throw new S3Error('InvalidRequest', `The upload was created using a ${u.checksumAlgorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${l.n} in the request.`, 400);
      }
      if (sent !== p.checksum.value) {
        throw new S3Error('InvalidPart', "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", 400, { UploadId: u.uploadId, PartNumber: String(l.n), ETag: l.etag });
      }
    }
    return p;
  });
  const temp = ctx.files.tempPath();
  const files = ctx.files;
  const uploadId = u.uploadId;
  await pipeline(async function* () {
    for (const p of parts) yield* createReadStream(files.partPath(uploadId, p.file));
  }, createWriteStream(temp));
  if (b.uploads[uploadId] !== u) {
    await ctx.files.remove(temp);
    throw noSuchUpload(uploadId);
  }
  const md5s = createHash('md5');
  for (const p of parts) md5s.update(Buffer.from(p.etag.replace(/"/g, ''), 'hex'));
  const etag = `"${md5s.digest('hex')}-${parts.length}"`;
  let checksum: { algorithm: import('./checksums.js').ChecksumAlgorithm; value: string; type: 'COMPOSITE' } | undefined;
  if (u.checksumAlgorithm) {
    const h = newHasher(u.checksumAlgorithm);
    for (const p of parts) h.update(Buffer.from(p.checksum!.value, 'base64'));
    checksum = { algorithm: u.checksumAlgorithm, value: `${h.digest()}-${parts.length}`, type: 'COMPOSITE' };
  }
  delete b.uploads[uploadId];
  await commitObject(ctx, b, ctx.key, temp, {
    size: parts.reduce((s, p) => s + p.size, 0), etag, lastModified: ctx.now(), headers: u.headers, metadata: u.metadata, checksum, parts: parts.length, tags: u.tags,
  });
  await ctx.files.remove(ctx.files.uploadDir(uploadId));
  const location = `${ctx.rt.endpoint()}/${ctx.bucket}/${ctx.key.split('/').map(encodeURIComponent).join('/')}`;
  const sum = checksum ? `${el(`Checksum${checksum.algorithm}`, checksum.value)}${el('ChecksumType', 'COMPOSITE')}` : '';
  return {
    status: 200, headers: { 'content-type': 'application/xml' },
    body: doc('CompleteMultipartUploadResult', `${el('Location', location)}${el('Bucket', ctx.bucket)}${el('Key', ctx.key)}${el('ETag', etag)}${sum}`),
  };
};

const abortMultipartUpload: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:AbortMultipartUpload', `${ctx.bucket}/${ctx.key}`, b);
  const u = uploadOf(ctx, b);
  delete b.uploads[u.uploadId];
  ctx.changed();
  await ctx.files.remove(ctx.files.uploadDir(u.uploadId));
  return { status: 204 };
};

function owner(arn: string): string {
  return `${el('ID', arn)}${el('DisplayName', arn.split('/').pop() ?? arn)}`;
}

function intParam(raw: string | undefined, name: string, def: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, 400, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(n, 1000);
}

const listParts: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:ListMultipartUploadParts', `${ctx.bucket}/${ctx.key}`, b);
  const u = uploadOf(ctx, b);
  const max = intParam(ctx.req.query['max-parts'], 'max-parts', 1000);
  const marker = intParam(ctx.req.query['part-number-marker'], 'part-number-marker', 0);
  const all = Object.entries(u.parts).map(([n, p]) => ({ n: Number(n), p })).filter((x) => x.n > marker).sort((x, y) => x.n - y.n);
  const page = all.slice(0, max);
  const truncated = all.length > page.length;
  const parts = page.map(({ n, p }) => `<Part>${el('PartNumber', n)}${el('LastModified', isoMs(p.lastModified))}${el('ETag', p.etag)}${el('Size', p.size)}${p.checksum ? el(`Checksum${p.checksum.algorithm}`, p.checksum.value) : ''}</Part>`).join('');
  const next = page.length ? page[page.length - 1]!.n : marker;
  const inner = `${el('Bucket', ctx.bucket)}${el('Key', ctx.key)}${el('UploadId', u.uploadId)}${el('PartNumberMarker', marker)}${el('NextPartNumberMarker', next)}${el('MaxParts', max)}${el('IsTruncated', truncated)}${parts}<Initiator>${owner(u.initiator)}</Initiator><Owner>${owner(u.initiator)}</Owner>${el('StorageClass', 'STANDARD')}${u.checksumAlgorithm ? el('ChecksumAlgorithm', u.checksumAlgorithm) : ''}`;
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('ListPartsResult', inner) };
};

const listMultipartUploads: S3Op = async (ctx) => {
  const q = ctx.req.query;
  const b = ctx.requireBucket();
  ctx.authorize('s3:ListBucketMultipartUploads', ctx.bucket, b);
  const prefix = q.prefix ?? '';
  const max = intParam(q['max-uploads'], 'max-uploads', 1000);
  const keyMarker = q['key-marker'] ?? '';
  const idMarker = q['upload-id-marker'] ?? '';
  const all = Object.values(b.uploads)
    .filter((u) => u.key.startsWith(prefix))
    .sort((x, y) => (x.key === y.key ? x.initiated - y.initiated || (x.uploadId < y.uploadId ? -1 : 1) : x.key < y.key ? -1 : 1))
    .filter((u) => !keyMarker || u.key > keyMarker || (u.key === keyMarker && idMarker !== '' && u.uploadId > idMarker));
  const page = all.slice(0, max);
  const truncated = all.length > page.length;
  const last = page[page.length - 1];
  const uploads = page.map((u) => `<Upload>${el('Key', u.key)}${el('UploadId', u.uploadId)}<Initiator>${owner(u.initiator)}</Initiator><Owner>${owner(u.initiator)}</Owner>${el('StorageClass', 'STANDARD')}${el('Initiated', isoMs(u.initiated))}${u.checksumAlgorithm ? el('ChecksumAlgorithm', u.checksumAlgorithm) : ''}</Upload>`).join('');
  const inner = `${el('Bucket', ctx.bucket)}${el('KeyMarker', keyMarker)}${el('UploadIdMarker', idMarker)}${el('NextKeyMarker', truncated ? last?.key : undefined)}${el('NextUploadIdMarker', truncated ? last?.uploadId : undefined)}${el('Prefix', prefix)}${el('MaxUploads', max)}${el('IsTruncated', truncated)}${uploads}`;
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('ListMultipartUploadsResult', inner) };
};

export const multipartOps = { createMultipartUpload, uploadPart, uploadPartCopy, completeMultipartUpload, abortMultipartUpload, listParts, listMultipartUploads };
