import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HangarError } from '@hangar/core';
import { createEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import type { EngineConfig } from '../types.js';
import { lockDataDir } from './data-dir-lock.js';
import { openStore } from './db.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const nodeArgs = ['--conditions=source', '--import', 'tsx'];

interface ChildLine { ready?: boolean; pid?: number; orgId?: string; error?: { code: string; message: string } }

/** A child process running `script` (a file next to this test); resolves with its first JSON line. */
function startChild(args: string[]): { child: ChildProcess; first: Promise<ChildLine> } {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = new Promise<ChildLine>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(JSON.parse(l) as ChildLine));
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing a line`)));
  });
  return { child, first };
}

const killed = (child: ChildProcess) => new Promise<void>((r) => { if (child.exitCode !== null || child.signalCode !== null) r(); else child.once('exit', () => r()); });

function configFor(dataDir: string): EngineConfig {
  return {
    publicUrl: 'http://127.0.0.1:7300', dataDir, database: { kind: 'sqlite', path: join(dataDir, 'hangar.db') },
    aws: { region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTENGINE000000', secretAccessKey: 'test-engine-secret-key-not-real-000000' } },
    limits: { maxFiles: 1000, maxTotalBytes: 1024 * 1024, maxFileBytes: 1024 * 1024, maxManifestEntries: 1000 }, workers: 1,
  };
}

test('a data dir is locked once: a second lock in this process is refused naming it, and released it can be taken again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-lock-'));
  try {
    const lock = lockDataDir(dir);
    assert.throws(() => lockDataDir(dir), (e: unknown) => {
      assert.ok(e instanceof HangarError);
      assert.equal(e.code, 'ENGINE_DATA_DIR_LOCKED');
      assert.match(e.message, new RegExp(`process ${process.pid} \\(this process\\), started \\d{4}-`));
      assert.match(e.message, /HANGAR_DATA_DIR/);
      return true;
    });
    lock.release();
    lock.release();
    lockDataDir(dir).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('another process holding the lock: refused at once with its pid; after it is killed with -9 the lock is free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-lock-'));
  const holderCode = `const { lockDataDir } = await import(${JSON.stringify(join(here, 'data-dir-lock.ts'))}); lockDataDir(process.argv[1]); console.log(JSON.stringify({ ready: true, pid: process.pid })); setInterval(() => {}, 60000);`;
  const { child, first } = startChild(['--input-type=module', '-e', holderCode, dir]);
  try {
    const line = await first;
    assert.equal(line.ready, true);
    const t0 = performance.now();
    assert.throws(() => lockDataDir(dir), (e: unknown) => {
      assert.ok(e instanceof HangarError && e.code === 'ENGINE_DATA_DIR_LOCKED', String(e));
      assert.match(e.message, new RegExp(`process ${line.pid}, started \\d{4}-\\d\\d-\\d\\dT`));
      assert.equal(e.details?.['pid'], line.pid);
      return true;
    });
    const waited = performance.now() - t0;
    console.log(`second lock refused after ${waited.toFixed(1)} ms`);
    assert.ok(waited < 2000, `refused at once, not after a busy timeout (${waited} ms)`);
    child.kill('SIGKILL');
    await killed(child);
    lockDataDir(dir).release();
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second engine on one SQLite data dir fails fast and touches nothing; after the first is killed -9 the next start fails its run as DEPLOY_INTERRUPTED with a finished audit event', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-lock-engine-'));
  const { child, first } = startChild([join(here, '_engine-child.ts'), dir, 'seed']);
  try {
    const line = await first;
    assert.equal(line.ready, true, JSON.stringify(line));
    // The first engine is "running" a deployment (its heartbeat is fresh).
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'hangar.db') });
    const now = new Date().toISOString();
    try {
      await store.db.insertInto('apps').values({ id: 'app_1', org_id: line.orgId!, name: 'shop', created_at: now }).execute();
      await store.db.insertInto('instances').values({ id: 'ins_1', org_id: line.orgId!, app_id: 'app_1', stage: 'dev', name: 'api', component: 'http-function', status: 'deployed', inputs: '{}', outputs: '{"url":"kept"}', state: '{"kept":true}', last_deployment_id: null, updated_at: now }).execute();
      await store.db.insertInto('deployments').values({
        id: 'dep_0000000000000000live0001', org_id: line.orgId!, app_id: 'app_1', instance_id: 'ins_1', stage: 'dev', component: 'http-function', action: 'deploy', status: 'running',
        actor: 'user:a', actor_ref: '{"kind":"user","id":"usr_1","userId":"usr_1"}', manifest_id: null, inputs: '{}', provider_id: 'prv_1', provider_name: 'p', role_arn: 'arn:aws:iam::111122223333:role/r',
        outputs: null, error_code: null, error_message: null, aws_code: null, aws_request_id: null, created_at: now, started_at: now, finished_at: null, heartbeat_at: now,
      }).execute();
    } finally {
      await store.close();
    }

    // Second engine, in this process: refused before it opens (or recovers) anything.
    const t0 = performance.now();
    await assert.rejects(createEngine({ config: configFor(dir), logger: createLogger({ write: () => {} }) }), (e: unknown) => {
      assert.ok(e instanceof HangarError && e.code === 'ENGINE_DATA_DIR_LOCKED', String(e));
      assert.match(e.message, new RegExp(`process ${line.pid}, started `));
      return true;
    });
    console.log(`second engine refused after ${(performance.now() - t0).toFixed(1)} ms`);
    // ...and a second engine process the same way.
    const other = startChild([join(here, '_engine-child.ts'), dir]);
    const refused = await other.first;
    assert.equal(refused.error?.code, 'ENGINE_DATA_DIR_LOCKED', JSON.stringify(refused));
    await killed(other.child);
    assert.equal(other.child.exitCode, 3);
    const check = await openStore({ kind: 'sqlite', path: join(dir, 'hangar.db') });
    try {
      const row = await check.db.selectFrom('deployments').selectAll().where('id', '=', 'dep_0000000000000000live0001').executeTakeFirstOrThrow();
      assert.equal(row.status, 'running', "the first engine's deployment is untouched");
      assert.equal(row.error_code, null);
    } finally {
      await check.close();
    }

    // kill -9 the first engine mid-deploy: the OS drops its lock; the next engine fails the run.
    child.kill('SIGKILL');
    await killed(child);
    const engine = await createEngine({ config: configFor(dir), logger: createLogger({ write: () => {} }) });
    try {
      const row = await engine.db.selectFrom('deployments').selectAll().where('id', '=', 'dep_0000000000000000live0001').executeTakeFirstOrThrow();
      assert.equal(row.status, 'failed');
      assert.equal(row.error_code, 'DEPLOY_INTERRUPTED');
      assert.ok(row.finished_at);
      const inst = await engine.db.selectFrom('instances').selectAll().where('id', '=', 'ins_1').executeTakeFirstOrThrow();
      assert.equal(inst.state, '{"kept":true}', 'the instance keeps its last good state');
      const events = await engine.audit.list(line.orgId!);
      const finished = events.filter((e) => e.kind === 'deployment.finished' && e.subject === 'deployment:dep_0000000000000000live0001');
      assert.equal(finished.length, 1);
      assert.equal(finished[0]!.data['status'], 'failed');
      assert.equal(finished[0]!.data['errorCode'], 'DEPLOY_INTERRUPTED');
      assert.equal(finished[0]!.data['roleArn'], 'arn:aws:iam::111122223333:role/r');
      assert.deepEqual(await engine.audit.verifyChain(line.orgId!), { ok: true, count: events.length });
    } finally {
      await engine.close();
    }
    // closed: the lock is free again
    lockDataDir(dir).release();
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
