import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/db.js';
import { bootstrap } from './bootstrap.js';
import type { EngineIo } from './io.js';

function io(env: Record<string, string>) {
  const out = { stdout: '', stderr: '' };
  const value: EngineIo = { env, stdout: { write: (t: string) => { out.stdout += t; } }, stderr: { write: (t: string) => { out.stderr += t; } } };
  return { io: value, out };
}

async function counts(dataDir: string) {
  const store = await openStore({ kind: 'sqlite', path: join(dataDir, 'hangar.db') });
  try {
    const n = async (t: 'orgs' | 'users' | 'memberships' | 'api_tokens' | 'audit_events') => (await store.db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    return { orgs: Number(await n('orgs')), users: Number(await n('users')), memberships: Number(await n('memberships')), tokens: Number(await n('api_tokens')), audit: Number(await n('audit_events')) };
  } finally {
    await store.close();
  }
}

test('bootstrap writes nothing when it fails half way (one transaction), then creates the first org once and refuses a second', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bootstrap-'));
  const env = { HOME: dataDir, HANGAR_DATA_DIR: dataDir };
  try {
    // The owner is created before the org name is checked: a bad name must undo the user too.
    const bad = io(env);
    assert.equal(await bootstrap(bad.io, { org: 'Not A Valid Name!', owner: 'owner@acme.dev' }), 1);
    assert.match(bad.out.stderr, /VALIDATION_FAILED: name: expected/);
    assert.deepEqual(await counts(dataDir), { orgs: 0, users: 0, memberships: 0, tokens: 0, audit: 0 });

    const badEmail = io(env);
    assert.equal(await bootstrap(badEmail.io, { org: 'acme', owner: 'not-an-email' }), 1);
    assert.match(badEmail.out.stderr, /--owner: expected an email address, got "not-an-email"/);

    const good = io(env);
    assert.equal(await bootstrap(good.io, { org: 'acme', owner: 'owner@acme.dev' }), 0, good.out.stderr);
    assert.equal(good.out.stdout.split('\n').filter((l) => /^token: hgr_\S+$/.test(l)).length, 1);
    const after = await counts(dataDir);
    assert.deepEqual({ ...after, audit: after.audit > 0 }, { orgs: 1, users: 1, memberships: 1, tokens: 1, audit: true });

    const again = io(env);
    assert.equal(await bootstrap(again.io, { org: 'second', owner: 'other@acme.dev' }), 1);
    assert.match(again.out.stderr, /ENGINE_BOOTSTRAP_REFUSED: This database already has an organisation \("acme"\)/);
    assert.deepEqual(await counts(dataDir), after, 'the refused bootstrap wrote nothing');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
