/**
 * Static website hosting: `http://<bucket>.s3-website.localhost:<port>/` (also
 * `s3-website-<region>` / `s3-website.<region>`) and the path-style fallback
 * `/_aws/s3-website/<bucket>/`. Anonymous GET/HEAD only, authorised as s3:GetObject for an
 * anonymous caller (so a public bucket policy is needed), index and error documents, HTML errors.
 * A missing key is 404 only when the bucket policy lets anyone s3:ListBucket, else 403 (as S3).
 */
import { open } from 'node:fs/promises';
import type { ServiceResponse } from '../internal/contract.js';
import { bucketPolicyDecision } from './config.js';
import type { S3Ctx } from './index.js';
import type { BucketMeta, ObjectMeta } from './store.js';
import { esc } from './xml.js';

const WEBSITE_HOST = /^(.+)\.s3-website(?:[.-][a-z0-9-]+)?\.localhost$/;
export const WEBSITE_PREFIX = '/_aws/s3-website';

/** The bucket and key path of a website request, or undefined when it is not one. */
export function websiteTarget(host: string, path: string): { bucket: string; path: string } | undefined {
  const m = WEBSITE_HOST.exec(host.replace(/:\d+$/, '').toLowerCase());
  if (m) return { bucket: m[1]!, path };
  if (path === WEBSITE_PREFIX || path.startsWith(`${WEBSITE_PREFIX}/`)) {
    const rest = path.slice(WEBSITE_PREFIX.length + 1);
    const i = rest.indexOf('/');
    return i < 0 ? { bucket: rest, path: '/' } : { bucket: rest.slice(0, i), path: rest.slice(i) };
  }
  return undefined;
}

function htmlError(status: number, title: string, code: string, message: string, requestId: string, extra: Record<string, string> = {}): ServiceResponse {
  const items = [`<li>Code: ${esc(code)}</li>`, `<li>Message: ${esc(message)}</li>`, ...Object.entries(extra).map(([k, v]) => `<li>${k}: ${esc(v)}</li>`), `<li>RequestId: ${requestId}</li>`, `<li>HostId: ${requestId}</li>`];
  const body = `<html>\n<head><title>${status} ${title}</title></head>\n<body>\n<h1>${status} ${title}</h1>\n<ul>\n${items.join('\n')}\n</ul>\n<hr/>\n</body>\n</html>\n`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

const publiclyReadable = (ctx: S3Ctx, b: BucketMeta, key: string): boolean => bucketPolicyDecision(b, undefined, 's3:GetObject', `${b.name}/${key}`, ctx.rt.now()) === 'allow';

async function serve(ctx: S3Ctx, meta: ObjectMeta, status: number): Promise<ServiceResponse> {
  const headers: Record<string, string> = {
    ...meta.headers, etag: meta.etag, 'last-modified': new Date(meta.lastModified).toUTCString(), 'content-length': String(meta.size),
  };
  for (const [k, v] of Object.entries(meta.metadata)) headers[`x-amz-meta-${k}`] = v;
  if (ctx.req.method === 'HEAD' || meta.size === 0) return { status, headers, body: ctx.req.method === 'HEAD' ? undefined : Buffer.alloc(0) };
  const fh = await open(ctx.files.objectPath(meta.file), 'r');
  return { status, headers, body: fh.createReadStream() };
}

export async function serveWebsite(ctx: S3Ctx, target: { bucket: string; path: string }): Promise<ServiceResponse> {
  const id = ctx.req.requestId;
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') {
    return htmlError(405, 'Method Not Allowed', 'MethodNotAllowed', 'The specified method is not allowed against this resource.', id, { Method: ctx.req.method, ResourceType: 'OBJECT' });
  }
  const b = Object.hasOwn(ctx.state.buckets, target.bucket) ? ctx.state.buckets[target.bucket] : undefined;
  if (!b) return htmlError(404, 'Not Found', 'NoSuchBucket', 'The specified bucket does not exist', id, { BucketName: target.bucket });
  const w = b.website;
  if (!w) return htmlError(404, 'Not Found', 'NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration', id, { BucketName: target.bucket });
  if (w.redirectAllTo) {
    const proto = w.redirectAllTo.protocol ?? 'http';
    return { status: 301, headers: { location: `${proto}://${w.redirectAllTo.hostName}${target.path}` } };
  }
  const index = w.indexSuffix!;
  let key = target.path.slice(1);
  if (key === '' || key.endsWith('/')) key += index;
  const objectOf = (k: string): ObjectMeta | undefined => (Object.hasOwn(b.objects, k) ? b.objects[k] : undefined);
  if (!publiclyReadable(ctx, b, key)) {
    return htmlError(403, 'Forbidden', 'AccessDenied', 'Access Denied', id);
  }
  const meta = objectOf(key);
  if (meta) return serve(ctx, meta, 200);
  // `/docs` where `docs/index.html` exists: redirect to the folder, as S3 websites do.
  if (!target.path.endsWith('/') && objectOf(`${key}/${index}`)) {
    return { status: 302, headers: { location: `${target.path}/` } };
  }
  // As S3 answers a missing key: 404 only to a caller who may list the bucket; otherwise 403,
  // so the caller learns nothing about which keys exist. The error document keeps that status.
  const listable = bucketPolicyDecision(b, undefined, 's3:ListBucket', b.name, ctx.rt.now()) === 'allow';
  const status = listable ? 404 : 403;
  if (w.errorKey) {
    const err = objectOf(w.errorKey);
    if (err && publiclyReadable(ctx, b, w.errorKey)) return serve(ctx, err, status);
  }
  return listable
    ? htmlError(404, 'Not Found', 'NoSuchKey', 'The specified key does not exist.', id, { Key: key })
    : htmlError(403, 'Forbidden', 'AccessDenied', 'Access Denied', id);
}
