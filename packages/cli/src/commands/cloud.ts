/**
 * `hangar cloud credentials [--account ID]`: root credentials of an account in the local cloud
 * that `hangar up` runs, as a profile for the aws CLI or an SDK pointed at it. Talks to the
 * running cloud's admin route with the admin token from its data dir (only this user can read
 * it); imports nothing of the cloud itself. These are keys of the local stand-in, never of AWS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../context.js';
import { hangarHome } from '../config.js';

export interface CloudCredentialsOptions {
  readonly dataDir?: string;
  readonly account?: string;
}

/** The workload account `hangar up` creates and deploys into (see the embedded default's local accounts). */
export const WORKLOAD_ACCOUNT = '200000000002';
const PROFILE = 'hangar-local';
const REGION = 'us-east-1';

export async function cloudCredentials(ctx: CommandContext, options: CloudCredentialsOptions): Promise<number> {
  const err = (s: string) => ctx.stderr.write(`${s}\n`);
  const account = options.account ?? WORKLOAD_ACCOUNT;
  if (!/^\d{12}$/.test(account)) {
    err(`--account: expected an account id of 12 digits, got "${account}"`);
    return 2;
  }
  const dataDir = options.dataDir ? resolve(ctx.cwd, options.dataDir) : join(hangarHome(ctx.env, ctx.cwd), 'local');
  const cloudDir = join(dataDir, 'cloud');
  const tokenFile = join(cloudDir, 'admin-token');
  const endpointFile = join(cloudDir, 'endpoint');
  if (!existsSync(tokenFile) || !existsSync(endpointFile)) {
    err(`No local cloud is running on ${dataDir}: start it with \`hangar up\`${options.dataDir ? ` --data-dir ${options.dataDir}` : ''} (in another terminal), then run this again.`);
    return 1;
  }
  const token = readFileSync(tokenFile, 'utf8').trim();
  const endpoint = readFileSync(endpointFile, 'utf8').trim();
  const doFetch = ctx.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${endpoint}/_local/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId: account }),
    });
  } catch (e) {
    err(`Could not reach the local cloud at ${endpoint} (${(e as Error).message}): is \`hangar up\` still running?`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try { message = (JSON.parse(text) as { message?: string }).message ?? text; } catch { /* not JSON: show it as is */ }
    err(`The local cloud refused to create credentials (${res.status}): ${message}`);
    return 1;
  }
  const key = JSON.parse(text) as { accountId: string; accessKeyId: string; secretAccessKey: string };
  ctx.stdout.write([
    `[${PROFILE}]`,
    `aws_access_key_id = ${key.accessKeyId}`,
    `aws_secret_access_key = ${key.secretAccessKey}`,
    `region = ${REGION}`,
    `endpoint_url = ${endpoint}`,
    '',
  ].join('\n'));
  err(`Root credentials of local account ${key.accountId} in the local cloud at ${endpoint} (not AWS: they work only there).`);
  err(`Add the profile to your aws CLI files (credentials for the keys, config as [profile ${PROFILE}] for region and endpoint_url), then e.g. \`aws --profile ${PROFILE} lambda list-functions\`.`);
  return 0;
}
