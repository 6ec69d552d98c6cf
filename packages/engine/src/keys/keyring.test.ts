// Signing keys shared through the store: two engines on one database sign and verify each other's
// tokens and checkpoints, rotation keeps the previous OIDC key published until the overlap ends,
// a wrong HANGAR_SECRET_KEY stops the start with a clear error, data-dir keys of the previous
// release are imported, and concurrent first starts agree on one key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { HangarError } from '@hangar/core';
import { createEngine, type Engine } from '../engine.js';
import { createLogger } from '../logger.js';
import { openTestStore, testDatabases, type TestStore } from '../store/test-store.js';
import { migrateToLatest } from '../store/migrate.js';
import { loadConfigFromEnv } from '../config.js';
import { checkpointKeyFile, checkpointKeyKind } from '../audit/checkpoint-key.js';
import { createOidcIssuer, legacyOidcKeyFile, oidcKeyKind } from '../providers/oidc.js';
import type { Clock, EngineConfig } from '../types.js';
import { createKeyring } from './keyring.js';
import { keysMigrations } from './tables.js';

const hour = 3_600_000;

/** A clock tests move forward. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => { offset += ms; } };
}

function configFor(dataDir: string, secretKey: string | undefined): EngineConfig {
  return {
    publicUrl: 'http://127.0.0.1:7300',
    dataDir,
    database: { kind: 'sqlite', path: join(dataDir, 'unused.db') },
    aws: { region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTENGINE000000', secretAccessKey: 'test-engine-secret-key-not-real-000000' } },
    limits: { maxFiles: 100, maxTotalBytes: 1 << 20, maxFileBytes: 1 << 20, maxManifestEntries: 100 },
    workers: 0,
    audit: { checkpointEvery: 1, checkpointIntervalMs: hour },
    ...(secretKey ? { secretKey } : {}),
  };
}

/** Engines on one store, each with its own data dir; everything is removed by `cleanup`. */
function fleet(store: TestStore, clock?: Clock) {
  const engines: Engine[] = [];
  const dirs: string[] = [];
  return {
    dir(): string {
      const d = mkdtempSync(join(tmpdir(), 'hangar-keys-'));
      dirs.push(d);
      return d;
    },
    async start(dataDir: string, secretKey: string | undefined, logs?: string[]): Promise<Engine> {
      const e = await createEngine({
        config: configFor(dataDir, secretKey), db: store.db, ...(clock ? { clock } : {}),
        logger: createLogger({ level: 'warn', write: (l) => { logs?.push(l); } }),
      });
      engines.push(e);
      return e;
    },
    async cleanup() {
      for (const e of engines) await e.close();
      await store.cleanup();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

const jwksOf = async (e: Engine) => (await e.app.inject({ url: '/.well-known/jwks.json' })).json() as { keys: JWK[] };
const auditKeysOf = async (e: Engine) => ((await e.app.inject({ url: '/.well-known/hangar-audit-keys.json' })).json() as { keys: Array<{ keyId: string }> }).keys.map((k) => k.keyId);
const issuerOf = (e: Engine) => createOidcIssuer({ db: e.db, clock: e.clock, config: e.config, keyring: e.keyring });

for (const db of testDatabases()) {
  describe(`shared signing keys (${db.kind})`, { skip: db.skip }, () => {
    test('engine A signs, engine B verifies: same JWKS, A\'s token checks against B\'s JWKS, A\'s checkpoints verify on B', async () => {
      const f = fleet(await openTestStore(db.kind));
      try {
        const secret = randomBytes(32).toString('hex');
        const a = await f.start(f.dir(), secret);
        const b = await f.start(f.dir(), secret);
        assert.deepEqual(await jwksOf(a), await jwksOf(b));
        assert.equal((await jwksOf(b)).keys.length, 1);

        const token = await issuerOf(a).sign('org:org_1:app:app_1:stage:prod');
        const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await jwksOf(b)), { issuer: a.config.publicUrl });
        assert.equal(payload.sub, 'org:org_1:app:app_1:stage:prod');
        assert.equal(protectedHeader.kid, (await b.keyring.current('oidc')).kid);

        // Org creation through A writes events; checkpointEvery 1 makes A sign a checkpoint after each.
        const { org, token: owner } = await a.bootstrap.createOrg({ name: 'acme', owner: { email: 'a@example.com' } });
        const signed = await a.db.selectFrom('audit_checkpoints').select('key_id').distinct().where('org_id', '=', org.id).execute();
        assert.deepEqual(signed.map((r) => r.key_id), [(await b.keyring.current('audit')).kid]);
        const verify = await b.app.inject({ url: `/api/v1/orgs/${org.id}/audit/verify`, headers: { authorization: `Bearer ${owner.token}` } });
        assert.deepEqual(verify.json(), { ok: true, count: 3 });
        assert.deepEqual(await auditKeysOf(a), await auditKeysOf(b));
      } finally {
        await f.cleanup();
      }
    });

    test('concurrent first starts agree on one key per purpose', async () => {
      const store = await openTestStore(db.kind);
      const dirs = [0, 1, 2, 3].map(() => mkdtempSync(join(tmpdir(), 'hangar-keys-')));
      try {
        await migrateToLatest(store.db, keysMigrations);
        const secret = randomBytes(32).toString('base64');
        const rings = dirs.map((dataDir) => createKeyring({
          db: store.db, clock: { now: () => new Date() }, logger: createLogger({ level: 'error', write: () => {} }), dataDir, secretKey: secret,
          kinds: { oidc: oidcKeyKind(dataDir), audit: checkpointKeyKind(dataDir) },
        }));
        await Promise.all(rings.map((r) => r.prepare()));
        for (const purpose of ['oidc', 'audit'] as const) {
          const kids = new Set(await Promise.all(rings.map(async (r) => (await r.current(purpose)).kid)));
          assert.equal(kids.size, 1, `${purpose}: one current key`);
          const rows = await store.db.selectFrom('signing_keys').select('kid').where('purpose', '=', purpose).execute();
          assert.equal(rows.length, 1, `${purpose}: the losers' keys were not kept`);
        }
      } finally {
        await store.cleanup();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    });
  });
}

describe('rotation', () => {
  test('the previous OIDC key stays in the JWKS until the overlap ends; retired audit keys keep verifying old checkpoints', async () => {
    const clock = movableClock();
    const f = fleet(await openTestStore('sqlite'), clock);
    try {
      const secret = randomBytes(32).toString('hex');
      const a = await f.start(f.dir(), secret);
      const b = await f.start(f.dir(), secret);
      const { org, token: owner } = await a.bootstrap.createOrg({ name: 'acme', owner: { email: 'a@example.com' } });
      const oidc0 = (await a.keyring.current('oidc')).kid;
      const audit0 = (await a.keyring.current('audit')).kid;
      const early = await issuerOf(a).sign('org:o:app:a:stage:s');

      const r = await a.keyring.rotate('oidc', hour);
      assert.equal(r.retired, oidc0);
      await a.keyring.rotate('audit', hour);
      const oidc1 = (await b.keyring.current('oidc')).kid;
      assert.notEqual(oidc1, oidc0, 'B signs with the new key without a restart');
      assert.deepEqual((await jwksOf(b)).keys.map((k) => k.kid), [oidc1, oidc0], 'current first, then the previous one');
      const late = await issuerOf(b).sign('org:o:app:a:stage:s');
      const jwks = createLocalJWKSet(await jwksOf(a));
      assert.equal((await jwtVerify(late, jwks)).protectedHeader.kid, oidc1);
      assert.equal((await jwtVerify(early, jwks, { currentDate: clock.now() })).protectedHeader.kid, oidc0, 'a token signed before the rotation still verifies');

      clock.advance(hour + 1000);
      assert.deepEqual((await jwksOf(a)).keys.map((k) => k.kid), [oidc1], 'after the overlap only the current key is published');

      // Audit: checkpoints before the rotation were signed by audit0; new ones by the new key; both verify on B.
      await a.bootstrap.createUser({ email: 'x@example.com' }).then((u) => a.bootstrap.addMember(org.id, u.id, 'viewer'));
      const used = (await a.db.selectFrom('audit_checkpoints').select('key_id').where('org_id', '=', org.id).orderBy('seq').execute()).map((c) => c.key_id);
      assert.equal(used[0], audit0);
      assert.equal(used.at(-1), (await a.keyring.current('audit')).kid);
      assert.notEqual(used.at(-1), audit0);
      const verify = await b.app.inject({ url: `/api/v1/orgs/${org.id}/audit/verify`, headers: { authorization: `Bearer ${owner.token}` } });
      assert.equal(verify.json().ok, true, verify.body);
      assert.deepEqual((await auditKeysOf(b)).slice(0, 2), [used.at(-1), audit0], 'retired audit keys stay published after any overlap');
    } finally {
      await f.cleanup();
    }
  });
});

describe('HANGAR_SECRET_KEY', () => {
  test('an engine with another secret than the one that encrypted the stored keys does not start, and says why', async () => {
    const f = fleet(await openTestStore('sqlite'));
    try {
      await f.start(f.dir(), randomBytes(32).toString('hex'));
      const lone = f.dir(); // no HANGAR_SECRET_KEY: a generated one, different from the first engine's
      await assert.rejects(f.start(lone, undefined), (e: unknown) => {
        assert.ok(e instanceof HangarError);
        assert.equal(e.code, 'ENGINE_SECRET_KEY_MISMATCH');
        assert.match(e.message, /encrypted with another secret key \(id [0-9a-f]{16}\)/);
        assert.match(e.message, new RegExp(`generated in ${join(lone, 'secret-key').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        assert.match(e.message, /same HANGAR_SECRET_KEY/);
        return true;
      });
      await assert.rejects(f.start(f.dir(), randomBytes(32).toString('hex')), (e: unknown) => e instanceof HangarError && e.code === 'ENGINE_SECRET_KEY_MISMATCH' && /than HANGAR_SECRET_KEY \(id/.test(e.message));
    } finally {
      await f.cleanup();
    }
  });

  test('a malformed value is refused at the edge, naming the variable and the format but never the value', () => {
    const base = { HOME: '/h', HANGAR_ENGINE_ACCESS_KEY_ID: 'AKIAEXAMPLE000000000', HANGAR_ENGINE_SECRET_ACCESS_KEY: 'secret-secret-secret-0000' };
    for (const bad of ['too-short-secret', 'z'.repeat(64), Buffer.alloc(16).toString('base64')]) {
      assert.throws(() => loadConfigFromEnv({ ...base, HANGAR_SECRET_KEY: bad }), (e: unknown) => {
        assert.ok(e instanceof HangarError);
        assert.equal(e.code, 'ENGINE_CONFIG_INVALID');
        assert.match(e.message, /HANGAR_SECRET_KEY: expected 64 hex characters or the base64 of 32 random bytes/);
        assert.ok(!e.message.includes(bad), 'the value is not echoed');
        return true;
      });
    }
    const hex = randomBytes(32).toString('hex');
    assert.equal(loadConfigFromEnv({ ...base, HANGAR_SECRET_KEY: hex }).config.secretKey, hex);
    assert.ok(loadConfigFromEnv({ ...base, HANGAR_SECRET_KEY: randomBytes(32).toString('base64url') }).config.secretKey);
    assert.equal(loadConfigFromEnv(base).config.secretKey, undefined);
  });
});

describe('keys of the previous release (data-dir files)', () => {
  test('are imported at the first start: checkpoints signed before the upgrade still verify; the JWKS keeps the old key; files stay for a rollback', async () => {
    const f = fleet(await openTestStore('sqlite'));
    try {
      const secret = randomBytes(32).toString('hex');
      // The previous release: each engine kept its own keys in its data dir; make that state.
      const d0 = f.dir();
      const e0 = await f.start(d0, secret);
      const { org, token: owner } = await e0.bootstrap.createOrg({ name: 'acme', owner: { email: 'a@example.com' } });
      const oidc = await e0.keyring.current('oidc');
      const audit = await e0.keyring.current('audit');
      await e0.close();
      mkdirSync(join(d0, 'oidc'), { recursive: true });
      writeFileSync(legacyOidcKeyFile(d0), JSON.stringify({ kid: oidc.kid, privateJwk: JSON.parse(oidc.privateKey), publicJwk: JSON.parse(oidc.publicKey) }), { mode: 0o600 });
      mkdirSync(join(d0, 'audit'), { recursive: true });
      writeFileSync(checkpointKeyFile(d0), audit.privateKey, { mode: 0o600 });
      await e0.db.deleteFrom('signing_keys').execute();
      assert.ok((await e0.db.selectFrom('audit_checkpoints').selectAll().where('org_id', '=', org.id).execute()).length > 0);
      // A second engine of the previous release had keys of its own.
      const d1 = f.dir();
      mkdirSync(join(d1, 'audit'), { recursive: true });
      const other = await checkpointKeyKind(d1).generate();
      writeFileSync(checkpointKeyFile(d1), other.privateKey, { mode: 0o600 });
      const otherOidc = await oidcKeyKind(d1).generate();
      mkdirSync(join(d1, 'oidc'), { recursive: true });
      writeFileSync(legacyOidcKeyFile(d1), JSON.stringify({ kid: otherOidc.kid, privateJwk: JSON.parse(otherOidc.privateKey), publicJwk: JSON.parse(otherOidc.publicKey) }));

      const logs: string[] = [];
      const a = await f.start(d0, secret, logs);
      assert.equal((await a.keyring.current('oidc')).kid, oidc.kid, 'the first engine upgraded keeps signing with its key');
      assert.equal((await a.keyring.current('audit')).kid, audit.kid);
      const b = await f.start(d1, secret);
      assert.equal((await b.keyring.current('audit')).kid, audit.kid, 'the second one joins the shared key');
      assert.deepEqual((await jwksOf(b)).keys.map((k) => k.kid), [oidc.kid, otherOidc.kid], "the other engine's old key stays published for the overlap");
      assert.ok((await auditKeysOf(b)).includes(other.kid), "the other engine's old checkpoint key stays trusted");
      const verify = await b.app.inject({ url: `/api/v1/orgs/${org.id}/audit/verify`, headers: { authorization: `Bearer ${owner.token}` } });
      assert.deepEqual(verify.json(), { ok: true, count: 3 });
      assert.ok(existsSync(checkpointKeyFile(d0)) && existsSync(legacyOidcKeyFile(d0)), 'the files are left for a rollback');
      const origins = await a.db.selectFrom('signing_keys').select(['kid', 'origin', 'retired_at']).execute();
      assert.equal(origins.filter((r) => r.origin.startsWith('imported:')).length, 4);
      assert.equal(origins.filter((r) => r.retired_at === null).length, 2, 'one current key per purpose');
      // A restart imports nothing twice.
      await f.start(d1, secret);
      assert.equal((await a.db.selectFrom('signing_keys').selectAll().execute()).length, 4);
    } finally {
      await f.cleanup();
    }
  });
});

