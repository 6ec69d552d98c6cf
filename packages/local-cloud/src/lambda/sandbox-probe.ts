/**
 * A Lambda handler (ESM source) that tries to get out of the sandbox, for tests: it attempts every
 * read, spawn and call a hostile function would, and answers what worked. Invoke it directly with
 * `{paths, dirs, addon}` or through an HTTP API with that JSON as the request body. Each attempt
 * answers `{allowed: true, value}` or `{allowed: false, code}`.
 *
 * - `deny`: attempts that must all fail: host and parent environment, /etc/passwd, `paths` and
 *   `dirs` given by the test (data dir, HANGAR_HOME, ~/.aws...), processes, workers, the
 *   inspector, native addons, WASI, signalling the parent, the cloud's /_local/* admin routes,
 *   writing its own code, escaping its temp dir through a symlink or hard link.
 * - `allow`: what a function must still do: read its own files, write its temp dir, call the
 *   cloud's AWS APIs with its role through the provided SDK.
 */
export const SANDBOX_PROBE = String.raw`
import { linkSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

const attempt = async (f) => {
  try {
    const v = await f();
    return { allowed: true, value: typeof v === 'string' ? v.slice(0, 300) : v === undefined ? null : v };
  } catch (e) {
    return { allowed: false, code: String((e && (e.code || e.name)) || e) };
  }
};
const httpStatus = async (res) => {
  const text = await res.text();
  if (res.status >= 400) throw Object.assign(new Error(text), { code: 'HTTP ' + res.status });
  return text;
};

export const handler = async (event) => {
  const raw = event && typeof event.body === 'string' ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : undefined;
  const input = raw ? JSON.parse(raw) : (event || {});
  const paths = {
    'etc passwd': '/etc/passwd',
    'parent environ': '/proc/' + process.ppid + '/environ',
    'parent cmdline': '/proc/' + process.ppid + '/cmdline',
    'pid 1 environ': '/proc/1/environ',
    'own environ': '/proc/self/environ',
    'home aws credentials': join(homedir(), '.aws', 'credentials'),
    ...(input.paths || {}),
  };
  const deny = {};
  for (const [name, p] of Object.entries(paths)) deny['read ' + name] = await attempt(() => readFileSync(p, 'utf8'));
  for (const [name, p] of Object.entries({ 'proc': '/proc', 'etc': '/etc', ...(input.dirs || {}) })) {
    deny['list ' + name] = await attempt(() => readdirSync(p).join(','));
  }
  const cp = require('node:child_process');
  deny['spawn sync'] = await attempt(() => cp.execFileSync('/bin/sh', ['-c', 'id']).toString());
  deny['spawn'] = await attempt(() => new Promise((resolve, reject) => {
    const c = cp.spawn('/bin/sh', ['-c', 'id']);
    c.on('error', reject);
    c.on('exit', (code) => resolve('exited ' + code));
  }));
  deny['worker'] = await attempt(() => new Promise((resolve, reject) => {
    const { Worker } = require('node:worker_threads');
    const w = new Worker('require("node:fs").readFileSync("/etc/passwd", "utf8")', { eval: true });
    w.on('error', reject);
    w.on('exit', (code) => resolve('exited ' + code));
  }));
  deny['inspector'] = await attempt(() => {
    const inspector = require('node:inspector');
    inspector.open(0);
    return inspector.url();
  });
  deny['inspector session'] = await attempt(() => {
    const { Session } = require('node:inspector');
    const s = new Session();
    s.connect();
    return 'connected';
  });
  deny['native addon'] = await attempt(() => {
    const m = { exports: {} };
    process.dlopen(m, input.addon || '/usr/lib/x86_64-linux-gnu/libc.so.6');
    return 'loaded';
  });
  deny['wasi'] = await attempt(() => {
    const { WASI } = require('node:wasi');
    return typeof new WASI({ version: 'preview1', preopens: { '/host': '/' } });
  });
  deny['process.binding'] = await attempt(() => typeof process.binding('fs'));
  deny['signal parent'] = await attempt(() => process.kill(process.ppid, 0));
  deny['signal pid 1'] = await attempt(() => process.kill(1, 0));
  deny['write own code'] = await attempt(() => writeFileSync(new URL('./written.txt', import.meta.url), 'x'));
  deny['symlink out of tmp'] = await attempt(() => {
    symlinkSync('/etc/passwd', join(tmpdir(), 'passwd-link'));
    return readFileSync(join(tmpdir(), 'passwd-link'), 'utf8');
  });
  deny['hard link out of tmp'] = await attempt(() => {
    linkSync('/etc/passwd', join(tmpdir(), 'passwd-hard'));
    return readFileSync(join(tmpdir(), 'passwd-hard'), 'utf8');
  });
  deny['admin route'] = await attempt(async () => httpStatus(await fetch(process.env.AWS_ENDPOINT_URL + '/_local/accounts', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
  })));

  const allow = {};
  allow['own file'] = await attempt(() => readFileSync(new URL('./data.txt', import.meta.url), 'utf8'));
  allow['tmp write'] = await attempt(() => {
    const f = join(tmpdir(), 'probe.txt');
    writeFileSync(f, 'written in tmp');
    return readFileSync(f, 'utf8');
  });
  allow['sdk with role'] = await attempt(async () => {
    const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
    const sts = new STSClient({});
    try {
      return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    } finally {
      sts.destroy();
    }
  });
  // A known gap, reported but not counted: Node 20's permission model lets the names in '/' be
  // listed when the granted paths branch right under it (a bug in its path tree); nothing below.
  const known = { 'list root dir': await attempt(() => readdirSync('/').join(',')) };
  const body = JSON.stringify({ deny, allow, known, tmpdir: tmpdir(), pid: process.pid, env: process.env });
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
};
`;

/** What the probe answers. */
export interface ProbeAttempt {
  readonly allowed: boolean;
  readonly value?: unknown;
  readonly code?: string;
}
export interface ProbeReport {
  readonly deny: Record<string, ProbeAttempt>;
  readonly allow: Record<string, ProbeAttempt>;
  readonly known: Record<string, ProbeAttempt>;
  readonly tmpdir: string;
  readonly pid: number;
  readonly env: Record<string, string>;
}

/** The attempts that got through (should be none). */
export function escapes(report: ProbeReport): string[] {
  return Object.entries(report.deny).filter(([, a]) => a.allowed).map(([name, a]) => `${name}: ${JSON.stringify(a.value).slice(0, 120)}`);
}

/** What the function could not do but must (should be none). */
export function breakages(report: ProbeReport): string[] {
  return Object.entries(report.allow).filter(([, a]) => !a.allowed).map(([name, a]) => `${name}: ${a.code ?? ''}`);
}
