/**
 * The CLI as a CI job installs it: `npm pack` of @hangar/cli and of @hangar/core (which it needs
 * and which is not published), both installed into an empty folder. No server code may come with
 * it (no engine, local cloud, better-sqlite3, Fastify, pg, nor any native module), and
 * `hangar deploy` from there deploys examples/hello-http to a running engine + local cloud
 * (started here with startEmbedded from @hangar/local, port 0, temp data dir), logged in only by
 * HANGAR_URL / HANGAR_TOKEN.
 *
 * The tarballs are packed from the built dist/ of this checkout (`npm test` builds first). The
 * install is `npm ci --offline` with a lock built from this repository's (so it needs only npm's
 * cache, filled by the repository's own `npm ci`); when the cache lacks something the test is
 * skipped with the reason, unless HANGAR_TEST_PACK=1, which lets npm use the network.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, run } from './processes.js';
import { startEmbedded, type Embedded } from '@hangar/local';
import { createLogger } from '@hangar/engine';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'hangar-packed-cli-'));
let embedded: Embedded | undefined;
after(async () => {
  await embedded?.close();
  rmSync(work, { recursive: true, force: true });
});

interface LockEntry {
  version?: string; resolved?: string; integrity?: string; link?: boolean; license?: string; engines?: unknown; bin?: unknown;
  dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
}

/**
 * A package-lock for the empty folder: the two tarballs, and every package they need at the exact
 * version, tarball URL and integrity this repository's lock pins (the ones `npm ci` put in npm's
 * cache), so `npm ci --offline` needs nothing but the cache. A dependency that this repository
 * provides only as a workspace (an unpublished @hangar package) is reported, not resolved.
 */
function lockFor(tarballs: ReadonlyArray<{ name: string; version: string; file: string; integrity: string }>): object {
  const repoLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const all = repoLock.packages;
  const locationOf = new Map(tarballs.map((t) => [t.name, `packages/${t.name.replace('@hangar/', '')}`]));
  const packages: Record<string, LockEntry> = {
    '': { dependencies: Object.fromEntries(tarballs.map((t) => [t.name, `file:${t.file}`])) },
  };
  const visit = (from: string, name: string): void => {
    if (locationOf.has(name)) return; // one of the tarballs
    // npm's lookup: node_modules folders from the requiring package up to the root.
    let at = from;
    let found: string | undefined;
    for (;;) {
      const candidate = `${at ? `${at}/` : ''}node_modules/${name}`;
      if (all[candidate]) { found = candidate; break; }
      if (!at) break;
      const i = at.lastIndexOf('/node_modules/');
      at = i >= 0 ? at.slice(0, i) : '';
    }
    assert.ok(found, `${name} (needed by ${from || 'the CLI'}) is not in package-lock.json`);
    const entry = all[found]!;
    assert.ok(!entry.link, `the packed CLI needs ${name}, which is a workspace of this repository (not published): ${found} -> ${entry.resolved}`);
    const target = found.replace(/^packages\/([^/]+)\//, (_m, ws: string) => `node_modules/@hangar/${ws}/`);
    if (packages[target]) return;
    packages[target] = entry;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) visit(found, dep);
  };
  for (const t of tarballs) {
    const pkg = JSON.parse(readFileSync(join(root, locationOf.get(t.name)!, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; bin?: unknown };
    packages[`node_modules/${t.name}`] = {
      version: t.version, resolved: `file:${t.file}`, integrity: t.integrity,
      ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}), ...(pkg.bin ? { bin: pkg.bin } : {}),
    };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(locationOf.get(t.name)!, dep);
  }
  return { name: 'ci-job', lockfileVersion: 3, requires: true, packages };
}

/** The names of all packages installed under a node_modules folder, at any depth. */
function packageNames(nodeModules: string, out: string[] = []): string[] {
  if (!existsSync(nodeModules)) return out;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const names = entry.name.startsWith('@')
      ? readdirSync(join(nodeModules, entry.name), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${entry.name}/${e.name}`)
      : [entry.name];
    for (const name of names) {
      out.push(name);
      packageNames(join(nodeModules, name, 'node_modules'), out);
    }
  }
  return out;
}

/** Native addons (`*.node` files) anywhere below a folder. */
function nativeAddons(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) nativeAddons(p, out);
    else if (entry.name.endsWith('.node')) out.push(p);
  }
  return out;
}

test('the packed CLI installs in an empty folder without server code, and deploys', { timeout: 600_000 }, async (t) => {
  for (const built of ['packages/cli/dist/bin.js', 'packages/core/dist/index.js']) {
    assert.ok(existsSync(join(root, built)), `${built} is missing: run \`npm run build\` first`);
  }
  const packed = await run('npm', ['pack', '--json', '-w', '@hangar/core', '-w', '@hangar/cli', '--pack-destination', work], root);
  assert.equal(packed.code, 0, packed.err);
  const tarballs = (JSON.parse(packed.out) as Array<{ name: string; version: string; filename: string; integrity: string }>)
    .map((p) => ({ name: p.name, version: p.version, file: `../${p.filename}`, integrity: p.integrity }));
  assert.deepEqual(tarballs.map((p) => p.name).sort(), ['@hangar/cli', '@hangar/core']);

  const app = join(work, 'app');
  mkdirSync(app);
  const lock = lockFor(tarballs) as { packages: Record<string, LockEntry> };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'ci-job', private: true, dependencies: lock.packages['']!.dependencies }, null, 2)}\n`);
  writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  let install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
  if (install.code !== 0) {
    if (process.env.HANGAR_TEST_PACK !== '1') {
      t.skip(`npm's cache lacks a package the CLI needs (set HANGAR_TEST_PACK=1 to allow the network): ${install.err.split('\n').filter((l) => /ERR|request to/.test(l)).join(' ') || install.err.slice(0, 300)}`);
      return;
    }
    install = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], app);
  }
  assert.equal(install.code, 0, install.err);

  const names = packageNames(join(app, 'node_modules'));
  assert.ok(names.includes('@hangar/cli') && names.includes('@hangar/core') && names.includes('commander'), names.join(', '));
  const server = names.filter((n) => /^(@hangar\/(engine|local|local-cloud|components)|better-sqlite3|fastify|@fastify\/.*|pg|pg-.*|kysely)$/.test(n));
  assert.deepEqual(server, [], `server code installed with the CLI: ${server.join(', ')}`);
  assert.deepEqual(nativeAddons(join(app, 'node_modules')), [], 'no native module');

  const hangar = join(app, 'node_modules', '.bin', 'hangar');
  const home = join(work, 'home');
  const version = await run(hangar, ['--version'], app, cleanEnv({ HANGAR_HOME: home }));
  assert.equal(version.code, 0, version.err);
  assert.match(version.out.trim(), /^\d+\.\d+\.\d+/);

  // Without @hangar/local, `hangar up` says how to get it.
  const up = await run(hangar, ['up', '--exit'], app, cleanEnv({ HANGAR_HOME: home }));
  assert.equal(up.code, 1, up.out + up.err);
  assert.match(up.err, /npm install @hangar\/local/);

  const lines: string[] = [];
  embedded = await startEmbedded({ dataDir: join(work, 'data'), port: 0, cloudPort: 0, logger: createLogger({ write: (l) => void lines.push(l) }) });
  const project = join(work, 'project');
  cpSync(join(root, 'examples', 'hello-http'), project, { recursive: true });
  const deploy = await run(hangar, ['deploy', '--json'], project, cleanEnv({
    HANGAR_HOME: home, HANGAR_URL: embedded.engineUrl, HANGAR_TOKEN: embedded.ownerToken!,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }));
  assert.equal(deploy.code, 0, `${deploy.out}\n${deploy.err}`);
  const result = JSON.parse(deploy.out) as { status: string; outputs: { url?: unknown } };
  assert.equal(result.status, 'succeeded', deploy.out);
  assert.equal(typeof result.outputs.url, 'string');
  const answer = await fetch(result.outputs.url as string);
  assert.equal(answer.status, 200);
  assert.match(await answer.text(), /hello from hangar/);
});
