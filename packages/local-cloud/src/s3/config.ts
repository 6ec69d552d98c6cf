/**
 * Bucket sub-resources: policy (evaluated with the IAM policy engine), Public Access Block,
 * tagging (bucket and object), CORS (configuration, preflight and response headers) and website
 * configuration.
 */
import { PolicyError, parsePolicy, type PolicyDocument } from '../policy/document.js';
import { evaluateResourcePolicy, type Decision } from '../policy/evaluate.js';
import type { Principal } from '../internal/contract.js';
import { readSmallBody } from './body.js';
import { S3Error, accessDenied, noSuchKey } from './errors.js';
import type { S3Ctx, S3Op } from './index.js';
import type { BucketMeta, CorsRule, PublicAccessBlock } from './store.js';
import { asList, doc, el, malformed, parseXml } from './xml.js';

export const BLOCK_ALL: PublicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

// ---- bucket policy -------------------------------------------------------------------------

/** Public as S3 judges it (simplified): an Allow to `*` with no Condition. */
export function isPublicPolicy(policy: PolicyDocument): boolean {
  return policy.statements.some((s) => s.effect === 'Allow' && !s.condition && s.principal !== undefined
    && (s.principal === '*' || (s.principal.AWS ?? []).includes('*')));
}

function parseBucketPolicy(text: string): PolicyDocument {
  try {
    return parsePolicy(text, 'resource');
  } catch (e) {
    if (e instanceof PolicyError) throw new S3Error('MalformedPolicy', e.message, 400);
    throw e;
  }
}

/** The bucket policy's say on this request: allow, explicit deny, or nothing. */
export function bucketPolicyDecision(b: BucketMeta | undefined, principal: Principal | undefined, action: string, resource: string, now: Date): Decision {
  if (!b?.policy) return 'implicit-deny';
  const policy = parsePolicy(b.policy, 'resource');
  const ctx: Record<string, string[]> = {
    'aws:securetransport': ['false'],
    'aws:currenttime': [now.toISOString()],
    'aws:epochtime': [String(Math.floor(now.getTime() / 1000))],
  };
  if (principal) {
    ctx['aws:principalarn'] = [principal.roleArn ?? principal.arn];
    ctx['aws:principalaccount'] = [principal.accountId];
    ctx['aws:userid'] = [principal.userId];
    if (principal.userName) ctx['aws:username'] = [principal.userName];
  }
  const arns = principal ? [principal.arn, ...(principal.roleArn ? [principal.roleArn] : [])] : [];
  const decision = evaluateResourcePolicy(policy, { arns, accountId: principal?.accountId }, { action, resource: `arn:aws:s3:::${resource}`, context: ctx });
  // RestrictPublicBuckets: a public policy grants nothing to anonymous or other accounts' callers.
  const restricted = effectiveBlock(b).RestrictPublicBuckets && isPublicPolicy(policy) && (!principal || principal.accountId !== b.owner);
  return decision === 'allow' && restricted ? 'implicit-deny' : decision;
}

const putBucketPolicy: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const text = (await readSmallBody(ctx.stream, ctx.req.headers, 20 * 1024)).toString('utf8');
  ctx.authorize('s3:PutBucketPolicy', ctx.bucket, b);
  const policy = parseBucketPolicy(text);
  for (const s of policy.statements) {
    for (const r of s.resource ?? s.notResource ?? []) {
      if (!r.startsWith(`arn:aws:s3:::${ctx.bucket}`) && r !== '*') throw new S3Error('MalformedPolicy', 'Policy has invalid resource', 400);
    }
  }
  if (effectiveBlock(b).BlockPublicPolicy && isPublicPolicy(policy)) {
    throw accessDenied(`User: ${ctx.principal?.arn ?? 'anonymous'} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${ctx.bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.`);
  }
  b.policy = text;
  ctx.changed();
  return { status: 204 };
};

const getBucketPolicy: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetBucketPolicy', ctx.bucket, b);
  if (!b.policy) throw new S3Error('NoSuchBucketPolicy', 'The bucket policy does not exist', 404, { BucketName: ctx.bucket });
  return { status: 200, headers: { 'content-type': 'application/json' }, body: b.policy };
};

const deleteBucketPolicy: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:DeleteBucketPolicy', ctx.bucket, b);
  delete b.policy;
  ctx.changed();
  return { status: 204 };
};

// ---- Public Access Block -------------------------------------------------------------------

const PAB_FIELDS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

const putPublicAccessBlock: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const body = await readSmallBody(ctx.stream, ctx.req.headers);
  ctx.authorize('s3:PutBucketPublicAccessBlock', ctx.bucket, b);
  const conf = parseXml(body, 'PublicAccessBlockConfiguration');
  const out = { ...BLOCK_ALL };
  for (const f of PAB_FIELDS) {
    const v = conf[f];
    if (v !== undefined && v !== 'true' && v !== 'false') throw malformed();
    out[f] = v === 'true';
  }
  b.publicAccessBlock = out;
  ctx.changed();
  return { status: 200 };
};

const getPublicAccessBlock: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetBucketPublicAccessBlock', ctx.bucket, b);
  const pab = b.publicAccessBlock === undefined ? BLOCK_ALL : b.publicAccessBlock;
  if (pab === null) throw new S3Error('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404, { BucketName: ctx.bucket });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('PublicAccessBlockConfiguration', PAB_FIELDS.map((f) => el(f, pab[f])).join('')) };
};

/** Deleting the block leaves every setting off (stored as null, unlike a never-configured bucket). */
const deletePublicAccessBlock: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:PutBucketPublicAccessBlock', ctx.bucket, b);
  b.publicAccessBlock = null;
  ctx.changed();
  return { status: 204 };
};

/** The bucket's effective block: all on by default, all off after DeletePublicAccessBlock. */
export function effectiveBlock(b: BucketMeta): PublicAccessBlock {
  const pab = b.publicAccessBlock;
  if (pab === undefined) return BLOCK_ALL;
  if (pab === null) return { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };
  return pab;
}

// ---- tagging -------------------------------------------------------------------------------

function invalidTag(message: string): S3Error {
  return new S3Error('InvalidTag', message, 400);
}

export function validateTags(tags: [string, string][], max: number): Record<string, string> {
  if (tags.length > max) throw new S3Error(max === 10 ? 'BadRequest' : 'InvalidTag', max === 10 ? 'Object tags cannot be greater than 10' : 'Bucket tag count cannot be greater than 50', 400);
  const out: Record<string, string> = {};
  for (const [k, v] of tags) {
    if (k.length === 0 || k.length > 128) throw invalidTag('The TagKey you have provided is invalid');
    if (v.length > 256) throw invalidTag('The TagValue you have provided is invalid');
    if (Object.hasOwn(out, k)) throw invalidTag('Cannot provide multiple Tags with the same key');
    out[k] = v;
  }
  return out;
}

async function tagsFromBody(ctx: S3Ctx, max: number): Promise<Record<string, string>> {
  const body = await readSmallBody(ctx.stream, ctx.req.headers);
  const tagging = parseXml(body, 'Tagging');
  const set = (tagging.TagSet ?? {}) as Record<string, unknown>;
  const list = asList(set.Tag).map((t) => {
    const r = t as Record<string, unknown>;
    if (typeof r.Key !== 'string') throw malformed();
    return [r.Key, typeof r.Value === 'string' ? r.Value : ''] as [string, string];
  });
  return validateTags(list, max);
}

/** `x-amz-tagging: k1=v1&k2=v2` on PutObject / CreateMultipartUpload / CopyObject. */
export function tagsFromHeader(header: string | undefined): Record<string, string> | undefined {
  if (header === undefined) return undefined;
  return validateTags([...new URLSearchParams(header).entries()], 10);
}

const tagSet = (tags: Record<string, string>): string => doc('Tagging', `<TagSet>${Object.entries(tags).map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`).join('')}</TagSet>`);

const putBucketTagging: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const tags = await tagsFromBody(ctx, 50);
  ctx.authorize('s3:PutBucketTagging', ctx.bucket, b);
  b.tags = tags;
  ctx.changed();
  return { status: 204 };
};

const getBucketTagging: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetBucketTagging', ctx.bucket, b);
  if (!b.tags || Object.keys(b.tags).length === 0) throw new S3Error('NoSuchTagSet', 'The TagSet does not exist', 404, { BucketName: ctx.bucket });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: tagSet(b.tags) };
};

const deleteBucketTagging: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:PutBucketTagging', ctx.bucket, b);
  delete b.tags;
  ctx.changed();
  return { status: 204 };
};

function objectFor(ctx: S3Ctx, b: BucketMeta) {
  const o = Object.hasOwn(b.objects, ctx.key) ? b.objects[ctx.key] : undefined;
  if (!o) throw noSuchKey(ctx.key);
  return o;
}

const putObjectTagging: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const tags = await tagsFromBody(ctx, 10);
  ctx.authorize('s3:PutObjectTagging', `${ctx.bucket}/${ctx.key}`, b);
  objectFor(ctx, b).tags = tags;
  ctx.changed();
  return { status: 200 };
};

const getObjectTagging: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetObjectTagging', `${ctx.bucket}/${ctx.key}`, b);
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: tagSet(objectFor(ctx, b).tags ?? {}) };
};

const deleteObjectTagging: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:DeleteObjectTagging', `${ctx.bucket}/${ctx.key}`, b);
  delete objectFor(ctx, b).tags;
  ctx.changed();
  return { status: 204 };
};

// ---- CORS ----------------------------------------------------------------------------------

const CORS_METHODS = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];

const putBucketCors: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const body = await readSmallBody(ctx.stream, ctx.req.headers, 64 * 1024);
  ctx.authorize('s3:PutBucketCORS', ctx.bucket, b);
  const conf = parseXml(body, 'CORSConfiguration');
  const rules = asList(conf.CORSRule).map((raw): CorsRule => {
    const r = raw as Record<string, unknown>;
    const strs = (v: unknown): string[] => asList(v).map(String);
    const rule: CorsRule = {
      id: typeof r.ID === 'string' ? r.ID : undefined,
      allowedOrigins: strs(r.AllowedOrigin), allowedMethods: strs(r.AllowedMethod), allowedHeaders: strs(r.AllowedHeader),
      exposeHeaders: strs(r.ExposeHeader), maxAgeSeconds: r.MaxAgeSeconds === undefined ? undefined : Number(r.MaxAgeSeconds),
    };
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) throw malformed();
    const bad = rule.allowedMethods.find((m) => !CORS_METHODS.includes(m));
    if (bad) throw new S3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${bad}`, 400);
    return rule;
  });
  if (rules.length === 0 || rules.length > 100) throw malformed();
  b.cors = rules;
  ctx.changed();
  return { status: 200 };
};

const getBucketCors: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetBucketCORS', ctx.bucket, b);
  if (!b.cors) throw new S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist', 404, { BucketName: ctx.bucket });
  const rules = b.cors.map((r) => `<CORSRule>${el('ID', r.id)}${r.allowedHeaders.map((h) => el('AllowedHeader', h)).join('')}${r.allowedMethods.map((m) => el('AllowedMethod', m)).join('')}${r.allowedOrigins.map((o) => el('AllowedOrigin', o)).join('')}${r.exposeHeaders.map((h) => el('ExposeHeader', h)).join('')}${el('MaxAgeSeconds', r.maxAgeSeconds)}</CORSRule>`).join('');
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('CORSConfiguration', rules) };
};

const deleteBucketCors: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:PutBucketCORS', ctx.bucket, b);
  delete b.cors;
  ctx.changed();
  return { status: 204 };
};

const wildcard = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(value);

/** The first rule allowing this origin, method and request headers. */
export function matchCors(rules: readonly CorsRule[] | undefined, origin: string, method: string, requestHeaders: string[]): CorsRule | undefined {
  return rules?.find((r) => r.allowedOrigins.some((o) => wildcard(o, origin)) && r.allowedMethods.includes(method)
    && requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcard(a, h))));
}

export function corsHeaders(rule: CorsRule, origin: string, method: string, preflight: string[] | undefined): Record<string, string> {
  const h: Record<string, string> = {
    'access-control-allow-origin': rule.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!rule.allowedOrigins.includes('*')) h['access-control-allow-credentials'] = 'true';
  if (preflight && preflight.length) h['access-control-allow-headers'] = preflight.join(', ');
  if (rule.exposeHeaders.length) h['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(rule.maxAgeSeconds);
  return h;
}

/** OPTIONS preflight: answered from the bucket's CORS rules, unauthenticated as on S3. */
export const preflight: S3Op = async (ctx) => {
  const origin = ctx.req.headers.origin;
  const method = ctx.req.headers['access-control-request-method'];
  if (!origin || !method) throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.', 400);
  const b = Object.hasOwn(ctx.state.buckets, ctx.bucket) ? ctx.state.buckets[ctx.bucket] : undefined;
  if (!b) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: ctx.bucket });
  if (!b.cors) throw new S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', 403, { Method: method, ResourceType: ctx.key ? 'OBJECT' : 'BUCKET' });
  const requested = (ctx.req.headers['access-control-request-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const rule = matchCors(b.cors, origin, method, requested);
  if (!rule) {
    throw new S3Error('AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.', 403, { Method: method, ResourceType: ctx.key ? 'OBJECT' : 'BUCKET' });
  }
  return { status: 200, headers: corsHeaders(rule, origin, method, requested) };
};

// ---- website configuration -----------------------------------------------------------------

const putBucketWebsite: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  const body = await readSmallBody(ctx.stream, ctx.req.headers);
  ctx.authorize('s3:PutBucketWebsite', ctx.bucket, b);
  const conf = parseXml(body, 'WebsiteConfiguration');
  const index = (conf.IndexDocument as Record<string, unknown> | undefined)?.Suffix;
  const error = (conf.ErrorDocument as Record<string, unknown> | undefined)?.Key;
  const redirect = conf.RedirectAllRequestsTo as Record<string, unknown> | undefined;
  if (redirect) {
    if (typeof redirect.HostName !== 'string') throw malformed();
    b.website = { redirectAllTo: { hostName: redirect.HostName, protocol: typeof redirect.Protocol === 'string' ? redirect.Protocol : undefined } };
  } else {
    if (typeof index !== 'string' || index === '' || index.includes('/')) {
      throw new S3Error('InvalidArgument', 'The IndexDocument Suffix is not well formed', 400, { ArgumentName: 'IndexDocument', ArgumentValue: String(index ?? '') });
    }
    b.website = { indexSuffix: index, errorKey: typeof error === 'string' ? error : undefined };
  }
  ctx.changed();
  return { status: 200 };
};

const getBucketWebsite: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetBucketWebsite', ctx.bucket, b);
  const w = b.website;
  if (!w) throw new S3Error('NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration', 404, { BucketName: ctx.bucket });
  const inner = w.redirectAllTo
    ? `<RedirectAllRequestsTo>${el('HostName', w.redirectAllTo.hostName)}${el('Protocol', w.redirectAllTo.protocol)}</RedirectAllRequestsTo>`
    : `<IndexDocument>${el('Suffix', w.indexSuffix)}</IndexDocument>${w.errorKey ? `<ErrorDocument>${el('Key', w.errorKey)}</ErrorDocument>` : ''}`;
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('WebsiteConfiguration', inner) };
};

const deleteBucketWebsite: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:DeleteBucketWebsite', ctx.bucket, b);
  delete b.website;
  ctx.changed();
  return { status: 204 };
};

export const configOps = {
  putBucketPolicy, getBucketPolicy, deleteBucketPolicy, putPublicAccessBlock, getPublicAccessBlock, deletePublicAccessBlock,
  putBucketTagging, getBucketTagging, deleteBucketTagging, putObjectTagging, getObjectTagging, deleteObjectTagging,
  putBucketCors, getBucketCors, deleteBucketCors, putBucketWebsite, getBucketWebsite, deleteBucketWebsite,
};
