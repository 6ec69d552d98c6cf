/**
 * The environment variables of a sandbox, built from scratch (never from the server's own
 * process.env): the function's variables plus what AWS's nodejs20.x runtime sets.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { TemporaryCredentials } from '../../internal/contract.js';
import { logGroupOf, type FunctionRecord } from '../model.js';

/** Keys a function may not set, as on AWS. */
export const RESERVED_ENV_KEYS = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];

/** `2026/11/25/[$LATEST]<32 hex>`, the stream name AWS gives an execution environment. */
export function logStreamName(now: Date): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${d}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/**
 * Where AWS SDK v3 lives for handlers: AWS's nodejs20.x runtime ships the SDK, so `require`
 * from a CommonJS handler finds it through NODE_PATH here too. Undefined when not installed.
 */
export function sdkNodePath(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@aws-sdk/client-sts/package.json');
    return dirname(dirname(dirname(pkg)));
  } catch {
    return undefined;
  }
}

export interface SandboxEnvInput {
  readonly fn: FunctionRecord;
  readonly taskRoot: string;
  readonly credentials: TemporaryCredentials;
  readonly logStream: string;
  readonly endpoint: string;
  readonly nodePath: string | undefined;
}

export function sandboxEnv({ fn, taskRoot, credentials, logStream, endpoint, nodePath }: SandboxEnvInput): Record<string, string> {
  return {
    ...fn.environment,
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    ...(nodePath ? { NODE_PATH: nodePath } : {}),
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupOf(fn.name),
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_ENDPOINT_URL: endpoint,
    // Not set by AWS, but this sandbox runs on a developer's machine: never let an SDK in the
    // handler fall back to the host's ~/.aws files or probe instance metadata.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
