/**
 * Request bodies streamed to a file, never held whole: `aws-chunked` framing decoded (with its
 * trailing checksum), and Content-MD5, `x-amz-content-sha256` and `x-amz-checksum-*` verified
 * against what arrived. A failed upload leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { S3Error } from './errors.js';
import type { ChunkSigning } from '../internal/contract.js';
import { algorithmOfHeader, newHasher, type ChecksumAlgorithm } from './checksums.js';

export interface Received {
  readonly size: number;
  /** Hex MD5 of the decoded body. */
  readonly md5: string;
  /** The checksum the client sent (header or trailer), verified. */
  readonly checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

const STREAMING = /^STREAMING-/;

const badSignature = (): S3Error => new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);

/**
 * Decodes aws-chunked framing: `<hex>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n`.
 * With `signing`, every chunk's signature (chained from the seed) and the trailer's are checked.
 */
async function* decodeChunked(source: AsyncIterable<Buffer>, trailers: Record<string, string>, signing?: ChunkSigning): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let remaining = -1; // bytes of chunk data still to come; -1 while reading a chunk header
  let state = 'header' as 'header' | 'data' | 'crlf' | 'trailer' | 'done';
  const bad = (): S3Error => new S3Error('IncompleteBody', 'The request body is not valid aws-chunked encoding.', 400);
  let previous = signing?.seed ?? '';
  let chunkSig = '';
  let chunkHash = createHash('sha256');
  const trailerLines: string[] = [];
  let trailerSig: string | undefined;
  const endChunk = (): void => {
    if (!signing) return;
    if (signing.chunk(previous, chunkHash.digest('hex')) !== chunkSig) throw badSignature();
    previous = chunkSig;
    chunkHash = createHash('sha256');
  };
  for await (const chunk of source) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (state === 'header' || state === 'trailer') {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) {
          if (buf.length > 64 * 1024) throw bad();
          break;
        }
        const line = buf.subarray(0, nl).toString('latin1');
        buf = buf.subarray(nl + 2);
        if (state === 'header') {
          const [hex, ...ext] = line.split(';');
          const size = parseInt(hex!, 16);
          if (!Number.isFinite(size) || size < 0) throw bad();
          chunkSig = ext.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length) ?? '';
          if (signing && !chunkSig) throw badSignature();
          if (size === 0) {
            endChunk();
            state = 'trailer';
          } else {
            remaining = size;
            state = 'data';
          }
        } else if (line === '') {
          if (signing && trailerLines.length > 0) {
            const hash = createHash('sha256').update(trailerLines.map((l) => `${l}\n`).join('')).digest('hex');
            if (trailerSig === undefined || signing.trailer(previous, hash) !== trailerSig) throw badSignature();
          }
          state = 'done';
        } else {
          const i = line.indexOf(':');
          if (i > 0) {
            const name = line.slice(0, i).trim().toLowerCase();
            const value = line.slice(i + 1).trim();
            if (name === 'x-amz-trailer-signature') trailerSig = value;
            else {
              trailers[name] = value;
              trailerLines.push(`${name}:${value}`);
            }
          }
        }
      } else if (state === 'data') {
        if (buf.length === 0) break;
        const take = Math.min(remaining, buf.length);
        const part = buf.subarray(0, take);
        buf = buf.subarray(take);
        remaining -= take;
        if (signing) chunkHash.update(part);
        if (remaining === 0) {
          endChunk();
          state = 'crlf';
        }
        yield part;
      } else if (state === 'crlf') {
        if (buf.length < 2) break;
        if (buf[0] !== 13 || buf[1] !== 10) throw bad();
        buf = buf.subarray(2);
        state = 'header';
      } else {
        buf = Buffer.alloc(0);
        break;
      }
    }
  }
  // Without trailers the last CRLF may be all there is after the zero chunk.
  if ((state as string) !== 'done' && (state as string) !== 'trailer') throw bad();
}

/**
 * Streams `stream` (the raw request) into `file`, verifying every digest the client declared.
 * Throws S3Error (BadDigest, XAmzContentSHA256Mismatch, IncompleteBody, InvalidDigest,
 * MissingContentLength, InvalidRequest) and removes the file when anything is wrong.
 */
export async function receiveBody(stream: NodeJS.ReadableStream, headers: Readonly<Record<string, string>>, file: string, chunkSigning?: ChunkSigning): Promise<Received> {
  const payloadHash = headers['x-amz-content-sha256'];
  const signedChunks = payloadHash?.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD') === true;
  // Anonymous or presigned requests cannot sign chunks.
  if (signedChunks && !chunkSigning) throw new S3Error('InvalidRequest', 'Signed chunks need a request signed with the Authorization header.', 400);
  const encodings = (headers['content-encoding'] ?? '').split(',').map((e) => e.trim().toLowerCase());
  const chunked = encodings.includes('aws-chunked') || (payloadHash !== undefined && STREAMING.test(payloadHash));
  const declared = chunked ? headers['x-amz-decoded-content-length'] : headers['content-length'];
  if (declared === undefined) throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
  const expectedSize = Number(declared);
  if (!Number.isSafeInteger(expectedSize) || expectedSize < 0) throw new S3Error('InvalidArgument', 'The Content-Length is not a valid number.', 400);
  if (expectedSize > 5 * 1024 ** 3) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);

  const contentMd5 = headers['content-md5'];
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) {
    throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400);
  }
  // The checksum named by a header, or announced in x-amz-trailer and sent after the body.
  let algorithm: ChecksumAlgorithm | undefined;
  let headerValue: string | undefined;
  for (const [k, v] of Object.entries(headers)) {
    const a = algorithmOfHeader(k);
    if (a) {
      algorithm = a;
      headerValue = v;
    }
  }
  const trailerName = headers['x-amz-trailer']?.trim().toLowerCase();
  if (!algorithm && trailerName) {
    algorithm = algorithmOfHeader(trailerName);
    if (!algorithm) throw new S3Error('InvalidRequest', `The value specified in the x-amz-trailer header is not supported: ${trailerName}`, 400);
  }
  const sdkAlgorithm = headers['x-amz-sdk-checksum-algorithm']?.toUpperCase();
  if (!algorithm && sdkAlgorithm) throw new S3Error('InvalidRequest', `x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.`, 400);

  const md5 = createHash('md5');
  const sha256 = payloadHash && /^[0-9a-f]{64}$/.test(payloadHash) ? createHash('sha256') : undefined;
  const checksum = algorithm ? newHasher(algorithm) : undefined;
  const trailers: Record<string, string> = {};
  let size = 0;
  // sha256 over the raw wire bytes (it signs what was sent); the others over the decoded object.
  const raw = sha256 ? (async function* () {
    for await (const c of stream as AsyncIterable<Buffer>) {
      sha256.update(c);
      yield c;
    }
  })() : undefined;
  const decoded = chunked ? decodeChunked(raw ?? (stream as AsyncIterable<Buffer>), trailers, signedChunks ? chunkSigning : undefined) : (raw ?? (stream as AsyncIterable<Buffer>));
  try {
    await pipeline(decoded, async function* (src: AsyncIterable<Buffer>) {
      for await (const c of src) {
        size += c.length;
        if (size > expectedSize) throw new S3Error('IncompleteBody', 'The request body is longer than the declared Content-Length.', 400);
        md5.update(c);
        checksum?.update(c);
        yield c;
      }
    }, createWriteStream(file));
    if (size !== expectedSize) throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
    if (sha256 && sha256.digest('hex') !== payloadHash) {
      throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400);
    }
    const md5Buf = md5.digest();
    if (contentMd5 !== undefined && md5Buf.toString('base64') !== contentMd5) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
    }
    let verified: Received['checksum'];
    if (algorithm && checksum) {
      const sent = headerValue ?? trailers[`x-amz-checksum-${algorithm.toLowerCase()}`];
      if (sent === undefined) throw new S3Error('InvalidRequest', `The ${algorithm} checksum announced in x-amz-trailer was not sent.`, 400);
      const computed = checksum.digest();
      if (sent !== computed) throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, 400);
      verified = { algorithm, value: computed };
    }
    return { size, md5: md5Buf.toString('hex'), checksum: verified };
  } catch (e) {
    await rm(file, { force: true });
    throw e;
  }
}

/** Reads a small XML request body (DeleteObjects, CompleteMultipartUpload, CreateBucket), its digests checked. */
export async function readSmallBody(stream: NodeJS.ReadableStream, headers: Readonly<Record<string, string>>, limit = 2 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new S3Error('MaxMessageLengthExceeded', 'Your request was too big.', 400);
    chunks.push(c);
  }
  const body = Buffer.concat(chunks);
  const payloadHash = headers['x-amz-content-sha256'];
  if (payloadHash && /^[0-9a-f]{64}$/.test(payloadHash) && createHash('sha256').update(body).digest('hex') !== payloadHash) {
    throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400);
  }
  const contentMd5 = headers['content-md5'];
  if (contentMd5 !== undefined && createHash('md5').update(body).digest('base64') !== contentMd5) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  }
  for (const [k, v] of Object.entries(headers)) {
    const a = algorithmOfHeader(k);
    if (a) {
      const h = newHasher(a);
      h.update(body);
      if (h.digest() !== v) throw new S3Error('BadDigest', `The ${a} you specified did not match the calculated checksum.`, 400);
    }
  }
  return body;
}
