import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { HangarError } from '@hangar/core';
import { parseS3BlobUrl } from './source/s3-blob-store.js';
import type { EngineConfig } from './types.js';
import { parseSecretKey, SECRET_KEY_FORMAT } from './keys/secret.js';

/** Engine settings as a person writes them; `resolveConfig` turns them into a frozen EngineConfig. */
export const engineSettingsSchema = z.object({
  dataDir: z.string().min(1).describe('Folder for the SQLite database and the blob store.'),
  publicUrl: z.url({ protocol: /^https?$/ }).optional().describe('The URL clients and AWS (OIDC) reach the engine at; default http://127.0.0.1:<port>.'),
  databaseUrl: z.string().min(1)
    .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^(postgres(ql)?|sqlite):\/\//i.test(v), 'expected postgres://… or a SQLite file path')
    .refine((v) => !/^postgres(ql)?:\/\//i.test(v) || URL.canParse(v), 'expected a PostgreSQL URL such as postgres://user@host:5432/hangar')
    .optional().describe('postgres://… for PostgreSQL; a file path or sqlite:<path> for SQLite; default <dataDir>/hangar.db.'),
  port: z.number({ error: 'expected a whole number' }).int().min(0, 'expected 0 to 65535').max(65535, 'expected 0 to 65535').default(7300),
  host: z.string().regex(/^\S+$/, 'expected an address such as 127.0.0.1, without spaces').default('127.0.0.1'),
  aws: z.object({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region such as us-east-1').default('us-east-1'),
    endpoint: z.url({ protocol: /^https?$/ }).optional().describe('Only for the local cloud or an AWS-compatible endpoint.'),
    // Both or neither: without them the engine uses the AWS SDK's default provider chain (task role, instance profile, web identity).
    accessKeyId: z.string().min(16, 'expected an access key id (16 or more characters)').optional(),
    secretAccessKey: z.string().min(16, 'expected a secret access key (16 or more characters)').optional(),
  }).superRefine((a, ctx) => {
    if ((a.accessKeyId === undefined) === (a.secretAccessKey === undefined)) return;
    const missing = a.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'the access key id and the secret access key are set together or not at all' });
  }).prefault({}),
  limits: z.object({
    maxFiles: z.number().int().positive().default(50_000),
    maxTotalBytes: z.number().int().positive().default(512 * 1024 * 1024),
    maxFileBytes: z.number().int().positive().default(100 * 1024 * 1024),
    maxManifestEntries: z.number({ error: 'expected a whole number of entries' }).int().positive().max(1_000_000).default(20_000)
      .describe('Most entries one manifest (or a delta and the manifest it gives) may list; refused with SOURCE_LIMIT_EXCEEDED before anything is stored.'),
  }).prefault({}),
  blob: z.object({
    url: z.string().refine((v) => parseS3BlobUrl(v) !== undefined, 'expected s3://<bucket>/<optional prefix>, with a valid bucket name (3-63 of a-z 0-9 . -)')
      .optional().describe('Where blobs (uploaded files) are kept: unset for <dataDir>/blobs, or an S3 bucket s3://bucket/prefix shared by every engine.'),
    endpoint: z.url({ protocol: /^https?$/ }).optional().describe('The S3 endpoint for the blob bucket (MinIO, the local cloud); default aws.endpoint, else AWS.'),
  }).prefault({}),
  workers: z.number({ error: 'expected a whole number' }).int().min(0, 'expected 0 to 64').max(64, 'expected 0 to 64').default(2),
  orgConcurrency: z.number({ error: 'expected a whole number' }).int().min(1, 'expected 1 to 1000').max(1000, 'expected 1 to 1000').default(4)
    .describe('Most deployments of one org running at once, across all engines sharing the database.'),
  leaseMs: z.number({ error: 'expected a whole number of milliseconds' }).int().min(100, 'expected 100 to 3600000 (ms)').max(3_600_000, 'expected 100 to 3600000 (ms)').default(30_000)
    .describe('A running deployment whose engine has not renewed its heartbeat for this long is failed as interrupted by another engine.'),
  appParallelism: z.number({ error: 'expected a whole number' }).int().min(1, 'expected 1 to 100').max(100, 'expected 1 to 100').default(4)
    .describe('Most instances of one app deployment queued or running at once; the others wait for a free place (or for the instances they reference).'),
  blobRetainDeployments: z.number({ error: 'expected a whole number of deployments' }).int().min(1, 'expected 1 to 10000').max(10_000, 'expected 1 to 10000').default(10)
    .describe('Garbage collection keeps the manifests (and their blobs and packages) of the last this-many deployments of each instance, plus uploads of the last 24 h.'),
  blobGcMinutes: z.number({ error: 'expected a whole number of minutes' }).int().min(0, 'expected 0 to 10080').max(10_080, 'expected 0 to 10080').default(60)
    .describe('How often the source cache is garbage collected; 0 turns it off.'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected debug, info, warn or error' }).default('info'),
  migrate: z.boolean({ error: 'expected on or off' }).default(true).describe('Bring the database schema up to date at start; off: refuse to start on a database that is behind.'),
  shutdownGraceSeconds: z.number({ error: 'expected a whole number of seconds' }).int().min(0).max(86_400).default(30)
    .describe('On SIGTERM/SIGINT, how long running deployments get to finish before the engine exits.'),
  audit: z.object({
    checkpointEvery: z.number().int().min(1).max(1_000_000).default(100).describe('Sign an audit checkpoint after this many new events of an org.'),
    checkpointMinutes: z.number().int().min(1).max(1440).default(15).describe('Sign a checkpoint of every org with new events at least this often.'),
  }).prefault({}),
  secretKey: z.string().refine((v) => parseSecretKey(v) !== undefined, `expected ${SECRET_KEY_FORMAT}`).optional()
    .describe('Encrypts the signing keys stored in the database; the same on every engine sharing it. Unset: generated once into <dataDir>/secret-key.'),
  ci: z.object({
    allowInsecureIssuers: z.boolean({ error: 'expected 1 (true) or 0 (false)' }).default(false)
      .describe('Accept loopback http OIDC issuers in CI trusts (tests, the local cloud); never for a real deployment.'),
  }).prefault({}),
});
export type EngineSettings = z.input<typeof engineSettingsSchema>;

/** What `runEngineServer` needs: the engine's config and where to listen. */
export interface EngineServerOptions {
  readonly config: EngineConfig;
  readonly port: number;
  readonly host: string;
  /** Lowest level the default logger writes. */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Run migrations at start (default); when false, refuse to start on a database that is behind. */
  readonly migrate: boolean;
  /** How long a draining engine waits for running deployments, in ms. */
  readonly shutdownGraceMs: number;
}

export function parseDatabaseUrl(value: string | undefined, dataDir: string): EngineConfig['database'] {
  if (!value) return { kind: 'sqlite', path: join(dataDir, 'hangar.db') };
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value };
  const path = value.replace(/^sqlite:(\/\/)?/, '');
  return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(dataDir, path) };
}

function problems(error: z.ZodError, name: (path: PropertyKey[]) => string): string {
  return error.issues.map((i) => `${name(i.path)}: ${i.message}`).join('; ');
}

/** Validate settings, fill defaults, and freeze. Throws ENGINE_CONFIG_INVALID naming each bad setting. */
export function resolveConfig(settings: EngineSettings): EngineServerOptions {
  const r = engineSettingsSchema.safeParse(settings);
  if (!r.success) {
    throw new HangarError('ENGINE_CONFIG_INVALID', `Engine settings are not valid: ${problems(r.error, (p) => p.map(String).join('.'))}`);
  }
  return freeze(r.data);
}

function blobsOf(s: z.output<typeof engineSettingsSchema>): Pick<EngineConfig, 'blobs'> {
  const where = s.blob.url === undefined ? undefined : parseS3BlobUrl(s.blob.url);
  if (!where) return {};
  const endpoint = (s.blob.endpoint ?? s.aws.endpoint)?.replace(/\/+$/, '');
  return { blobs: Object.freeze({ kind: 's3' as const, ...where, ...(endpoint ? { endpoint } : {}) }) };
}

function freeze(s: z.output<typeof engineSettingsSchema>): EngineServerOptions {
  const dataDir = resolve(s.dataDir);
  const config: EngineConfig = {
    publicUrl: (s.publicUrl ?? `http://${s.host === '0.0.0.0' ? '127.0.0.1' : s.host}:${s.port}`).replace(/\/+$/, ''),
    dataDir,
    database: Object.freeze(parseDatabaseUrl(s.databaseUrl, dataDir)),
    aws: Object.freeze({
      region: s.aws.region,
      ...(s.aws.endpoint ? { endpoint: s.aws.endpoint.replace(/\/+$/, '') } : {}),
      ...(s.aws.accessKeyId && s.aws.secretAccessKey
        ? { credentials: Object.freeze({ accessKeyId: s.aws.accessKeyId, secretAccessKey: s.aws.secretAccessKey }) }
        : {}),
    }),
    limits: Object.freeze({ ...s.limits }),
    ...blobsOf(s),
    workers: s.workers,
    queue: Object.freeze({ orgConcurrency: s.orgConcurrency, leaseMs: s.leaseMs }),
    apps: Object.freeze({ parallelism: s.appParallelism }),
    sourceGc: Object.freeze({ retainDeployments: s.blobRetainDeployments, intervalMs: s.blobGcMinutes * 60_000 }),
    audit: Object.freeze({ checkpointEvery: s.audit.checkpointEvery, checkpointIntervalMs: s.audit.checkpointMinutes * 60_000 }),
    ci: Object.freeze({ allowInsecureIssuers: s.ci.allowInsecureIssuers }),
    ...(s.secretKey !== undefined ? { secretKey: s.secretKey.trim() } : {}),
  };
  return Object.freeze({
    config: Object.freeze(config), port: s.port, host: s.host, logLevel: s.logLevel, migrate: s.migrate, shutdownGraceMs: s.shutdownGraceSeconds * 1000,
  });
}

/** Which environment variable feeds which setting (also how errors name the variable). */
const envNames: Readonly<Record<string, string>> = {
  dataDir: 'HANGAR_DATA_DIR',
  publicUrl: 'HANGAR_PUBLIC_URL',
  databaseUrl: 'HANGAR_DATABASE_URL',
  port: 'HANGAR_PORT',
  host: 'HANGAR_HOST',
  'aws.region': 'HANGAR_AWS_REGION',
  'aws.endpoint': 'HANGAR_AWS_ENDPOINT',
  'aws.accessKeyId': 'HANGAR_ENGINE_ACCESS_KEY_ID',
  'aws.secretAccessKey': 'HANGAR_ENGINE_SECRET_ACCESS_KEY',
  'blob.url': 'HANGAR_BLOB_URL',
  'blob.endpoint': 'HANGAR_BLOB_ENDPOINT',
  workers: 'HANGAR_WORKERS',
  orgConcurrency: 'HANGAR_ORG_CONCURRENCY',
  leaseMs: 'HANGAR_LEASE_MS',
  appParallelism: 'HANGAR_APP_PARALLELISM',
  logLevel: 'HANGAR_LOG_LEVEL',
  blobRetainDeployments: 'HANGAR_BLOB_RETAIN_DEPLOYMENTS',
  blobGcMinutes: 'HANGAR_BLOB_GC_MINUTES',
  'audit.checkpointEvery': 'HANGAR_AUDIT_CHECKPOINT_EVERY',
  'audit.checkpointMinutes': 'HANGAR_AUDIT_CHECKPOINT_MINUTES',
  'ci.allowInsecureIssuers': 'HANGAR_CI_ALLOW_INSECURE_ISSUERS',
  migrate: 'HANGAR_MIGRATE',
  shutdownGraceSeconds: 'HANGAR_SHUTDOWN_GRACE',
  'limits.maxManifestEntries': 'HANGAR_MAX_MANIFEST_ENTRIES',
  secretKey: 'HANGAR_SECRET_KEY',
};

/** Every variable the engine reads (docs/engine-config.md lists each). */
export const ENGINE_ENV_VARS: readonly string[] = Object.freeze(Object.values(envNames));

const fixes: Record<string, string> = {
  HANGAR_DATA_DIR: 'set it to a folder the engine may write to, e.g. /var/lib/hangar',
  HANGAR_DATABASE_URL: 'set it to postgres://user@host:5432/db, or to a SQLite file path (or leave it unset for <data dir>/hangar.db)',
  HANGAR_ENGINE_ACCESS_KEY_ID: "set it to the access key id of the engine's own IAM identity together with HANGAR_ENGINE_SECRET_ACCESS_KEY, or unset both to use the AWS SDK's default chain (task role, instance profile)",
  HANGAR_ENGINE_SECRET_ACCESS_KEY: "set it to the secret of the engine's own IAM identity together with HANGAR_ENGINE_ACCESS_KEY_ID, or unset both to use the AWS SDK's default chain",
  HANGAR_PORT: 'set it to a port number from 0 to 65535',
  HANGAR_HOST: 'set it to the address to listen on, e.g. 127.0.0.1 or 0.0.0.0',
  HANGAR_PUBLIC_URL: 'set it to the http(s) URL clients use to reach the engine, e.g. https://hangar.example.com',
  HANGAR_AWS_ENDPOINT: 'leave it unset for real AWS, or set an http(s) URL',
  HANGAR_AWS_REGION: 'set it to an AWS region such as us-east-1',
  HANGAR_BLOB_URL: 'set it to s3://<bucket>/<prefix> (the bucket the engines share), or leave it unset to keep blobs under the data dir',
  HANGAR_BLOB_ENDPOINT: 'leave it unset for real S3 (or to use HANGAR_AWS_ENDPOINT), or set the http(s) URL of an S3-compatible endpoint',
  HANGAR_WORKERS: 'set it to a whole number from 0 to 64',
  HANGAR_ORG_CONCURRENCY: 'set it to a whole number of deployments from 1 to 1000 (default 4)',
  HANGAR_LEASE_MS: 'set it to a whole number of milliseconds from 100 to 3600000 (default 30000)',
  HANGAR_APP_PARALLELISM: 'set it to a whole number of instances from 1 to 100 (default 4)',
  HANGAR_AUDIT_CHECKPOINT_EVERY: 'set it to a whole number of events, 1 or more (default 100)',
  HANGAR_AUDIT_CHECKPOINT_MINUTES: 'set it to a whole number of minutes from 1 to 1440 (default 15)',
  HANGAR_CI_ALLOW_INSECURE_ISSUERS: 'set it to 1 only for tests or the local cloud, or leave it unset (0)',
  HANGAR_LOG_LEVEL: 'set it to debug, info, warn or error',
  HANGAR_BLOB_RETAIN_DEPLOYMENTS: 'set it to a whole number of deployments from 1 to 10000 (default 10)',
  HANGAR_BLOB_GC_MINUTES: 'set it to a whole number of minutes from 0 (off) to 10080 (default 60)',
  HANGAR_MIGRATE: 'set it to on (the default) or off',
  HANGAR_SHUTDOWN_GRACE: 'set it to a whole number of seconds from 0 to 86400 (default 30)',
  HANGAR_MAX_MANIFEST_ENTRIES: 'set it to a whole number of manifest entries from 1 to 1000000 (default 20000)',
  HANGAR_SECRET_KEY: 'generate one with `openssl rand -hex 32` and give every engine on the database the same value (or leave it unset with a single engine: one is kept in <data dir>/secret-key)',
};

/** Variables whose value must never appear in a message. */
const secretVars = new Set(['HANGAR_ENGINE_SECRET_ACCESS_KEY', 'HANGAR_DATABASE_URL', 'HANGAR_SECRET_KEY']);

function onOff(v: string | undefined): boolean | string | undefined {
  if (v === undefined) return undefined;
  const l = v.toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(l)) return true;
  if (['off', 'false', '0', 'no'].includes(l)) return false;
  return v;
}

function numberOrRaw(v: string | undefined): number | string | undefined {
  if (v === undefined || v === '') return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/**
 * Read the engine's settings from HANGAR_* environment variables (pass `process.env`). Values are
 * validated once; an error names the variable, what is wrong and how to fix it. The secret is
 * never part of a message.
 */
export function loadConfigFromEnv(env: Readonly<Record<string, string | undefined>>): EngineServerOptions {
  const v = (k: string) => (env[k] === '' ? undefined : env[k]);
  const home = v('HOME') ?? homedir();
  const raw = {
    dataDir: v('HANGAR_DATA_DIR') ?? join(home, '.hangar', 'engine'),
    publicUrl: v('HANGAR_PUBLIC_URL'),
    databaseUrl: v('HANGAR_DATABASE_URL'),
    port: numberOrRaw(v('HANGAR_PORT')),
    host: v('HANGAR_HOST'),
    aws: {
      region: v('HANGAR_AWS_REGION'),
      endpoint: v('HANGAR_AWS_ENDPOINT'),
      accessKeyId: v('HANGAR_ENGINE_ACCESS_KEY_ID'),
      secretAccessKey: v('HANGAR_ENGINE_SECRET_ACCESS_KEY'),
    },
    blob: { url: v('HANGAR_BLOB_URL'), endpoint: v('HANGAR_BLOB_ENDPOINT') },
    workers: numberOrRaw(v('HANGAR_WORKERS')),
    orgConcurrency: numberOrRaw(v('HANGAR_ORG_CONCURRENCY')),
    leaseMs: numberOrRaw(v('HANGAR_LEASE_MS')),
    appParallelism: numberOrRaw(v('HANGAR_APP_PARALLELISM')),
    audit: {
      checkpointEvery: numberOrRaw(v('HANGAR_AUDIT_CHECKPOINT_EVERY')),
      checkpointMinutes: numberOrRaw(v('HANGAR_AUDIT_CHECKPOINT_MINUTES')),
    },
    logLevel: v('HANGAR_LOG_LEVEL'),
    blobRetainDeployments: numberOrRaw(v('HANGAR_BLOB_RETAIN_DEPLOYMENTS')),
    blobGcMinutes: numberOrRaw(v('HANGAR_BLOB_GC_MINUTES')),
    ci: { allowInsecureIssuers: onOff(v('HANGAR_CI_ALLOW_INSECURE_ISSUERS')) },
    migrate: onOff(v('HANGAR_MIGRATE')),
    shutdownGraceSeconds: numberOrRaw(v('HANGAR_SHUTDOWN_GRACE')),
    limits: { maxManifestEntries: numberOrRaw(v('HANGAR_MAX_MANIFEST_ENTRIES')) },
    secretKey: v('HANGAR_SECRET_KEY'),
  };
  const r = engineSettingsSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = i.path.map(String).join('.');
      const name = envNames[key] ?? key;
      const value = env[name] === '' ? undefined : env[name];
      // Zod does not report the input by default; whether the variable is set is read from the environment itself.
      const what = value === undefined ? `it is not set (${i.message})` : secretVars.has(name) ? i.message : `${JSON.stringify(value)} is not valid: ${i.message}`;
      return `${name}: ${what}${fixes[name] ? `; ${fixes[name]}` : ''}`;
    });
    throw new HangarError('ENGINE_CONFIG_INVALID', `The engine's environment is not valid: ${lines.join('; ')}.`);
  }
  return freeze(r.data);
}
