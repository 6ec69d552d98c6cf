/**
 * The environment variables of a sandbox, built from scratch (never from the server's own
 * process.env): the function's variables plus what AWS's nodejs20.x runtime sets.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
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

/**
 * What a sandbox may read to `require` the provided SDK: every `@aws-sdk/*` package under
 * `nodePath` and, transitively, the packages they depend on (their real paths, and the paths
 * under `nodePath` that lead to them), nothing else of the installation.
 */
export function sdkReadPaths(nodePath: string | undefined): string[] {
  if (!nodePath || !existsSync(join(nodePath, '@aws-sdk'))) return [];
  const out = new Set<string>();
  const seen = new Set<string>();
  const queue = readdirSync(join(nodePath, '@aws-sdk')).map((n) => join(nodePath, '@aws-sdk', n));
  const find = (from: string, dep: string): string | undefined => {
    for (let dir = from; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', dep);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (dirname(dir) === dir) return undefined;
    }
  };
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (!existsSync(join(dir, 'package.json'))) continue;
    const real = realpathSync(dir);
    out.add(dir);
    if (seen.has(real)) continue;
    seen.add(real);
    out.add(real);
    const pkg = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) {
      const found = find(real, dep);
      if (found) queue.push(found);
    }
  }
  return [...out].sort();
}

/**
 * The folder a handler's NODE_PATH names for the provided SDK. AWS's runtime has the SDK and its
 * dependencies there (`/var/runtime/node_modules`) and nothing else; the installation's
 * `node_modules` holds much more (the local cloud's own packages). Named directly, a handler's
 * `require('express')` without express in its package found it there and then failed on the
 * sandbox's read permission ("Access to this API has been restricted") instead of AWS's
 * `Runtime.ImportModuleError: Cannot find module 'express'`. So `dir` is made afresh with a link to
 * each of the SDK's packages at the top of `nodePath` (from `readPaths`, see sdkReadPaths); Node
 * follows the links to the real folders, which the sandbox may read. Undefined without an SDK.
 */
export function sdkRuntimeModules(nodePath: string | undefined, readPaths: readonly string[], dir: string): string | undefined {
  if (!nodePath || readPaths.length === 0) return undefined;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const p of readPaths) {
    const parent = dirname(p);
    const topLevel = parent === nodePath || (dirname(parent) === nodePath && basename(parent).startsWith('@'));
    if (!topLevel) continue;
    const link = join(dir, relative(nodePath, p));
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(p), link, 'dir');
  }
  return dir;
}

/**
 * The function's own variables that could carry it out of the sandbox, so they are not passed
 * to its process: dynamic-linker and libc variables (LD_PRELOAD loads native code before Node
 * starts), OpenSSL configuration (can load a provider library), Node's own variables (NODE_OPTIONS
 * can grant --allow-fs-read=* or --allow-child-process; NODE_V8_COVERAGE and
 * NODE_REDIRECT_WARNINGS write files). NODE_ENV passes, and NODE_OPTIONS passes when it holds
 * only the harmless options below.
 */
export function unsafeEnvNames(vars: Record<string, string>): string[] {
  return Object.keys(vars).filter((k) => {
    const name = k.toUpperCase();
    if (name === 'NODE_ENV') return false;
    if (name === 'NODE_OPTIONS') return !safeNodeOptions(vars[k] ?? '');
    return /^(LD_|NODE_|OPENSSL_|SSL_CERT_|MALLOC_|GLIBC_)/.test(name) ||
      ['GCONV_PATH', 'GETCONF_DIR', 'HOSTALIASES', 'LOCALDOMAIN', 'LOCPATH', 'NIS_PATH', 'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS', 'TZDIR', 'TMPDIR'].includes(name);
  });
}

const SAFE_NODE_OPTIONS = /^(--enable-source-maps|--no-deprecation|--no-warnings|--trace-warnings|--trace-deprecation|--trace-uncaught|--stack-trace-limit=\d+|--unhandled-rejections=[a-z-]+|--max-old-space-size=\d+)$/;

function safeNodeOptions(value: string): boolean {
  return value.trim().split(/\s+/).filter(Boolean).every((o) => SAFE_NODE_OPTIONS.test(o));
}

export interface SandboxEnvInput {
  readonly fn: FunctionRecord;
  readonly taskRoot: string;
  /** The environment's own temporary folder (TMPDIR, as /tmp is on Lambda). */
  readonly tmpDir: string;
  readonly credentials: TemporaryCredentials;
  readonly logStream: string;
  readonly endpoint: string;
  readonly nodePath: string | undefined;
}

export function sandboxEnv({ fn, taskRoot, tmpDir, credentials, logStream, endpoint, nodePath }: SandboxEnvInput): Record<string, string> {
  const own: Record<string, string> = { ...fn.environment };
  for (const k of unsafeEnvNames(own)) delete own[k];
  return {
    ...own,
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    ...(nodePath ? { NODE_PATH: nodePath } : {}),
    LAMBDA_TASK_ROOT: taskRoot,
    TMPDIR: tmpDir,
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
