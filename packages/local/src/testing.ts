/**
 * Test support for this package's in-process tests: the whole engine (real store, real credential
 * broker) against the real local cloud, with a provider named `local` linked to the org as a new
 * user would set it up (the deployer role created in the workload account from its trust policy).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { manifestId, type ManifestEntry } from '@hangar/core';
import { startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { createTestEngine, type TestEngine, type TestEngineOptions } from '@hangar/engine';
import { createLocalAccounts, ensureDeployerRole, iamClient, type AccessKey, type LocalAccounts } from './local-accounts.js';

export interface EngineOnLocalCloud {
  readonly cloud: LocalCloud;
  readonly accounts: LocalAccounts;
  readonly engine: TestEngine;
  /** `/api/v1/orgs/<the seeded org>` */
  readonly base: string;
  /** The seeded owner's token. */
  readonly headers: { authorization: string };
}

/**
 * Registers provider `local` through `engine`, creates the deployer role in the workload account
 * from the trust policy it answered, verifies it and links it to the whole org.
 */
export async function linkLocalProvider(engine: TestEngine, cloud: LocalCloud, workloadRoot: AccessKey, o: { region: string; base: string; headers: { authorization: string } }): Promise<void> {
  const { base, headers } = o;
  const p = await engine.app.inject({ method: 'POST', url: `${base}/providers`, headers, payload: { name: 'local' } });
  assert.equal(p.statusCode, 201, p.body);
  const iam = iamClient(cloud.endpoint, o.region, workloadRoot);
  const roleArn = await ensureDeployerRole(iam, 'hangar-deployer', JSON.stringify(p.json().setup.trustPolicy));
  iam.destroy();
  const v = await engine.app.inject({ method: 'POST', url: `${base}/providers/local/verify`, headers, payload: { roleArn } });
  assert.equal(v.json().status, 'verified', v.body);
  const l = await engine.app.inject({ method: 'POST', url: `${base}/providers/local/links`, headers, payload: { scope: 'org' } });
  assert.ok(l.statusCode < 300, l.body);
}

/** A local cloud, its two accounts, and a seeded test engine (one worker) using it with provider `local` linked. Stops what it started if a step fails. */
export async function startEngineOnLocalCloud(o: { region: string; database: NonNullable<TestEngineOptions['database']>; clock?: TestEngineOptions['clock'] }): Promise<EngineOnLocalCloud> {
  const cloud = await startLocalCloud({ port: 0, log: () => {} });
  let engine: TestEngine | undefined;
  try {
    const accounts = await createLocalAccounts(cloud.endpoint, cloud.adminToken, o.region);
    engine = await createTestEngine({
      database: o.database, ...(o.clock ? { clock: o.clock } : {}),
      config: { aws: { region: o.region, endpoint: cloud.endpoint, credentials: accounts.engineUser }, workers: 1 },
    });
    const base = `/api/v1/orgs/${engine.seed!.org.id}`;
    const headers = engine.auth(engine.seed!.token);
    await linkLocalProvider(engine, cloud, accounts.workloadRoot, { region: o.region, base, headers });
    return { cloud, accounts, engine, base, headers };
  } catch (e) {
    await engine?.close();
    await cloud.stop();
    throw e;
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Uploads `files` (path → content) as a full source through the engine, only the blobs it asks for; returns the manifest id. */
export async function uploadSource(engine: TestEngine, base: string, headers: { authorization: string }, files: Record<string, string>): Promise<string> {
  const entries: ManifestEntry[] = Object.entries(files).map(([path, c]) => ({ path, sha256: sha(c), size: Buffer.byteLength(c), mode: 0o644 }));
  const res = await engine.app.inject({ method: 'POST', url: `${base}/sources`, headers, payload: { kind: 'full', entries } });
  assert.equal(res.statusCode, 200, res.body);
  for (const h of res.json().missing as string[]) {
    const content = Object.values(files).find((c) => sha(c) === h)!;
    const put = await engine.app.inject({ method: 'PUT', url: `${base}/blobs/${h}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from(content) });
    assert.equal(put.statusCode, 204, put.body);
  }
  assert.equal(res.json().manifestId, manifestId(entries));
  return res.json().manifestId;
}
