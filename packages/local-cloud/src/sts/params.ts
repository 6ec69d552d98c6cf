/** STS request parameters checked with AWS's limits and error codes. */
import { deflateRawSync } from 'node:zlib';
import { AwsError } from '../internal/contract.js';
import { memberList, memberStructs, required, validationError, type QueryParams } from '../internal/query.js';
import { managedPolicies } from '../iam/managed-policies.js';
import type { RoleRecord } from '../iam/state.js';
import { parsePolicy, PolicyError } from '../policy/document.js';

const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function lengthBetween(field: string, value: string, min: number, max: number): void {
  if (value.length < min) throw validationError(field, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw validationError(field, value, `Member must have length less than or equal to ${max}`);
}

export function roleArnParam(params: QueryParams): string {
  const arn = required(params, 'RoleArn');
  lengthBetween('roleArn', arn, 20, 2048);
  return arn;
}

export function sessionNameParam(params: QueryParams): string {
  const name = required(params, 'RoleSessionName');
  lengthBetween('roleSessionName', name, 2, 64);
  if (!SESSION_NAME.test(name)) throw validationError('roleSessionName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  return name;
}

export function externalIdParam(params: QueryParams): string | undefined {
  const id = params.get('ExternalId');
  if (id === undefined) return undefined;
  lengthBetween('externalId', id, 2, 1224);
  if (!EXTERNAL_ID.test(id)) throw validationError('externalId', id, 'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*');
  return id;
}

export function sourceIdentityParam(params: QueryParams): string | undefined {
  const v = params.get('SourceIdentity');
  if (v === undefined) return undefined;
  lengthBetween('sourceIdentity', v, 2, 64);
  if (!SESSION_NAME.test(v)) throw validationError('sourceIdentity', v, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  if (v.toLowerCase().startsWith('aws:')) throw new AwsError('ValidationError', 'SourceIdentity cannot start with the reserved prefix aws:', 400);
  return v;
}

/** DurationSeconds: 900 up to the role's MaxSessionDuration (an hour when chaining roles). */
export function durationParam(params: QueryParams, role: RoleRecord, chained: boolean): number {
  const raw = params.get('DurationSeconds');
  if (raw === undefined) return 3600;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 900) throw validationError('durationSeconds', raw, 'Member must have value greater than or equal to 900');
  if (n > 43200) throw validationError('durationSeconds', raw, 'Member must have value less than or equal to 43200');
  if (chained && n > 3600) {
    throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.', 400);
  }
  if (n > role.maxSessionDuration) {
    throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.', 400);
  }
  return n;
}

export interface SessionPolicyParams {
  readonly documents: string[];
  readonly policy?: string;
  readonly policyArns: string[];
}

export function sessionPolicyParams(params: QueryParams): SessionPolicyParams {
  const policy = params.get('Policy');
  const documents: string[] = [];
  if (policy !== undefined) {
    lengthBetween('policy', policy, 1, 2048);
    try {
      parsePolicy(policy, 'identity');
    } catch (e) {
      if (e instanceof PolicyError) throw new AwsError('MalformedPolicyDocument', e.message, 400);
      throw e;
    }
    documents.push(policy);
  }
  const policyArns = memberStructs(params, 'PolicyArns').map((p) => p.arn ?? '');
  if (policyArns.length > 10) throw validationError('policyArns', undefined, 'Member must have length less than or equal to 10');
  for (const arn of policyArns) {
    const managed = managedPolicies.get(arn);
    if (!managed) throw new AwsError('InvalidParameterValue', `Policy ${arn} does not exist or is not attachable.`, 400);
    documents.push(managed.document);
  }
  return { documents, policy, policyArns };
}

export interface TagParams {
  readonly tags: Record<string, string>;
  readonly transitiveTagKeys: string[];
}

export function tagParams(params: QueryParams): TagParams {
  const list = memberStructs(params, 'Tags').map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
  if (list.length > 50) throw validationError('tags', undefined, 'Member must have length less than or equal to 50');
  const tags: Record<string, string> = {};
  const seen = new Set<string>();
  for (const { key, value } of list) {
    lengthBetween('tags.member.key', key, 1, 128);
    if (!TAG_KEY.test(key)) throw validationError('tags.member.key', key, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    if (value.length > 256) throw validationError('tags.member.value', value, 'Member must have length less than or equal to 256');
    if (!TAG_VALUE.test(value)) throw validationError('tags.member.value', value, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
    if (seen.has(key.toLowerCase())) throw new AwsError('InvalidParameterValue', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.', 400);
    seen.add(key.toLowerCase());
    tags[key] = value;
  }
  const transitiveTagKeys = memberList(params, 'TransitiveTagKeys');
  if (transitiveTagKeys.length > 50) throw validationError('transitiveTagKeys', undefined, 'Member must have length less than or equal to 50');
  for (const k of transitiveTagKeys) {
    if (!seen.has(k.toLowerCase())) {
      throw new AwsError('InvalidParameterValue', `The transitive tag key ${k} must also be a session tag key.`, 400);
    }
  }
  return { tags, transitiveTagKeys };
}

/**
 * Session policies and tags are packed into the session token, whose size is bounded. AWS
 * reports the packed size as a percentage of that bound; we pack with deflate the same way.
 */
const PACKED_LIMIT_BYTES = 2048;

export function packedPolicySize(policy: SessionPolicyParams, tags: Record<string, string>): number | undefined {
  if (policy.policy === undefined && policy.policyArns.length === 0 && Object.keys(tags).length === 0) return undefined;
  let minified = '';
  if (policy.policy !== undefined) minified = JSON.stringify(JSON.parse(policy.policy));
  const packed = [minified, ...policy.policyArns, ...Object.entries(tags).map(([k, v]) => `${k}=${v}`)].join('\n');
  const percent = Math.ceil((deflateRawSync(packed).length * 100) / PACKED_LIMIT_BYTES);
  if (percent > 100) {
    throw new AwsError('PackedPolicyTooLarge', `Packed size of the session policy and session tags exceeds the limit by ${percent - 100}%.`, 400);
  }
  return percent;
}
