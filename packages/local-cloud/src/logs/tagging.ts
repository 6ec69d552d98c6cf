/**
 * Log group tags and retention: TagResource / UntagResource / ListTagsForResource (the ARN-based
 * APIs), the older TagLogGroup / UntagLogGroup / ListTagsLogGroup, PutRetentionPolicy and
 * DeleteRetentionPolicy. Limits and messages as CloudWatch Logs answers them.
 */
import { AwsError } from '../internal/contract.js';
import {
  f, findGroup, groupActionArn, groupArn, groupMissing, groupName, checkGroupName, invalid, type Input, type LogsOpContext, type Op,
} from './context.js';
import { scopeKey, type LogGroup } from './store.js';

/** The only values PutRetentionPolicy accepts (days). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const MAX_TAGS = 50;
const KEY_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const VALUE_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** Validates a tags map from the request (`field`: its name in AWS's message). */
export function readTags(input: Input, field: string): Record<string, string> | undefined {
  const tags = f.strMap(input, field);
  if (tags === undefined) return undefined;
  const entries = Object.entries(tags);
  if (entries.length < 1 || entries.length > MAX_TAGS) {
    throw invalid(`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length between 1 and ${MAX_TAGS}`);
  }
  for (const [k, v] of entries) {
    if (!KEY_RE.test(k)) throw invalid(`1 validation error detected: Value '${k}' at '${field}' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$]`);
    if (!VALUE_RE.test(v)) throw invalid(`1 validation error detected: Value '${v}' at '${field}.${k}' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$]`);
  }
  return tags;
}

function readKeys(input: Input, field: string): string[] {
  const keys = input[field];
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_TAGS || keys.some((k) => typeof k !== 'string' || !KEY_RE.test(k))) {
    throw invalid(`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length between 1 and ${MAX_TAGS}, each a tag key of 1 to 128 characters`);
  }
  return keys as string[];
}

/** The group an ARN names; other ARNs (destinations, another region) name nothing here. */
function groupOfArn(ctx: LogsOpContext, input: Input): { name: string; arn: string } {
  const arn = f.str(input, 'resourceArn');
  if (!arn) throw invalid('1 validation error detected: Value null at \'resourceArn\' failed to satisfy constraint: Member must not be null');
  const m = /^arn:aws:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)$/.exec(arn);
  if (!m) {
    if (/^arn:aws:logs:[a-z0-9-]+:\d{12}:(destination|log-group):/.test(arn)) throw new AwsError('ResourceNotFoundException', 'The specified resource does not exist.');
    throw invalid(`Invalid ARN: ${arn}`);
  }
  const [, region, account, name] = m as unknown as [string, string, string, string];
  checkGroupName(name);
  if (region !== ctx.scope.region) throw groupMissing();
  return { name, arn: groupArn({ region, accountId: account }, name) };
}

function setTags(ctx: LogsOpContext, g: LogGroup, tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS) throw new AwsError('TooManyTagsException', `A resource can have no more than ${MAX_TAGS} tags.`);
  g.tags = tags;
  ctx.journal({ op: 'tags', k: scopeKey(ctx.scope), g: g.name, tags });
}

const tagResource: Op = (ctx, input) => {
  const { name, arn } = groupOfArn(ctx, input);
  ctx.authorize('logs:TagResource', arn);
  const tags = readTags(input, 'tags');
  if (!tags) throw invalid('1 validation error detected: Value null at \'tags\' failed to satisfy constraint: Member must not be null');
  const g = findGroup(ctx, name);
  setTags(ctx, g, { ...g.tags, ...tags });
  return {};
};

const untagResource: Op = (ctx, input) => {
  const { name, arn } = groupOfArn(ctx, input);
  ctx.authorize('logs:UntagResource', arn);
  const keys = readKeys(input, 'tagKeys');
  const g = findGroup(ctx, name);
  setTags(ctx, g, Object.fromEntries(Object.entries(g.tags ?? {}).filter(([k]) => !keys.includes(k))));
  return {};
};

const listTagsForResource: Op = (ctx, input) => {
  const { name, arn } = groupOfArn(ctx, input);
  ctx.authorize('logs:ListTagsForResource', arn);
  return { tags: { ...findGroup(ctx, name).tags } };
};

// The older, name-based tagging APIs (deprecated by AWS, still answered).
const tagLogGroup: Op = (ctx, input) => {
  const name = groupName(input);
  ctx.authorize('logs:TagLogGroup', groupActionArn(ctx.scope, name));
  const tags = readTags(input, 'tags');
  if (!tags) throw invalid('1 validation error detected: Value null at \'tags\' failed to satisfy constraint: Member must not be null');
  const g = findGroup(ctx, name);
  setTags(ctx, g, { ...g.tags, ...tags });
  return {};
};

const untagLogGroup: Op = (ctx, input) => {
  const name = groupName(input);
  ctx.authorize('logs:UntagLogGroup', groupActionArn(ctx.scope, name));
  const keys = readKeys(input, 'tags');
  const g = findGroup(ctx, name);
  setTags(ctx, g, Object.fromEntries(Object.entries(g.tags ?? {}).filter(([k]) => !keys.includes(k))));
  return {};
};

const listTagsLogGroup: Op = (ctx, input) => {
  const name = groupName(input);
  ctx.authorize('logs:ListTagsLogGroup', groupActionArn(ctx.scope, name));
  return { tags: { ...findGroup(ctx, name).tags } };
};

const putRetention: Op = (ctx, input) => {
  const name = groupName(input);
  ctx.authorize('logs:PutRetentionPolicy', groupActionArn(ctx.scope, name));
  const raw = input.retentionInDays;
  const days = typeof raw === 'number' ? raw : undefined;
  if (raw === undefined || raw === null) throw invalid('1 validation error detected: Value null at \'retentionInDays\' failed to satisfy constraint: Member must not be null');
  if (days === undefined || !(RETENTION_DAYS as readonly number[]).includes(days)) {
    throw invalid(`1 validation error detected: Value '${String(raw)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  }
  const g = findGroup(ctx, name);
  g.retentionInDays = days;
  ctx.journal({ op: 'retention', k: scopeKey(ctx.scope), g: name, d: days });
  findGroup(ctx, name); // drops what the new retention no longer keeps
  return {};
};

const deleteRetention: Op = (ctx, input) => {
  const name = groupName(input);
  ctx.authorize('logs:DeleteRetentionPolicy', groupActionArn(ctx.scope, name));
  const g = findGroup(ctx, name);
  delete g.retentionInDays;
  ctx.journal({ op: 'delete-retention', k: scopeKey(ctx.scope), g: name });
  return {};
};

export const taggingOperations: Readonly<Record<string, Op>> = {
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
  TagLogGroup: tagLogGroup,
  UntagLogGroup: untagLogGroup,
  ListTagsLogGroup: listTagsLogGroup,
  PutRetentionPolicy: putRetention,
  DeleteRetentionPolicy: deleteRetention,
};
