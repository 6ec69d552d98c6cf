/**
 * `hangar-engine check`: is this engine ready to serve? Validates every HANGAR_* setting, reaches
 * the database, asks STS who the engine is (GetCallerIdentity with the engine's own identity) and
 * looks at the OIDC issuer AWS would have to reach. One line per finding, each wrong one with its
 * fix; exit 0 when nothing is wrong (warnings allowed), 1 otherwise. Changes nothing.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { isHangarError } from '@hangar/core';
import { loadConfigFromEnv, type EngineServerOptions } from '../config.js';
import { openEngineStore } from '../engine.js';
import { createLogger } from '../logger.js';
import { issuerProblem } from '../providers/issuer.js';
import { peekSecretKey } from '../keys/secret.js';
import { awsErrorFacts, stsClient, withSts } from '../providers/sts.js';
import { withoutPassword } from '../store/db.js';
import { probeBlobBucket } from '../source/blob-store-of.js';
import type { EngineIo } from './io.js';

type Mark = 'ok' | 'warn' | 'fail';
const symbol: Record<Mark, string> = { ok: '✔', warn: '!', fail: '✖' };

export async function check(io: EngineIo): Promise<number> {
  let failed = false;
  const say = (mark: Mark, text: string) => {
    if (mark === 'fail') failed = true;
    io.stdout.write(`${symbol[mark]} ${text}\n`);
  };

  let settings: EngineServerOptions;
  try {
    settings = loadConfigFromEnv(io.env);
  } catch (err) {
    if (!isHangarError(err)) throw err;
    // One line per bad variable: the message lists them separated by "; HANGAR_".
    const body = err.message.replace(/^The engine's environment is not valid: /, '').replace(/\.$/, '');
    for (const line of body.split(/; (?=HANGAR_)/)) say('fail', line);
    io.stdout.write(`${err.code}: fix the settings above (docs/engine-config.md), then run \`hangar-engine check\` again.\n`);
    return 1;
  }
  const { config } = settings;
  say('ok', `settings: listen on ${settings.host}:${settings.port}, public URL ${config.publicUrl}, data dir ${config.dataDir}, ${config.workers} worker(s), migrate ${settings.migrate ? 'on' : 'off'}, shutdown grace ${settings.shutdownGraceMs / 1000}s`);

  await checkDatabase(settings, say);
  await checkIdentity(settings, say);
  await checkBlobs(settings, say);

  const issuer = issuerProblem(config.publicUrl, config.aws.endpoint);
  if (!issuer) say('ok', `OIDC issuer ${config.publicUrl}: https and public, usable by web-identity providers (AWS must reach ${config.publicUrl}/.well-known/openid-configuration)`);
  else say('warn', `${issuer.message}${issuer.severity === 'error' ? ' Assume-role providers are not affected; creating a web-identity provider will be refused.' : ''}`);

  io.stdout.write(failed ? 'ENGINE_CHECK_FAILED: fix the lines marked ✖, then run `hangar-engine check` again.\n' : 'The engine is ready: `hangar-engine serve`.\n');
  return failed ? 1 : 0;
}

async function checkDatabase(settings: EngineServerOptions, say: (m: Mark, t: string) => void): Promise<void> {
  const { database } = settings.config;
  if (database.kind === 'sqlite' && !existsSync(database.path)) {
    const dir = existsSync(dirname(database.path)) ? dirname(database.path) : undefined;
    try {
      if (dir) accessSync(dir, constants.W_OK);
      say('ok', `database: SQLite at ${database.path} does not exist yet; \`serve\` (or \`bootstrap\`) creates it`);
    } catch {
      say('fail', `database: cannot create SQLite at ${database.path}: ${dir} is not writable; fix HANGAR_DATA_DIR / HANGAR_DATABASE_URL or the folder's owner`);
    }
    return;
  }
  const where = database.kind === 'sqlite' ? `SQLite at ${database.path}` : `PostgreSQL at ${withoutPassword(database.url)}`;
  const logger = createLogger({ level: 'error', write: () => {} });
  let store;
  try {
    store = await openEngineStore({ config: settings.config, logger });
    const pending = await store.pending();
    if (pending.length === 0) say('ok', `database: ${where} reached, schema up to date`);
    else if (settings.migrate) say('ok', `database: ${where} reached; ${pending.length} migration(s) will be applied when \`serve\` starts`);
    else say('fail', `database: ${where} reached but ${pending.length} migration(s) are not applied and HANGAR_MIGRATE=off: \`serve\` would refuse to start (ENGINE_DATABASE_BEHIND); run it once with HANGAR_MIGRATE=on`);
    await checkSecret(settings, await store.keyring.storedSecretIds(), say);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    say('fail', `database: ${where} could not be reached: ${why}. Check HANGAR_DATABASE_URL (host, port, user, database name) and that the server accepts connections from this host`);
  } finally {
    await store?.close();
  }
}

/** Whether this engine's secret opens the signing keys in the database (ENGINE_SECRET_KEY_MISMATCH at start otherwise). */
async function checkSecret(settings: EngineServerOptions, stored: readonly string[], say: (m: Mark, t: string) => void): Promise<void> {
  const { config } = settings;
  const mine = await peekSecretKey({ dataDir: config.dataDir, ...(config.secretKey !== undefined ? { secretKey: config.secretKey } : {}) });
  const from = config.secretKey !== undefined ? 'HANGAR_SECRET_KEY' : mine ? `${mine.file} (HANGAR_SECRET_KEY is not set)` : undefined;
  if (stored.length > 0 && (!mine || !stored.includes(mine.id))) {
    say('fail', `secret key: the signing keys in the database were encrypted with secret key id ${stored.join(', ')}, but ${from ? `${from} has id ${mine!.id}` : `HANGAR_SECRET_KEY is not set and ${config.dataDir} has no secret-key`}; \`serve\` would stop with ENGINE_SECRET_KEY_MISMATCH. Set HANGAR_SECRET_KEY to the value the other engines on this database use`);
    return;
  }
  if (config.database.kind === 'postgres' && config.secretKey === undefined) {
    say('warn', `secret key: HANGAR_SECRET_KEY is not set; this engine uses ${mine ? mine.file : `one it generates into ${config.dataDir}/secret-key`}. Every further engine on this database needs that value as HANGAR_SECRET_KEY (docs/scale-out.md#signing-keys)`);
    return;
  }
  say('ok', `secret key: ${from ?? `generated into ${config.dataDir}/secret-key at the first start`}${stored.length > 0 ? ' opens the signing keys in the database' : ''}`);
}

async function checkIdentity(settings: EngineServerOptions, say: (m: Mark, t: string) => void): Promise<void> {
  const { aws } = settings.config;
  const source = aws.credentials ? 'HANGAR_ENGINE_ACCESS_KEY_ID' : "the AWS SDK's default provider chain (no HANGAR_ENGINE_ACCESS_KEY_ID set)";
  const endpoint = aws.endpoint ? ` at ${aws.endpoint}` : '';
  try {
    const who = await withSts(stsClient(aws, aws.region), (c) => c.send(new GetCallerIdentityCommand({})));
    say('ok', `engine identity: ${who.Arn} (account ${who.Account}), from ${source}; sts:GetCallerIdentity${endpoint} answered`);
  } catch (err) {
    const f = awsErrorFacts(err);
    const fix = aws.credentials
      ? 'check HANGAR_ENGINE_ACCESS_KEY_ID and HANGAR_ENGINE_SECRET_ACCESS_KEY (an active key of the engine\'s IAM user)' + (aws.endpoint ? ' and HANGAR_AWS_ENDPOINT' : '')
      : 'give the engine\'s host an IAM role (ECS task role, EC2 instance profile, EKS service account), or set HANGAR_ENGINE_ACCESS_KEY_ID and HANGAR_ENGINE_SECRET_ACCESS_KEY';
    const what = f.awsCode === 'CredentialsProviderError' ? 'no AWS credentials were found' : `STS refused it: ${f.awsCode}${f.message ? ` (${f.message})` : ''}${f.requestId ? `, request id ${f.requestId}` : ''}`;
    say('fail', `engine identity from ${source}${endpoint}: ${what}; ${fix}. See docs/aws.md`);
  }
}

async function checkBlobs(settings: EngineServerOptions, say: (m: Mark, t: string) => void): Promise<void> {
  const b = settings.config.blobs;
  if (!b) {
    say('ok', `blobs: on this machine under ${settings.config.dataDir}/blobs${settings.config.database.kind === 'postgres' ? '; several engines on one PostgreSQL database need a shared bucket (HANGAR_BLOB_URL=s3://…)' : ''}`);
    return;
  }
  const where = `s3://${b.bucket}/${b.prefix}${b.endpoint ? ` at ${b.endpoint}` : ''}`;
  try {
    await probeBlobBucket(settings.config);
    say('ok', `blobs: bucket ${where} reached with the engine's identity`);
  } catch (err) {
    const f = awsErrorFacts(err);
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const what = status === 404 || f.awsCode === 'NoSuchBucket'
      ? `the bucket ${b.bucket} does not exist; create it (docs/self-host.md#a-blob-bucket-several-engines) or fix HANGAR_BLOB_URL`
      : status === 403 || f.awsCode === 'AccessDenied' || f.awsCode === 'Forbidden'
        ? `the engine's identity may not use it (${f.awsCode}); grant it s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:AbortMultipartUpload on ${b.prefix || ''}* (docs/engine-config.md#blobs-in-s3)`
        : `${f.awsCode}${f.message ? ` (${f.message})` : ''}; check HANGAR_BLOB_URL${b.endpoint ? ' and HANGAR_BLOB_ENDPOINT / HANGAR_AWS_ENDPOINT' : ''}`;
    say('fail', `blobs: bucket ${where}: ${what}${f.requestId ? ` (request id ${f.requestId})` : ''}`);
  }
}
