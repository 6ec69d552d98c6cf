/**
 * S3 (REST/XML). Path-style (`/<bucket>/<key>`), virtual-hosted (`<bucket>.s3.localhost:<port>`)
 * and the prefix `/_aws/s3/<bucket>/<key>` for tools that cannot set a Host. Bodies are streamed
 * to and from files; object metadata is the service snapshot. See README.md, "S3".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsError, type CloudRuntime, type Principal, type Service, type ServiceFactory, type ServiceRequest, type ServiceResponse } from '../internal/contract.js';
import { bucketOps } from './buckets.js';
import { lifecycleOps, sweep } from './lifecycle.js';
import { bucketPolicyDecision, configOps, corsHeaders, matchCors, preflight } from './config.js';
import { S3Error, accessDenied, noSuchBucket, noSuchKey, renderS3Error } from './errors.js';
import { multipartOps } from './multipart.js';
import { objectOps } from './objects.js';
import { createFiles, type BucketMeta, type Files, type S3State } from './store.js';
import { serveWebsite, websiteTarget } from './website.js';

export interface S3Ctx {
  readonly req: ServiceRequest;
  readonly stream: NodeJS.ReadableStream;
  readonly bucket: string;
  readonly key: string;
  readonly state: S3State;
  readonly files: Files;
  readonly principal: Principal | undefined;
  readonly rt: CloudRuntime;
  now(): number;
  changed(): void;
  /** The bucket, or NoSuchBucket. */
  requireBucket(): BucketMeta;
  /** Authorises `action` on `arn:aws:s3:::<resource>`; throws AccessDenied (403). */
  authorize(action: string, resource: string, bucket?: BucketMeta): void;
  /** Whether `authorize` would pass. */
  allowed(action: string, resource: string, bucket?: BucketMeta): boolean;
}

export type S3Op = (ctx: S3Ctx) => Promise<ServiceResponse>;

const VIRTUAL_HOST = /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.localhost$/;
export const PATH_PREFIX = '/_aws/s3';

/** Bucket and key from the Host (virtual-hosted) or the path (path-style, with or without the prefix). */
export function locate(host: string, path: string): { bucket: string; key: string } {
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const m = VIRTUAL_HOST.exec(hostname);
  if (m) return { bucket: m[1]!, key: path.slice(1) };
  let p = path;
  if (p === PATH_PREFIX || p.startsWith(`${PATH_PREFIX}/`)) p = p.slice(PATH_PREFIX.length) || '/';
  const rest = p.slice(1);
  const i = rest.indexOf('/');
  return i < 0 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, i), key: rest.slice(i + 1) };
}

// Sub-resources this local S3 does not implement: answered NotImplemented instead of misread.
const UNSUPPORTED = [
  'acl', 'accelerate', 'analytics', 'encryption', 'intelligent-tiering', 'inventory', 'legal-hold', 'logging',
  'metrics', 'notification', 'object-lock', 'ownershipControls', 'replication', 'requestPayment', 'restore', 'retention',
  'select', 'torrent', 'versioning', 'versions', 'attributes', 'policyStatus',
];

// Bucket sub-resources: [query key, PUT, GET, DELETE].
const BUCKET_CONFIG: [string, S3Op, S3Op, S3Op][] = [
  ['policy', configOps.putBucketPolicy, configOps.getBucketPolicy, configOps.deleteBucketPolicy],
  ['publicAccessBlock', configOps.putPublicAccessBlock, configOps.getPublicAccessBlock, configOps.deletePublicAccessBlock],
  ['tagging', configOps.putBucketTagging, configOps.getBucketTagging, configOps.deleteBucketTagging],
  ['cors', configOps.putBucketCors, configOps.getBucketCors, configOps.deleteBucketCors],
  ['website', configOps.putBucketWebsite, configOps.getBucketWebsite, configOps.deleteBucketWebsite],
  ['lifecycle', lifecycleOps.putLifecycle, lifecycleOps.getLifecycle, lifecycleOps.deleteLifecycle],
];

function route(req: ServiceRequest, bucket: string, key: string): S3Op {
  const q = req.query;
  const m = req.method;
  const has = (k: string): boolean => Object.hasOwn(q, k);
  const unsupported = UNSUPPORTED.find(has);
  if (unsupported) {
    return async () => { throw new S3Error('NotImplemented', `This local S3 does not implement the ${unsupported} sub-resource.`, 501); };
  }
  if (m === 'OPTIONS' && bucket) return preflight;
  if (bucket && !key) {
    const conf = BUCKET_CONFIG.find(([k]) => has(k));
    if (conf) {
      const op = m === 'PUT' ? conf[1] : m === 'GET' ? conf[2] : m === 'DELETE' ? conf[3] : undefined;
      if (op) return op;
    }
  }
  if (bucket && key && has('tagging')) {
    if (m === 'PUT') return configOps.putObjectTagging;
    if (m === 'GET') return configOps.getObjectTagging;
    if (m === 'DELETE') return configOps.deleteObjectTagging;
  }
  if (!bucket) {
    if (m === 'GET') return bucketOps.listBuckets;
  } else if (!key) {
    if (m === 'PUT') return bucketOps.createBucket;
    if (m === 'HEAD') return bucketOps.headBucket;
    if (m === 'DELETE') return bucketOps.deleteBucket;
    if (m === 'GET' && has('location')) return bucketOps.getBucketLocation;
    if (m === 'GET' && has('uploads')) return multipartOps.listMultipartUploads;
    if (m === 'GET') return objectOps.listObjects;
    if (m === 'POST' && has('delete')) return objectOps.deleteObjects;
  } else {
    const copy = req.headers['x-amz-copy-source'] !== undefined;
    if (m === 'PUT' && has('uploadId')) return copy ? multipartOps.uploadPartCopy : multipartOps.uploadPart;
    if (m === 'PUT') return copy ? objectOps.copyObject : objectOps.putObject;
    if (m === 'GET' && has('uploadId')) return multipartOps.listParts;
    if (m === 'GET' || m === 'HEAD') return objectOps.getObject;
    if (m === 'DELETE' && has('uploadId')) return multipartOps.abortMultipartUpload;
    if (m === 'DELETE') return objectOps.deleteObject;
    if (m === 'POST' && has('uploads')) return multipartOps.createMultipartUpload;
    if (m === 'POST' && has('uploadId')) return multipartOps.completeMultipartUpload;
  }
  return async () => { throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: m, ResourceType: key ? 'OBJECT' : 'BUCKET' }); };
}

/**
 * As S3 evaluates it: an explicit deny in the bucket policy wins; in the owner's account the
 * identity policies or the bucket policy may allow; another account needs both; anonymous
 * callers only the bucket policy. Throws AccessDenied (403).
 */
function authorizeS3(rt: CloudRuntime, principal: Principal | undefined, action: string, resource: string, b?: BucketMeta): void {
  const deniedFor = (why: string): S3Error => accessDenied(principal
    ? `User: ${principal.arn} is not authorized to perform: ${action} on resource: "arn:aws:s3:::${resource}" ${why}`
    : 'Access Denied');
  const fromBucket = bucketPolicyDecision(b, principal, action, resource, rt.now());
  if (fromBucket === 'deny') throw deniedFor('with an explicit deny in a resource-based policy');
  if (!principal) {
    if (fromBucket === 'allow') return;
    throw accessDenied();
  }
  let identityDenied: AwsError | undefined;
  try {
    rt.authorize(principal, action, `arn:aws:s3:::${resource}`);
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    identityDenied = e;
  }
  if (!b || b.owner === principal.accountId) {
    if (!identityDenied || fromBucket === 'allow') return;
    throw accessDenied(identityDenied.message);
  }
  if (fromBucket !== 'allow') throw deniedFor(`because no resource-based policy allows the ${action} action`);
  if (identityDenied) throw accessDenied(identityDenied.message);
}

/** What other services (Lambda's `Code.S3Bucket`) use to read an object as a caller would. */
export interface S3Api {
  /**
   * The file holding `bucket/key` and its size, after authorising `s3:GetObject` for `principal`
   * as S3 would. Throws S3's errors (NoSuchBucket, NoSuchKey, AccessDenied, NoSuchVersion,
   * PermanentRedirect) as S3Error.
   */
  objectFile(principal: Principal, region: string, bucket: string, key: string, versionId?: string): { path: string; size: number };
}

export function createS3(rt: CloudRuntime): Service {
  return createS3Parts(rt).service;
}

function createS3Parts(rt: CloudRuntime): { service: Service; api: S3Api } {
  const dataDir = rt.dataDir();
  const root = dataDir ? join(dataDir, 's3') : mkdtempSync(join(tmpdir(), 'hangar-s3-'));
  let files: Files = createFiles(root);
  let state: S3State = { buckets: {} };

  async function handle(req: ServiceRequest): Promise<ServiceResponse> {
    const stream = req.stream;
    if (!stream) throw new AwsError('InternalError', 'S3 needs the request stream.', 500);
    const { bucket, key } = locate(req.headers.host ?? '', req.path);
    const principal = req.principal;
    const authorize = (action: string, resource: string, b?: BucketMeta): void => authorizeS3(rt, principal, action, resource, b);
    const ctx: S3Ctx = {
      req, stream, bucket, key, state, files, principal, rt,
      now: () => rt.now().getTime(),
      changed: rt.changed,
      requireBucket() {
        const b = Object.hasOwn(state.buckets, bucket) ? state.buckets[bucket] : undefined;
        if (!b) throw noSuchBucket(bucket);
        // A request signed for another region than the bucket's, as S3 answers it.
        if (principal && b.region !== req.region) {
          throw new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${req.region}' is wrong; expecting '${b.region}'`, 400, { Region: b.region }, { 'x-amz-bucket-region': b.region });
        }
        return b;
      },
      authorize,
      allowed(action, resource, b) {
        try {
          authorize(action, resource, b);
          return true;
        } catch {
          return false;
        }
      },
    };
    // CORS response headers for a request from a browser origin the bucket's rules allow.
    const corsFor = (name: string): Record<string, string> => {
      const origin = req.headers.origin;
      const b = origin && name && Object.hasOwn(state.buckets, name) ? state.buckets[name] : undefined;
      const rule = b && origin ? matchCors(b.cors, origin, req.method === 'HEAD' ? 'HEAD' : req.method, []) : undefined;
      return rule && origin ? corsHeaders(rule, origin, req.method, undefined) : {};
    };
    try {
      // Lifecycle expiration, applied lazily to the bucket this request touches.
      const touched = websiteTarget(req.headers.host ?? '', req.path)?.bucket ?? bucket;
      if (touched && Object.hasOwn(state.buckets, touched) && await sweep(state.buckets[touched]!, rt.now().getTime(), files)) rt.changed();
      // Header-signed S3 requests must declare their payload hash.
      if (principal && req.headers.authorization !== undefined && req.headers['x-amz-content-sha256'] === undefined) {
        throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400);
      }
      const site = websiteTarget(req.headers.host ?? '', req.path);
      if (site) return await serveWebsite(ctx, site);
      const out = await route(req, bucket, key)(ctx);
      return { ...out, headers: { 'x-amz-request-id': req.requestId, 'x-amz-id-2': req.requestId, ...corsFor(bucket), ...(out.headers ?? {}) } };
    } catch (e) {
      if (e instanceof AwsError) return renderS3Error(e, req.requestId, req.method);
      throw e;
    }
  }

  const api: S3Api = {
    objectFile(principal, region, bucket, key, versionId) {
      const b = Object.hasOwn(state.buckets, bucket) ? state.buckets[bucket] : undefined;
      if (!b) throw noSuchBucket(bucket);
      if (b.region !== region) {
        throw new S3Error('PermanentRedirect', `The bucket is in this region: ${b.region}. Please use this region to retry the request`, 301);
      }
      authorizeS3(rt, principal, 's3:GetObject', `${bucket}/${key}`, b);
      const meta = Object.hasOwn(b.objects, key) ? b.objects[key] : undefined;
      if (!meta) {
        if (!(() => { try { authorizeS3(rt, principal, 's3:ListBucket', bucket, b); return true; } catch { return false; } })()) throw accessDenied();
        throw noSuchKey(key);
      }
      // Buckets here are never versioned: only the "null" version exists.
      if (versionId !== undefined && versionId !== 'null') throw new S3Error('NoSuchVersion', 'The specified version does not exist.', 404);
      return { path: files.objectPath(meta.file), size: meta.size };
    },
  };

  const service: Service = {
    signingName: 's3',
    protocol: 'rest-xml',
    streaming: true,
    acceptsAnonymous: ({ host, path, method, headers }) => VIRTUAL_HOST.test(host.replace(/:\d+$/, '').toLowerCase())
      || path === PATH_PREFIX || path.startsWith(`${PATH_PREFIX}/`) || websiteTarget(host, path) !== undefined
      // A browser's CORS preflight to a path-style URL carries no signature.
      || (method === 'OPTIONS' && headers['access-control-request-method'] !== undefined),
    handle,
    snapshot: () => state,
    restore(saved) {
      state = saved as S3State;
      files = createFiles(root);
    },
    async close() {
      if (!dataDir) rmSync(root, { recursive: true, force: true });
    },
  };
  return { service, api };
}

const built = new WeakMap<CloudRuntime, { service: Service; api: S3Api }>();

/** S3's internal API for the runtime that serves it; undefined when this cloud has no S3. */
export const s3ApiOf = (rt: CloudRuntime): S3Api | undefined => built.get(rt)?.api;

export const s3Service: ServiceFactory = (rt) => {
  let parts = built.get(rt);
  if (!parts) {
    parts = createS3Parts(rt);
    built.set(rt, parts);
  }
  return { service: parts.service };
};
