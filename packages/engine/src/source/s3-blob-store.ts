import { PassThrough, Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client, type S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobMissingError, checkSha, mapBounded, missingOf, type BlobStore } from './blob-store.js';

/** Where the blobs live: `s3://<bucket>/<prefix>` (HANGAR_BLOB_URL), parsed by the engine config. */
export interface S3BlobLocation {
  readonly bucket: string;
  /** "" or a key prefix ending in "/". */
  readonly prefix: string;
}

export interface S3BlobStoreOptions extends S3BlobLocation {
  /** A client built with the engine's own identity (never a provider's credentials). */
  readonly client: S3Client;
  /**
   * "blobs" (default): keys are the SHA-256 of the content, which S3 is asked to verify.
   * "packages": built code packages, keyed by manifest id (`<prefix>packages/<id>.zip`).
   */
  readonly namespace?: 'blobs' | 'packages';
  /** HeadObject calls in flight for one `missing`; default 16. */
  readonly parallelChecks?: number;
  /** Bodies larger than this (or streams) go up as a multipart upload in parts of this size; default 8 MiB. */
  readonly partBytes?: number;
}

/** Narrowed by name and status, not by class: another copy of the SDK in node_modules throws its own classes. */
const notFound = (e: unknown): boolean => {
  const x = e as Partial<Pick<S3ServiceException, 'name' | '$metadata'>> | undefined;
  return x?.name === 'NoSuchKey' || x?.name === 'NotFound' || (x?.$metadata !== undefined && x.$metadata.httpStatusCode === 404 && x.name !== 'NoSuchBucket');
};

/**
 * Blobs as objects `<prefix>blobs/<sha256>` in one bucket, shared by every engine that points at it
 * (or, namespace "packages", built code packages as `<prefix>packages/<manifest id>.zip`).
 *
 * - Atomic by S3's own rules: a PutObject, or a multipart upload, becomes visible only once it is
 *   complete, so no engine ever reads half a blob. A single-part put carries the blob's SHA-256 as
 *   `x-amz-checksum-sha256`, so S3 itself refuses bytes that do not match the key.
 * - `missing` sends HeadObject calls, `parallelChecks` at a time. ListObjectsV2 would answer 1,000
 *   keys a call, but it walks the whole prefix — every blob of every org — so its cost grows with
 *   the bucket, not with the question; HEADs cost one small request per blob asked about, whatever
 *   the bucket holds, and the bound keeps one large manifest from taking every socket.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { client, bucket, prefix } = options;
  const partBytes = Math.max(5 * 1024 * 1024, options.partBytes ?? 8 * 1024 * 1024);
  const contentAddressed = (options.namespace ?? 'blobs') === 'blobs';
  const keyOf = (sha: string): string => (contentAddressed ? `${prefix}blobs/${checkSha(sha)}` : `${prefix}packages/${checkSha(sha)}.zip`);
  const where = (sha: string): string => `s3://${bucket}/${keyOf(sha)}`;
  const toMissing = (sha: string, e: unknown): unknown => (notFound(e) ? new BlobMissingError(sha, where(sha)) : e);

  const store: BlobStore = {
    async delete(sha) {
      // S3 answers 204 for a key that is not there as well.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(sha) }));
    },
    async has(sha) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(sha) }));
        return true;
      } catch (e) {
        if (notFound(e)) return false;
        throw e;
      }
    },
    missing: (hashes) => missingOf(store, hashes, options.parallelChecks ?? 16),
    async putMany(blobs) {
      await mapBounded(blobs, 8, (b) => store.put(b.sha256, b.bytes)); // as many writes in flight as the filesystem store had
    },
    async put(sha, body) {
      const Key = keyOf(sha);
      if (body instanceof Uint8Array && body.byteLength <= partBytes) {
        const checksum = contentAddressed ? { ChecksumSHA256: Buffer.from(sha, 'hex').toString('base64') } : {};
        await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentLength: body.byteLength, ContentType: 'application/octet-stream', ...checksum }));
        return;
      }
      // Streamed: parts of partBytes go up as they are read; S3 shows the object only on completion,
      // and an upload that fails is aborted (leavePartsOnError false), so no parts linger.
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key, Body: body, ContentType: 'application/octet-stream' },
        partSize: partBytes,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
    },
    async get(sha) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(sha) }));
        if (!r.Body) throw new Error(`S3 returned no body for ${where(sha)}`);
        return await r.Body.transformToByteArray();
      } catch (e) {
        throw toMissing(sha, e);
      }
    },
    stream(sha) {
      const out = new PassThrough();
      client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(sha) })).then(
        (r) => {
          const body = r.Body;
          if (!(body instanceof Readable)) {
            out.destroy(new Error(`S3 returned no stream for ${where(sha)}`));
            return;
          }
          body.on('error', (e) => out.destroy(e));
          out.on('close', () => body.destroy());
          body.pipe(out);
        },
        (e: unknown) => out.destroy(toMissing(sha, e) as Error),
      );
      return out;
    },
  };
  return store;
}

/** `s3://bucket/some/prefix` → bucket and "some/prefix/"; undefined when it is not such a URL. */
export function parseS3BlobUrl(url: string): S3BlobLocation | undefined {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) return undefined;
  const bucket = m[1]!;
  // The bucket naming rules (general purpose buckets): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) return undefined;
  const raw = (m[2] ?? '').replace(/\/+$/, '');
  if (raw.split('/').some((s) => s === '' || s === '.' || s === '..') && raw !== '') return undefined;
  return { bucket, prefix: raw === '' ? '' : `${raw}/` };
}
