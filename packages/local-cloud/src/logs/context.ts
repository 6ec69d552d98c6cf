/**
 * What every CloudWatch Logs operation shares: its context, input readers, the group lookups
 * (which drop events past the group's retention first), and the resource ARNs IAM checks.
 */
import { AwsError } from '../internal/contract.js';
import { fieldReader } from '../lambda/rest.js';
import type { JournalRecord } from './journal.js';
import { groupsOf, purgeExpired, type LogGroup, type LogsState, type LogStream, type Scope } from './store.js';

export interface LogsOpContext {
  readonly state: LogsState;
  readonly scope: Scope;
  readonly now: number;
  /** rt.authorize bound to the caller. */
  authorize(action: string, resource: string): void;
  /** The caller's account id (for AWS's messages that name it). */
  readonly callerAccount: string;
  /** Records a change for the data dir. */
  journal(rec: JournalRecord): void;
}

export type Input = Record<string, unknown>;
export type Op = (ctx: LogsOpContext, input: Input) => unknown;

export const invalid = (m: string) => new AwsError('InvalidParameterException', m);
export const f = fieldReader(invalid);
export const groupMissing = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamMissing = () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');

/** `arn:aws:logs:<region>:<account>:log-group:<name>`: the ARN the tagging APIs take and check. */
export const groupArn = (s: Scope, name: string) => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${name}`;
/**
 * The resource the older log-group actions (CreateLogGroup, DeleteLogGroup, PutRetentionPolicy,
 * DescribeLogStreams, FilterLogEvents, ...) are authorised against, as AWS's AccessDenied messages
 * name it: `...:log-group:<name>:log-stream:`. So `log-group:<name>:*` in a policy allows them and
 * `log-group:<name>` alone does not, as on AWS.
 */
export const groupActionArn = (s: Scope, name: string) => `${groupArn(s, name)}:log-stream:`;
export const streamArn = (s: Scope, group: string, stream: string) => `${groupArn(s, group)}:log-stream:${stream}`;

const NAME_RE = /^[.\-_/#A-Za-z0-9]{1,512}$/;

export function checkGroupName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw invalid(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
  }
  return name;
}

/** `logGroupName`, or `logGroupIdentifier` (a name or an ARN), validated. */
export function groupName(input: Input): string {
  const id = f.str(input, 'logGroupIdentifier');
  const name = f.str(input, 'logGroupName') ?? (id?.startsWith('arn:') ? id.split(':log-group:')[1]?.replace(/:\*$/, '') : id);
  if (!name) throw invalid('1 validation error detected: Value null at \'logGroupName\' failed to satisfy constraint: Member must not be null');
  return checkGroupName(name);
}

/** The group, with the events past its retention already dropped. */
export function findGroup(ctx: LogsOpContext, name: string): LogGroup {
  const g = groupsOf(ctx.state, ctx.scope)[name];
  if (!g) throw groupMissing();
  purgeExpired(g, ctx.now);
  return g;
}

export function findStream(g: LogGroup, name: string | undefined): LogStream {
  const s = name === undefined ? undefined : g.streams[name];
  if (!s) throw streamMissing();
  return s;
}

export function limitOf(input: Input, max: number): number {
  const n = f.num(input, 'limit') ?? max;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw invalid(`1 validation error detected: Value '${n}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
  return n;
}

export const token = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
export function untoken<T>(t: string | undefined): T | undefined {
  if (t === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as T;
  } catch {
    throw invalid('The specified nextToken is invalid.');
  }
}
