/**
 * Scale-out with real processes: three `hangar-engine serve` processes on one PostgreSQL database
 * (and one blob folder: the data dir, which PostgreSQL engines may share), `hangar-cloud` playing
 * AWS behind a pass-through proxy the test can pause, and the `hangar` CLI talking to whichever
 * engine. 30 deployments of 10 instances submitted round-robin to the three engines all finish, in
 * order per instance, each CLI following its own to the end; then `kill -9` of the engine running a
 * deployment: another engine fails it as interrupted once its lease expires, the instance's next
 * deployment runs, the audit chain verifies and no blob was lost. Needs HANGAR_TEST_PG.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { listFsBlobs } from '@hangar/engine';
import { join } from 'node:path';
import {
  bins, createCloudAccount, createDeployerRole, createEngineUser, freshPostgres, NodeProc as Proc, region, root, runNode, startEngineProcess, type FreshDatabase, type NodeResult as Result,
} from './engines.js';

const LEASE_MS = 3000;

const run = (file: string, args: string[], opts: { env: Record<string, string>; cwd?: string }) => runNode(file, args, { ...opts, timeoutMs: 300_000 });

/**
 * A pass-through proxy in front of the local cloud that can hold Lambda's requests (paused), so
 * a deployment is certainly still running when its engine is killed. Held requests go on when
 * released (the killed engine's one too: its socket is gone, its answer is dropped).
 */
async function startPausableProxy(target: string) {
  const to = new URL(target);
  let paused = false;
  const held: Array<() => void> = [];
  const heldSeen: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = () => {
        const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.on('error', () => {});
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', (e) => { if (!res.headersSent) res.writeHead(502); res.end(String(e)); });
        upstream.end(Buffer.concat(chunks));
      };
      const lambda = /\/lambda\/aws4_request/.test(String(req.headers.authorization ?? ''));
      if (paused && lambda) {
        held.push(forward);
        for (const f of heldSeen.splice(0)) f();
      } else forward();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    pause() { paused = true; },
    /** Resolves once a Lambda request is being held. */
    holding: () => (held.length > 0 ? Promise.resolve() : new Promise<void>((r) => heldSeen.push(r))),
    release() {
      paused = false;
      for (const f of held.splice(0)) f();
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Every file under `dir` (relative paths), for "no blob was lost". */
interface DeploymentView { id: string; instanceId: string; stage: string; status: string; createdAt: string; startedAt: string | null; finishedAt: string | null; error: { code: string } | null }

describe('three engines on one PostgreSQL database', { skip: process.env.HANGAR_TEST_PG ? false : 'HANGAR_TEST_PG is not set (e.g. postgres://postgres@127.0.0.1:5432/test): the scale-out flow was NOT run', timeout: 900_000 }, () => {
  let work: string;
  let cloud: Proc;
  let proxy: Awaited<ReturnType<typeof startPausableProxy>>;
  const engines: Array<{ p: Proc; url: string }> = [];
  let engineEnv: Record<string, string>;
  let database: FreshDatabase | undefined;
  let token: string;
  let orgId: string;
  let project: string;
  const cliEnv = (url: string, stage: string) => ({ HOME: join(work, 'home'), HANGAR_HOME: join(work, 'home', '.hangar'), HANGAR_URL: url, HANGAR_TOKEN: token, HANGAR_STAGE: stage });
  const api = async <T>(url: string, path: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1/orgs/${orgId}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, `${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  const allDeployments = async (url: string) => (await api<{ deployments: DeploymentView[] }>(url, '/deployments?limit=200')).deployments;
  const startEngine = (extra: Record<string, string> = {}) => startEngineProcess({ ...engineEnv, ...extra });
  /** Which engine process claimed a deployment (from its 'claimed a deployment' log records). */
  const claimants = (id: string) => engines.filter((e) => e.p.records().some((r) => r.msg === 'claimed a deployment' && r.deploymentId === id));

  before(async () => {
    for (const [name, file] of Object.entries(bins)) assert.ok(existsSync(file), `${file} is missing: build first (npx tsc -b) (${name})`);
    work = mkdtempSync(join(tmpdir(), 'hangar-scale-'));
    mkdirSync(join(work, 'home'), { recursive: true });
    const cloudDir = join(work, 'cloud');
    cloud = new Proc(bins.cloud, ['--port', '0', '--data-dir', cloudDir], {});
    const endpoint = (await cloud.waitFor(/endpoint: (http:\/\/\S+)/, 'hangar-cloud endpoint'))[1]!;
    proxy = await startPausableProxy(endpoint);

    const engineRoot = await createCloudAccount(endpoint, cloudDir, '100000000001');
    const workloadRoot = await createCloudAccount(endpoint, cloudDir, '200000000002');
    const engineKey = await createEngineUser(endpoint, engineRoot);

    database = await freshPostgres('hangar_scale');

    engineEnv = {
      HOME: join(work, 'engine-home'),
      // One data dir for all three: on PostgreSQL it is not locked, and it holds the blob store.
      HANGAR_DATA_DIR: join(work, 'engine'),
      HANGAR_DATABASE_URL: database.url,
      HANGAR_PORT: '0',
      HANGAR_AWS_ENDPOINT: proxy.url,
      HANGAR_AWS_REGION: region,
      HANGAR_ENGINE_ACCESS_KEY_ID: engineKey.accessKeyId,
      HANGAR_ENGINE_SECRET_ACCESS_KEY: engineKey.secretAccessKey,
      HANGAR_WORKERS: '2',
      HANGAR_LEASE_MS: String(LEASE_MS),
      HANGAR_ORG_CONCURRENCY: '6',
      HANGAR_SHUTDOWN_GRACE: '5',
    };
    // One at a time: the first migrates and creates the keys in the shared data dir.
    for (let i = 0; i < 3; i++) engines.push(await startEngine());

    const boot = await run(bins.engine, ['bootstrap', '--org', 'acme', '--owner', 'owner@acme.dev'], { env: engineEnv });
    assert.equal(boot.code, 0, boot.stdout + boot.stderr);
    token = /^token: (hgr_\S+)$/m.exec(boot.stdout)![1]!;
    orgId = /\((org_[^)]+)\)/.exec(boot.stdout)![1]!;

    const hangar = (args: string[], via = 0) => run(bins.cli, args, { env: cliEnv(engines[via]!.url, 'dev'), cwd: work });
    const created = await hangar(['providers', 'create', 'prod', '--json']);
    assert.equal(created.code, 0, created.stdout + created.stderr);
    const provider = JSON.parse(created.stdout) as { setup: { trustPolicy: unknown } };
    const trust = typeof provider.setup.trustPolicy === 'string' ? provider.setup.trustPolicy : JSON.stringify(provider.setup.trustPolicy);
    const roleArn = await createDeployerRole(endpoint, workloadRoot, trust);
    // Verified through engine 2, linked through engine 3: one database.
    const verify = await hangar(['providers', 'verify', 'prod', '--role-arn', roleArn], 1);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const link = await hangar(['providers', 'link', 'prod', '--org-default'], 2);
    assert.equal(link.code, 0, link.stdout + link.stderr);

    project = join(work, 'hello-http');
    cpSync(join(root, 'examples/hello-http'), project, { recursive: true });
  });

  after(async () => {
    for (const e of engines) await e.p.stop();
    await proxy?.close();
    await cloud?.stop();
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('30 deployments of 10 instances, submitted round-robin to three engines, all finish, in order per instance; each CLI follows its own through its engine', async () => {
    const followers: Array<Promise<Result & { i: number }>> = [];
    for (let i = 0; i < 30; i++) {
      const engine = engines[i % 3]!;
      followers.push(run(bins.cli, ['deploy', '--json', '--refresh'], { env: cliEnv(engine.url, `s${i % 10}`), cwd: project }).then((r) => ({ ...r, i })));
      // The next CLI starts once this one's deployment is queued, so submission order is known.
      for (let t = 0; t < 1200 && (await allDeployments(engine.url)).length < i + 1; t++) await new Promise((r) => setTimeout(r, 50));
    }
    const results = await Promise.all(followers);
    const ids: string[] = [];
    for (const r of results) {
      assert.equal(r.code, 0, `CLI ${r.i} (engine ${r.i % 3 + 1}, stage s${r.i % 10}): ${r.stdout}${r.stderr}`);
      const out = JSON.parse(r.stdout) as { deploymentId: string; status: string };
      assert.equal(out.status, 'succeeded', r.stdout);
      ids.push(out.deploymentId);
    }
    assert.equal(new Set(ids).size, 30);

    const all = (await allDeployments(engines[0]!.url)).filter((d) => ids.includes(d.id));
    assert.equal(all.length, 30);
    for (let k = 0; k < 10; k++) {
      // Submission order of this instance's deployments (CLIs i = k, k+10, k+20)…
      const submitted = [k, k + 10, k + 20].map((i) => ids[i]!);
      const runs = submitted.map((id) => all.find((d) => d.id === id)!);
      assert.deepEqual(new Set(runs.map((d) => d.instanceId)).size, 1);
      // …is the order they ran in, one after the other.
      for (let j = 1; j < runs.length; j++) {
        assert.ok(runs[j]!.startedAt! >= runs[j - 1]!.finishedAt!, `stage s${k}: ${runs[j]!.id} started ${runs[j]!.startedAt} before ${runs[j - 1]!.id} finished ${runs[j - 1]!.finishedAt}`);
      }
    }
    // Every deployment was claimed by exactly one engine, and the work was shared.
    const by = ids.map((id) => claimants(id));
    for (const [n, c] of by.entries()) assert.equal(c.length, 1, `${ids[n]} claimed by ${c.length} engines`);
    const busy = new Set(by.map((c) => engines.indexOf(c[0]!)));
    assert.ok(busy.size >= 2, `only engine(s) ${[...busy].join(', ')} ran deployments`);
  });

  test('kill -9 of the engine running a deployment: another engine fails it as interrupted after the lease, the instance\'s next deployment runs, the audit chain verifies, no blob is lost', async () => {
    const blobsBefore = listFsBlobs(join(engineEnv.HANGAR_DATA_DIR!, 'blobs'));
    assert.ok(blobsBefore.length > 0, 'the source blobs are in the shared data dir');
    proxy.pause();
    const engines0 = engines[0]!;
    const first = run(bins.cli, ['deploy', '--json'], { env: cliEnv(engines[0]!.url, 'kill'), cwd: project });
    await proxy.holding();
    const running = (await allDeployments(engines[0]!.url)).find((d) => d.stage === 'kill' && d.status === 'running');
    assert.ok(running, 'the deployment is running (its Lambda call is held)');
    const [victim] = claimants(running.id);
    assert.ok(victim, 'one engine claimed it');
    const survivors = engines.filter((e) => e !== victim);
    // The instance's next deployment, queued through a surviving engine, waits behind the running one.
    const second = run(bins.cli, ['deploy', '--json'], { env: cliEnv(survivors[0]!.url, 'kill'), cwd: project });
    for (let t = 0; t < 1200 && (await allDeployments(survivors[0]!.url)).filter((d) => d.stage === 'kill').length < 2; t++) await new Promise((r) => setTimeout(r, 50));

    victim.p.child.kill('SIGKILL');
    await victim.p.exited;
    engines.splice(engines.indexOf(victim), 1);
    proxy.release();

    const next = await second;
    assert.equal(next.code, 0, next.stdout + next.stderr);
    const nextOut = JSON.parse(next.stdout) as { deploymentId: string; status: string };
    assert.equal(nextOut.status, 'succeeded');
    const firstOut = await first;
    if (victim !== engines0) {
      // Its CLI talked to a surviving engine: it followed the deployment to its (interrupted) end.
      assert.notEqual(firstOut.code, 0);
      assert.match(firstOut.stdout + firstOut.stderr, /DEPLOY_INTERRUPTED/);
    }

    const interrupted = await api<DeploymentView>(survivors[1]!.url, `/deployments/${running.id}`);
    assert.equal(interrupted.status, 'failed');
    assert.equal(interrupted.error?.code, 'DEPLOY_INTERRUPTED');
    assert.ok(interrupted.finishedAt, 'it has an end');
    const following = await api<DeploymentView>(survivors[1]!.url, `/deployments/${nextOut.deploymentId}`);
    assert.ok(following.startedAt! >= interrupted.finishedAt!, 'the next one started once the interrupted one was released');

    const finished = (await api<{ events: Array<{ kind: string; subject: string | null; data: Record<string, unknown> }> }>(survivors[0]!.url, `/audit?kind=deployment.finished&subject=deployment:${running.id}`)).events;
    assert.deepEqual(finished.map((e) => [e.data['status'], e.data['errorCode']]), [['failed', 'DEPLOY_INTERRUPTED']], 'one finished event, saying interrupted');

    const verify = await run(bins.cli, ['audit', 'verify'], { env: cliEnv(survivors[1]!.url, 'dev'), cwd: work });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);

    const blobsAfter = new Set(listFsBlobs(join(engineEnv.HANGAR_DATA_DIR!, 'blobs')));
    for (const f of blobsBefore) assert.ok(blobsAfter.has(f), `blob ${f} is gone`);
  });
});
