/**
 * Lifecycle expiration: Get/Put/DeleteBucketLifecycleConfiguration with `Expiration` (`Days` or
 * `Date`) and `AbortIncompleteMultipartUpload`, filtered by prefix and tags. Applied lazily: every
 * request that touches the bucket first removes what has expired on the server clock.
 */
import { readSmallBody } from './body.js';
import { S3Error } from './errors.js';
import type { S3Ctx, S3Op } from './index.js';
import type { BucketMeta, Files, LifecycleRule, ObjectMeta } from './store.js';
import { asList, doc, el, malformed, parseXml } from './xml.js';

const DAY = 86_400_000;

/** AWS rounds an object's expiry up to the next midnight UTC after creation + days. */
function expiryOf(rule: LifecycleRule, created: number): number | undefined {
  if (rule.days !== undefined) return Math.ceil((created + rule.days * DAY) / DAY) * DAY;
  if (rule.date !== undefined) return Date.parse(rule.date);
  return undefined;
}

function applies(rule: LifecycleRule, key: string, tags: Record<string, string> | undefined): boolean {
  if (rule.status !== 'Enabled' || !key.startsWith(rule.prefix)) return false;
  return Object.entries(rule.tags).every(([k, v]) => tags?.[k] === v);
}

/** The rule and time at which an object expires, for `x-amz-expiration`. */
export function expirationOf(b: BucketMeta, key: string, meta: ObjectMeta): { at: number; ruleId: string } | undefined {
  for (const r of b.lifecycle ?? []) {
    if (!applies(r, key, meta.tags)) continue;
    const at = expiryOf(r, meta.lastModified);
    if (at !== undefined) return { at, ruleId: r.id };
  }
  return undefined;
}

/** Removes expired objects and stale multipart uploads; true when anything changed. */
export async function sweep(b: BucketMeta, now: number, files: Files): Promise<boolean> {
  if (!b.lifecycle?.length) return false;
  let changed = false;
  for (const [key, meta] of Object.entries(b.objects)) {
    const exp = expirationOf(b, key, meta);
    if (exp && exp.at <= now) {
      delete b.objects[key];
      await files.remove(files.objectPath(meta.file));
      changed = true;
    }
  }
  for (const u of Object.values(b.uploads)) {
    const rule = b.lifecycle.find((r) => r.abortDays !== undefined && r.status === 'Enabled' && u.key.startsWith(r.prefix));
    if (rule && Math.ceil((u.initiated + rule.abortDays! * DAY) / DAY) * DAY <= now) {
      delete b.uploads[u.uploadId];
      await files.remove(files.uploadDir(u.uploadId));
      changed = true;
    }
  }
  return changed;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function parseRule(raw: unknown): LifecycleRule {
  const r = raw as Record<string, unknown>;
  const status = str(r.Status);
  if (status !== 'Enabled' && status !== 'Disabled') throw malformed();
  const filter = (r.Filter ?? {}) as Record<string, unknown>;
  const and = (filter.And ?? {}) as Record<string, unknown>;
  const prefix = str(filter.Prefix) ?? str(and.Prefix) ?? str(r.Prefix) ?? '';
  const tags: Record<string, string> = {};
  for (const t of [...asList(filter.Tag), ...asList(and.Tag)]) {
    const tag = t as Record<string, unknown>;
    if (typeof tag.Key !== 'string') throw malformed();
    tags[tag.Key] = str(tag.Value) ?? '';
  }
  const exp = r.Expiration as Record<string, unknown> | undefined;
  const abort = r.AbortIncompleteMultipartUpload as Record<string, unknown> | undefined;
  const rule: LifecycleRule = { id: str(r.ID) ?? `rule-${Math.random().toString(36).slice(2, 10)}`, status, prefix, tags };
  if (exp?.Days !== undefined) {
    const days = Number(exp.Days);
    if (!Number.isInteger(days) || days <= 0) throw new S3Error('InvalidArgument', "'Days' for Expiration action must be a positive integer", 400);
    rule.days = days;
  } else if (exp?.Date !== undefined) {
    const d = str(exp.Date) ?? '';
    if (Number.isNaN(Date.parse(d)) || Date.parse(d) % DAY !== 0) throw new S3Error('InvalidArgument', "'Date' must be at midnight GMT", 400);
    rule.date = new Date(Date.parse(d)).toISOString();
  }
  if (abort?.DaysAfterInitiation !== undefined) {
    const days = Number(abort.DaysAfterInitiation);
    if (!Number.isInteger(days) || days <= 0) throw new S3Error('InvalidArgument', "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer", 400);
    rule.abortDays = days;
  }
  if (rule.days === undefined && rule.date === undefined && rule.abortDays === undefined) {
    throw new S3Error('InvalidRequest', 'At least one action needs to be specified in a rule', 400);
  }
  return rule;
}

const putLifecycle: S3Op = async (ctx: S3Ctx) => {
  const b = ctx.requireBucket();
  const body = await readSmallBody(ctx.stream, ctx.req.headers);
  ctx.authorize('s3:PutLifecycleConfiguration', ctx.bucket, b);
  const rules = asList(parseXml(body, 'LifecycleConfiguration').Rule).map(parseRule);
  if (rules.length === 0 || rules.length > 1000) throw malformed();
  if (new Set(rules.map((r) => r.id)).size !== rules.length) throw new S3Error('InvalidArgument', 'Rule ID must be unique. Found same ID for more than one rule', 400);
  b.lifecycle = rules;
  ctx.changed();
  return { status: 200 };
};

const getLifecycle: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:GetLifecycleConfiguration', ctx.bucket, b);
  if (!b.lifecycle) throw new S3Error('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', 404, { BucketName: ctx.bucket });
  const rules = b.lifecycle.map((r) => {
    const tags = Object.entries(r.tags).map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`);
    const filter = tags.length === 0 ? el('Prefix', r.prefix) : tags.length === 1 && !r.prefix ? tags[0] : `<And>${el('Prefix', r.prefix || undefined)}${tags.join('')}</And>`;
    const exp = r.days !== undefined ? `<Expiration>${el('Days', r.days)}</Expiration>` : r.date !== undefined ? `<Expiration>${el('Date', r.date)}</Expiration>` : '';
    const abort = r.abortDays !== undefined ? `<AbortIncompleteMultipartUpload>${el('DaysAfterInitiation', r.abortDays)}</AbortIncompleteMultipartUpload>` : '';
    return `<Rule>${el('ID', r.id)}<Filter>${filter}</Filter>${el('Status', r.status)}${exp}${abort}</Rule>`;
  }).join('');
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc('LifecycleConfiguration', rules) };
};

const deleteLifecycle: S3Op = async (ctx) => {
  const b = ctx.requireBucket();
  ctx.authorize('s3:PutLifecycleConfiguration', ctx.bucket, b);
  delete b.lifecycle;
  ctx.changed();
  return { status: 204 };
};

export const lifecycleOps = { putLifecycle, getLifecycle, deleteLifecycle };
