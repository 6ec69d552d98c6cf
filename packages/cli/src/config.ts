/**
 * The CLI's login: `$HANGAR_HOME/config.json` (default `~/.hangar`; folder 0700, file 0600)
 * holding `{ url, token, orgId }`. `HANGAR_URL`, `HANGAR_TOKEN` and `HANGAR_ORG` override it (CI).
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { HangarError } from '@hangar/core';

export interface StoredLogin {
  readonly url: string;
  readonly token: string;
  readonly orgId: string;
}

export function hangarHome(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const set = env.HANGAR_HOME;
  if (set) return isAbsolute(set) ? set : resolve(cwd, set);
  return join(env.HOME || env.USERPROFILE || homedir(), '.hangar');
}

export function configPath(home: string): string {
  return join(home, 'config.json');
}

export function readLogin(home: string): StoredLogin | undefined {
  let text: string;
  try {
    text = readFileSync(configPath(home), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<StoredLogin>;
    if (typeof v.url === 'string' && typeof v.token === 'string' && typeof v.orgId === 'string') return { url: v.url, token: v.token, orgId: v.orgId };
  } catch {
    // fall through: a damaged file is reported below
  }
  throw new HangarError('CLI_NOT_LOGGED_IN', `${configPath(home)} is damaged. Run \`hangar logout\` and then \`hangar login\` again.`);
}

export function writeLogin(home: string, login: StoredLogin): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  const file = configPath(home);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ url: login.url, token: login.token, orgId: login.orgId }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function removeLogin(home: string): boolean {
  try {
    readFileSync(configPath(home));
  } catch {
    return false;
  }
  rmSync(configPath(home), { force: true });
  return true;
}

export function normalizeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HangarError('VALIDATION_FAILED', `--url: expected the engine's URL, e.g. http://127.0.0.1:7300, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new HangarError('VALIDATION_FAILED', `--url: expected an http(s) URL, got ${JSON.stringify(url)}`);
  }
  return u.toString().replace(/\/+$/, '');
}
