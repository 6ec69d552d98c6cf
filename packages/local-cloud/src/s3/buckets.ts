/** CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation. */
import { createHash } from 'node:crypto';
import { readSmallBody } from './body.js';
import { S3Error, accessDenied } from './errors.js';
import type { S3Ctx, S3Op } from './index.js';
import { refuseAcls, validateBucketName } from './names.js';
import { doc, el, isoMs, parseXml } from './xml.js';

/** A stable 64-hex canonical user id per account, as S3 shows owners. */
export const canonicalId = (accountId: string): string => createHash('sha256').update(`hangar-s3:${accountId}`).digest('hex');

const createBucket: S3Op = async (ctx: S3Ctx) => {
  const { bucket, req, state } = ctx;
  validateBucketName(bucket);
  refuseAcls(req.headers, true);
  const body = await readSmallBody(ctx.stream, req.headers);
  let constraint: string | undefined;
  if (body.length > 0) {
    const conf = parseXml(body, 'CreateBucketConfiguration');
    const lc = conf.LocationConstraint;
    if (typeof lc === 'string' && lc !== '') constraint = lc;
  }
  ctx.authorize('s3:CreateBucket', bucket);
  const principal = ctx.principal!;
  if (constraint === 'us-east-1') throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, { LocationConstraint: constraint });
  if (constraint !== undefined && constraint !== req.region) {
    throw new S3Error('IllegalLocationConstraintException', `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`, 400);
  }
  if (constraint === undefined && req.region !== 'us-east-1') {
    throw new S3Error('IllegalLocationConstraintException', 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.', 400);
  }
  const region = constraint ?? 'us-east-1';
  const existing = Object.hasOwn(state.buckets, bucket) ? state.buckets[bucket] : undefined;
  if (existing) {
    if (existing.owner !== principal.accountId) {
      throw new S3Error('BucketAlreadyExists', 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', 409, { BucketName: bucket });
    }
    // For legacy compatibility S3 answers 200 when the owner re-creates a bucket in us-east-1.
    if (!(existing.region === 'us-east-1' && region === 'us-east-1')) {
      throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: bucket });
    }
    return { status: 200, headers: { location: `/${bucket}` } };
  }
  state.buckets[bucket] = { name: bucket, owner: principal.accountId, region, created: ctx.now(), objects: {}, uploads: {} };
  ctx.changed();
  return { status: 200, headers: { location: `/${bucket}` } };
};

const headBucket: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:ListBucket', ctx.bucket, b);
  return { status: 200, headers: { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' } };
};

const deleteBucket: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:DeleteBucket', ctx.bucket, b);
  if (Object.keys(b.objects).length > 0) {
    throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: ctx.bucket });
  }
  for (const u of Object.values(b.uploads)) await ctx.files.remove(ctx.files.uploadDir(u.uploadId));
  delete ctx.state.buckets[ctx.bucket];
  ctx.changed();
  return { status: 204 };
};

const listBuckets: S3Op = async (ctx) => {
  if (!ctx.principal) throw accessDenied();
  ctx.authorize('s3:ListAllMyBuckets', '*');
  const mine = Object.values(ctx.state.buckets).filter((b) => b.owner === ctx.principal!.accountId).sort((a, b) => (a.name < b.name ? -1 : 1));
  const prefix = ctx.req.query.prefix;
  const region = ctx.req.query['bucket-region'];
  const shown = mine.filter((b) => (prefix === undefined || b.name.startsWith(prefix)) && (region === undefined || b.region === region));
  const buckets = shown.map((b) => `<Bucket>${el('Name', b.name)}${el('CreationDate', isoMs(b.created))}${el('BucketRegion', b.region)}</Bucket>`).join('');
  return {
    status: 200, headers: { 'content-type': 'application/xml' },
    body: doc('ListAllMyBucketsResult', `<Owner>${el('ID', canonicalId(ctx.principal.accountId))}</Owner><Buckets>${buckets}</Buckets>${el('Prefix', prefix)}`),
  };
};

const getBucketLocation: S3Op = async (ctx) => {
  // GetBucketLocation answers from any region (it is how clients find the bucket's region).
  const b = Object.hasOwn(ctx.state.buckets, ctx.bucket) ? ctx.state.buckets[ctx.bucket] : undefined;
  if (!b) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: ctx.bucket });
  ctx.authorize('s3:GetBucketLocation', ctx.bucket, b);
  const body = b.region === 'us-east-1'
    ? '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    : doc('LocationConstraint', b.region);
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
};

export const bucketOps = { createBucket, headBucket, deleteBucket, listBuckets, getBucketLocation };
