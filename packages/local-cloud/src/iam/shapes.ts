/** IAM entities rendered in the wire shapes of IAM's query API (what SDK v3 parses). */
import { members, validationError, type QueryParams, memberStructs } from '../internal/query.js';
import { AwsError } from '../internal/contract.js';
import { roleArn, userArn, type OidcProviderRecord, type RoleRecord, type Tag, type UserRecord } from './state.js';

export function roleShape(accountId: string, r: RoleRecord): Record<string, unknown> {
  return {
    Path: r.path, RoleName: r.roleName, RoleId: r.roleId, Arn: roleArn(accountId, r), CreateDate: r.createDate,
    // IAM answers policy documents URL-encoded, as AWS does.
    AssumeRolePolicyDocument: encodeURIComponent(r.assumeRolePolicyDocument),
    Description: r.description, MaxSessionDuration: r.maxSessionDuration,
    Tags: r.tags.length > 0 ? members(r.tags) : undefined,
  };
}

export function userShape(accountId: string, u: UserRecord): Record<string, unknown> {
  return {
    Path: u.path, UserName: u.userName, UserId: u.userId, Arn: userArn(accountId, u), CreateDate: u.createDate,
    Tags: u.tags.length > 0 ? members(u.tags) : undefined,
  };
}

export function oidcShape(p: OidcProviderRecord): Record<string, unknown> {
  return {
    Url: p.url, ClientIDList: members(p.clientIds), ThumbprintList: members(p.thumbprints), CreateDate: p.createDate,
    Tags: members(p.tags),
  };
}

const NAME = /^[\w+=,.@-]+$/;

export function checkName(field: string, value: string, max: number): string {
  if (value.length > max) throw validationError(field, value, `Member must have length less than or equal to ${max}`);
  if (!NAME.test(value)) throw validationError(field, value, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  return value;
}

export function checkPath(value: string | undefined): string {
  if (value === undefined) return '/';
  if (value.length > 512 || !/^(\/|\/[\u0021-\u007E]+\/)$/.test(value)) {
    throw validationError('path', value, 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
  }
  return value;
}

export function parseTags(params: QueryParams): Tag[] {
  const tags = memberStructs(params, 'Tags').map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
  if (tags.length > 50) throw validationError('tags', undefined, 'Member must have length less than or equal to 50');
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw validationError('tags.member.key', t.Key, 'Member must have length between 1 and 128');
    if (t.Value.length > 256) throw validationError('tags.member.value', t.Value, 'Member must have length less than or equal to 256');
  }
  const keys = new Set(tags.map((t) => t.Key.toLowerCase()));
  if (keys.size !== tags.length) throw new AwsError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.', 400);
  return tags;
}

/** Merges new tags over old ones (tag keys compare case-insensitively); at most 50. */
export function mergeTags(old: Tag[], added: Tag[]): Tag[] {
  const out = old.filter((t) => !added.some((a) => a.Key.toLowerCase() === t.Key.toLowerCase()));
  out.push(...added);
  if (out.length > 50) throw new AwsError('LimitExceeded', 'Cannot exceed quota for TagsPerRole: 50', 409);
  return out;
}
