/**
 * Validation of CreateFunction / UpdateFunctionConfiguration inputs with Lambda's own error
 * codes and messages. Pure: returns the checked values or throws AwsError.
 */
import { AwsError } from '../internal/contract.js';
import { fieldReader } from './rest.js';
import { RESERVED_ENV_KEYS } from './runtime/environment.js';

export const SUPPORTED_RUNTIMES = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x'];

const validation = (m: string) => new AwsError('ValidationException', m);
const invalidValue = (m: string) => new AwsError('InvalidParameterValueException', m);
export const read = fieldReader(invalidValue);

const constraint = (value: unknown, field: string, rule: string) =>
  validation(`1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${rule}`);

export function checkFunctionName(name: string | undefined): string {
  if (name === undefined) throw constraint(null, 'functionName', 'Member must not be null');
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name)) {
    throw constraint(name, 'functionName', 'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?');
  }
  return name;
}

export function checkRole(role: string | undefined): string {
  if (role === undefined) throw constraint(null, 'role', 'Member must not be null');
  if (!/^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(role)) {
    throw constraint(role, 'role', 'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+');
  }
  return role;
}

export function checkRuntime(runtime: string): string {
  if (!SUPPORTED_RUNTIMES.includes(runtime)) {
    throw invalidValue(`The runtime parameter of ${runtime} is not supported by this local cloud, which runs Node.js handlers only. Use one of: ${SUPPORTED_RUNTIMES.join(', ')}.`);
  }
  return runtime;
}

export function checkHandler(handler: string): string {
  if (handler.length > 128) throw constraint(handler, 'handler', 'Member must have length less than or equal to 128');
  if (!/^[^\s]+$/.test(handler)) throw constraint(handler, 'handler', 'Member must satisfy regular expression pattern: [^\\s]+');
  // Not an AWS rule (AWS's runtime simply fails to find such a module), but here the handler runs
  // on the developer's machine: its module must resolve inside the task root.
  if (handler.startsWith('/') || handler.split('/').includes('..') || handler.includes('\0')) {
    throw invalidValue(`The handler '${handler}' must name a module inside the function's code, like 'index.handler' or 'src/app.handler': no '..' path segment and no leading '/'.`);
  }
  return handler;
}

export function checkTimeout(t: number): number {
  if (!Number.isInteger(t) || t < 1) throw constraint(t, 'timeout', 'Member must have value greater than or equal to 1');
  if (t > 900) throw constraint(t, 'timeout', 'Member must have value less than or equal to 900');
  return t;
}

export function checkMemory(m: number): number {
  if (!Number.isInteger(m) || m < 128) throw constraint(m, 'memorySize', 'Member must have value greater than or equal to 128');
  if (m > 10240) throw constraint(m, 'memorySize', 'Member must have value less than or equal to 10240');
  return m;
}

export function checkEnvironment(env: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (env === undefined) return undefined;
  const vars = read.strMap(env, 'Variables') ?? {};
  for (const k of Object.keys(vars)) {
    if (!/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(k)) {
      throw constraint('[sensitive]', 'environment.variables', 'Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+');
    }
  }
  const reserved = Object.keys(vars).filter((k) => RESERVED_ENV_KEYS.includes(k));
  if (reserved.length > 0) {
    throw invalidValue(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`);
  }
  if (Buffer.byteLength(JSON.stringify(vars)) > 4096) {
    throw invalidValue('Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.');
  }
  return vars;
}

/** The FunctionName path parameter: a name, a partial ARN or a full ARN, maybe with a qualifier. */
export interface FunctionRef {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  readonly qualifier?: string;
}

export function parseFunctionRef(ref: string, accountId: string, region: string, qualifier?: string): FunctionRef {
  const full = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(ref);
  const partial = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(ref);
  const plain = /^([^:]+)(?::([^:]+))?$/.exec(ref);
  let out: FunctionRef;
  if (full) out = { region: full[1] as string, accountId: full[2] as string, name: full[3] as string, ...(full[4] ? { qualifier: full[4] } : {}) };
  else if (partial) out = { region, accountId: partial[1] as string, name: partial[2] as string, ...(partial[3] ? { qualifier: partial[3] } : {}) };
  else if (plain) out = { region, accountId, name: plain[1] as string, ...(plain[2] ? { qualifier: plain[2] } : {}) };
  else throw checkFunctionName(ref) as never;
  checkFunctionName(out.name);
  if (qualifier !== undefined) {
    if (out.qualifier !== undefined && out.qualifier !== qualifier) {
      throw invalidValue('The derived qualifier from the function name does not match the specified qualifier.');
    }
    out = { ...out, qualifier };
  }
  return out;
}
