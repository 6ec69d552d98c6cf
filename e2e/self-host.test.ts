/**
 * Self-hosting Hangar as a team would, with real processes only: `hangar-cloud` alone plays AWS;
 * an AWS admin creates the engine's IAM user and a workload account through it with AWS SDK v3
 * clients; `hangar-engine serve` runs against it (PostgreSQL, and SQLite); `hangar-engine
 * bootstrap` makes the first org; the `hangar` CLI logs in, registers a provider, the admin creates
 * the role from the trust policy it printed, the CLI verifies it, links it, deploys the example,
 * the URL answers, and the CLI removes it. Then SIGTERM drains the engine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bins, createCloudAccount, createDeployerRole, createEngineUser, freshPostgres, NodeProc as Proc, region, root, runNode, startEngineProcess, type FreshDatabase,
} from './engines.js';

const run = (file: string, args: string[], opts: { env: Record<string, string>; cwd?: string }) => runNode(file, args, { ...opts, timeoutMs: 180_000 });

const databases = [
  { kind: 'postgres' as const, skip: process.env.HANGAR_TEST_PG ? false : 'HANGAR_TEST_PG is not set (e.g. postgres://postgres@127.0.0.1:5432/test): the PostgreSQL self-host flow was NOT run' },
  { kind: 'sqlite' as const, skip: false as const },
];

for (const db of databases) {
  describe(`self-hosted Hangar with real processes (${db.kind})`, { skip: db.skip, timeout: 600_000 }, () => {
    let work: string;
    let cloud: Proc;
    let endpoint: string;
    let engine: Proc | undefined;
    let engineUrl: string;
    let engineEnv: Record<string, string>;
    let pgdb: FreshDatabase | undefined;
    let token: string;
    let orgId: string;
    let workloadRoot: { accessKeyId: string; secretAccessKey: string };
    const cliEnv = () => ({ HOME: join(work, 'home'), HANGAR_HOME: join(work, 'home', '.hangar') });
    const hangar = (args: string[], cwd?: string) => run(bins.cli, args, { env: cliEnv(), ...(cwd ? { cwd } : {}) });
    const startEngine = (extra: Record<string, string> = {}) => startEngineProcess({ ...engineEnv, ...extra });

    before(async () => {
      for (const [name, file] of Object.entries(bins)) assert.ok(existsSync(file), `${file} is missing: build first (npx tsc -b) (${name})`);
      work = mkdtempSync(join(tmpdir(), `hangar-selfhost-${db.kind}-`));
      mkdirSync(join(work, 'home'), { recursive: true });
      const cloudDir = join(work, 'cloud');
      cloud = new Proc(bins.cloud, ['--port', '0', '--data-dir', cloudDir], {});
      endpoint = (await cloud.waitFor(/endpoint: (http:\/\/\S+)/, 'hangar-cloud endpoint'))[1]!;

      // What an AWS admin does: an account for the engine with an IAM user allowed to assume roles
      // (and nothing else), and a workload account where the deployer role will live.
      const engineRoot = await createCloudAccount(endpoint, cloudDir, '100000000001');
      workloadRoot = await createCloudAccount(endpoint, cloudDir, '200000000002');
      const engineKey = await createEngineUser(endpoint, engineRoot);

      pgdb = db.kind === 'postgres' ? await freshPostgres('hangar_e2e') : undefined;
      engineEnv = {
        HOME: join(work, 'engine-home'),
        HANGAR_DATA_DIR: join(work, 'engine'),
        HANGAR_PORT: '0',
        HANGAR_AWS_ENDPOINT: endpoint,
        HANGAR_AWS_REGION: region,
        HANGAR_ENGINE_ACCESS_KEY_ID: engineKey.accessKeyId,
        HANGAR_ENGINE_SECRET_ACCESS_KEY: engineKey.secretAccessKey,
        HANGAR_WORKERS: '1',
        HANGAR_SHUTDOWN_GRACE: '120',
        ...(pgdb ? { HANGAR_DATABASE_URL: pgdb.url } : {}),
      };
    });

    after(async () => {
      await engine?.stop();
      await cloud?.stop();
      await pgdb?.drop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('check passes with the engine IAM user, and names what is wrong when a setting or the key is bad', async () => {
      const good = await run(bins.engine, ['check'], { env: engineEnv });
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.match(good.stdout, /✔ engine identity: arn:aws:iam::100000000001:user\/hangar-engine .*from HANGAR_ENGINE_ACCESS_KEY_ID/);
      assert.match(good.stdout, /✔ database: /);
      assert.match(good.stdout, /! The OIDC issuer http:\/\/127\.0\.0\.1:0 .*real AWS would refuse/, 'the local issuer is a warning, not a failure, with an AWS-compatible endpoint');

      const badSetting = await run(bins.engine, ['check'], { env: { ...engineEnv, HANGAR_PORT: 'abc', HANGAR_LOG_LEVEL: 'loud' } });
      assert.equal(badSetting.code, 1);
      assert.match(badSetting.stdout, /✖ HANGAR_PORT: "abc" is not valid: .*set it to a port number from 0 to 65535/);
      assert.match(badSetting.stdout, /✖ HANGAR_LOG_LEVEL: "loud" is not valid: .*set it to debug, info, warn or error/);

      const badKey = await run(bins.engine, ['check'], { env: { ...engineEnv, HANGAR_ENGINE_SECRET_ACCESS_KEY: 'wrong-secret-wrong-secret-wrong-secret00' } });
      assert.equal(badKey.code, 1);
      assert.match(badKey.stdout, /✖ engine identity from HANGAR_ENGINE_ACCESS_KEY_ID at http:.*STS refused it: SignatureDoesNotMatch.*check HANGAR_ENGINE_ACCESS_KEY_ID and HANGAR_ENGINE_SECRET_ACCESS_KEY/);
      assert.ok(!badKey.stdout.includes('wrong-secret'), 'the secret is never echoed');
      assert.match(badKey.stdout, /ENGINE_CHECK_FAILED/);

      // No engine key: the engine process (and only it) lets the AWS SDK's default chain find its
      // identity; here the chain's environment provider stands in for a task role or instance profile.
      const chain = await run(bins.engine, ['check'], { env: {
        ...engineEnv, HANGAR_ENGINE_ACCESS_KEY_ID: '', HANGAR_ENGINE_SECRET_ACCESS_KEY: '',
        AWS_ACCESS_KEY_ID: engineEnv.HANGAR_ENGINE_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: engineEnv.HANGAR_ENGINE_SECRET_ACCESS_KEY!,
      } });
      assert.equal(chain.code, 0, chain.stdout + chain.stderr);
      assert.match(chain.stdout, /✔ engine identity: arn:aws:iam::100000000001:user\/hangar-engine .*from the AWS SDK's default provider chain/);
      const none = await run(bins.engine, ['check'], { env: { ...engineEnv, HANGAR_ENGINE_ACCESS_KEY_ID: '', HANGAR_ENGINE_SECRET_ACCESS_KEY: '', AWS_EC2_METADATA_DISABLED: 'true' } });
      assert.equal(none.code, 1);
      assert.match(none.stdout, /✖ engine identity from the AWS SDK's default provider chain .*give the engine's host an IAM role .*or set HANGAR_ENGINE_ACCESS_KEY_ID and HANGAR_ENGINE_SECRET_ACCESS_KEY/);

      const noDb = await run(bins.engine, ['check'], { env: { ...engineEnv, HANGAR_DATABASE_URL: 'postgres://hangar:pw-not-shown@127.0.0.1:1/hangar' } });
      assert.equal(noDb.code, 1);
      assert.match(noDb.stdout, /✖ database: PostgreSQL at postgres:\/\/hangar:\*\*\*@127\.0\.0\.1:1\/hangar could not be reached: .*Check HANGAR_DATABASE_URL/);
      assert.ok(!noDb.stdout.includes('pw-not-shown'), 'the database password is never shown');

      const half = await run(bins.engine, ['check'], { env: { ...engineEnv, HANGAR_ENGINE_SECRET_ACCESS_KEY: '' } });
      assert.equal(half.code, 1);
      assert.match(half.stdout, /✖ HANGAR_ENGINE_SECRET_ACCESS_KEY: it is not set .*HANGAR_ENGINE_ACCESS_KEY_ID/);
    });

    test('serve migrates and prints its URL in JSON log lines; bootstrap prints the owner token once; a second bootstrap is refused', async () => {
      const started = await startEngine();
      engine = started.p;
      engineUrl = started.url;
      const health = await fetch(`${engineUrl}/.well-known/openid-configuration`);
      assert.equal(health.status, 200);
      assert.ok(started.p.records({ strict: true }).some((r) => r.msg === 'database migrated'), 'the first start migrated the database');

      const boot = await run(bins.engine, ['bootstrap', '--org', 'acme', '--owner', 'owner@acme.dev'], { env: engineEnv });
      assert.equal(boot.code, 0, boot.stdout + boot.stderr);
      const tokenLines = boot.stdout.split('\n').filter((l) => l.includes('hgr_'));
      assert.equal(tokenLines.length, 1, 'the token is printed once');
      assert.match(tokenLines[0]!, /^token: hgr_[A-Za-z0-9_-]+$/, 'alone on its line');
      token = tokenLines[0]!.slice('token: '.length);
      orgId = /\((org_[^)]+)\)/.exec(boot.stdout)![1]!;

      const again = await run(bins.engine, ['bootstrap', '--org', 'other', '--owner', 'x@acme.dev'], { env: engineEnv });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /ENGINE_BOOTSTRAP_REFUSED: This database already has an organisation \("acme"\)/);
      assert.ok(!again.stdout.includes('hgr_'));
      const orgs = await (await fetch(`${engineUrl}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).json() as { orgs: { name: string }[] };
      assert.deepEqual(orgs.orgs.map((o) => o.name), ['acme'], 'nothing of the refused bootstrap was written');
    });

    test('login, provider from the printed trust policy, verify, link, deploy the example, the URL answers, remove', async () => {
      const login = await hangar(['login', '--url', engineUrl, '--token', token]);
      assert.equal(login.code, 0, login.stdout + login.stderr);
      assert.ok(!(login.stdout + login.stderr).includes(token), 'the token is not echoed');

      const created = await hangar(['providers', 'create', 'prod', '--json'], work);
      assert.equal(created.code, 0, created.stdout + created.stderr);
      const provider = JSON.parse(created.stdout) as { setup: { trustPolicy: unknown; externalId: string } };
      const trust = typeof provider.setup.trustPolicy === 'string' ? provider.setup.trustPolicy : JSON.stringify(provider.setup.trustPolicy);
      assert.match(trust, /arn:aws:iam::100000000001:user\/hangar-engine/);
      assert.ok(trust.includes(provider.setup.externalId));

      // The workload account's admin creates the role from that trust policy.
      const roleArn = await createDeployerRole(endpoint, workloadRoot, trust);

      const verify = await hangar(['providers', 'verify', 'prod', '--role-arn', roleArn]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout + verify.stderr, /Provider prod is verified/);
      const link = await hangar(['providers', 'link', 'prod', '--org-default']);
      assert.equal(link.code, 0, link.stdout + link.stderr);

      const project = join(work, 'hello-http');
      cpSync(join(root, 'examples/hello-http'), project, { recursive: true });
      const deployed = await hangar(['deploy', '--json'], project);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      const d = JSON.parse(deployed.stdout) as { status: string; outputs: { url?: string }; provider: { roleArn: string | null } };
      assert.equal(d.status, 'succeeded');
      assert.equal(d.provider.roleArn, roleArn);
      const answer = await fetch(d.outputs.url!);
      assert.equal(answer.status, 200);
      assert.match(await answer.text(), /hello from hangar/);

      const removed = await hangar(['remove', '--json'], project);
      assert.equal(removed.code, 0, removed.stdout + removed.stderr);
      assert.equal((JSON.parse(removed.stdout) as { status: string }).status, 'succeeded');
      const gone = await fetch(d.outputs.url!);
      assert.notEqual(gone.status, 200, 'the removed API no longer answers');

      // Every stdout line of the engine is JSON; none carries the owner's token or the engine secret.
      const records = engine!.records({ strict: true });
      assert.ok(records.length > 0);
      assert.ok(!engine!.stdout.includes(token));
      assert.ok(!engine!.stdout.includes(engineEnv.HANGAR_ENGINE_SECRET_ACCESS_KEY!));
    });

    test('SIGTERM drains: a running deployment finishes (its follower gets the end), then the engine exits 0', async () => {
      const project = join(work, 'hello-http');
      const follower = run(bins.cli, ['deploy', '--json', '--refresh'], { env: cliEnv(), cwd: project });
      const headers = { authorization: `Bearer ${token}` };
      let runningId: string | undefined;
      for (let i = 0; i < 1200 && !runningId; i++) {
        const list = await (await fetch(`${engineUrl}/api/v1/orgs/${orgId}/deployments`, { headers })).json() as { deployments: { id: string; status: string }[] };
        // Running, not queued: a draining engine claims nothing more, so a queued one would wait for another engine.
        runningId = list.deployments.find((x) => x.status === 'running')?.id;
        if (!runningId) await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(runningId, 'saw the deployment before it finished');
      const first = engine!;
      first.child.kill('SIGTERM');
      const result = await follower;
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}\nengine:\n${engine!.stdout.split('\n').slice(-15).join('\n')}${engine!.stderr}`);
      assert.equal((JSON.parse(result.stdout) as { status: string }).status, 'succeeded');
      const exit = await engine!.exited;
      assert.equal(exit.code, 0, engine!.stderr);
      const msgs = engine!.records({ strict: true }).map((r) => r.msg);
      assert.ok(msgs.includes('draining: no new deployment will be claimed'));
      assert.ok(msgs.includes('engine stopped'));
      assert.ok(msgs.indexOf('draining: no new deployment will be claimed') < msgs.indexOf('engine stopped'));

      // The same database serves again (and HANGAR_MIGRATE=off accepts it: it is up to date).
      const restarted = await startEngine({ HANGAR_MIGRATE: 'off' });
      engine = restarted.p;
      const status = await (await fetch(`${restarted.url}/api/v1/orgs/${orgId}/deployments/${runningId}`, { headers })).json() as { status: string; finishedAt: string };
      assert.equal(status.status, 'succeeded');
      const drainingAt = first.records({ strict: true }).find((r) => r.msg === 'draining: no new deployment will be claimed')!.ts as string;
      assert.ok(status.finishedAt > drainingAt, `the deployment finished (${status.finishedAt}) after the engine began draining (${drainingAt})`);
      engine.child.kill('SIGINT');
      assert.equal((await engine.exited).code, 0);
    });

    test('a deployment outliving HANGAR_SHUTDOWN_GRACE is left running for the interruption logic, and the engine still exits', async () => {
      const started = await startEngine({ HANGAR_SHUTDOWN_GRACE: '0' });
      engine = started.p;
      const project = join(work, 'hello-http');
      const env = { ...cliEnv(), HANGAR_URL: started.url, HANGAR_TOKEN: token };
      // Removed first, so the deploy creates everything again and is still running when the signal comes.
      const removed = await run(bins.cli, ['remove', '--json'], { env, cwd: project });
      assert.equal(removed.code, 0, removed.stdout + removed.stderr);
      const follower = run(bins.cli, ['deploy', '--json', '--refresh'], { env, cwd: project });
      const headers = { authorization: `Bearer ${token}` };
      let runningId: string | undefined;
      for (let i = 0; i < 1200 && !runningId; i++) {
        const list = await (await fetch(`${started.url}/api/v1/orgs/${orgId}/deployments`, { headers })).json() as { deployments: { id: string; status: string }[] };
        runningId = list.deployments.find((x) => x.status === 'running')?.id;
        if (!runningId) await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(runningId, 'saw the deployment running');
      started.p.child.kill('SIGTERM');
      assert.equal((await started.p.exited).code, 0, started.p.stderr);
      await follower;
      const left = started.p.records({ strict: true }).find((r) => r.msg === 'shutdown grace period over; these deployments are left for the interruption logic');
      assert.ok(left, started.p.stdout.split('\n').slice(-8).join('\n'));
      assert.deepEqual(left.deploymentIds, [runningId]);

      const next = await startEngine();
      engine = next.p;
      const after = await (await fetch(`${next.url}/api/v1/orgs/${orgId}/deployments/${runningId}`, { headers })).json() as { status: string; error?: { code: string } | null };
      if (db.kind === 'sqlite') {
        // One process owns a SQLite store: the next start fails what the last one left running.
        assert.equal(after.status, 'failed');
        assert.equal(after.error?.code, 'DEPLOY_INTERRUPTED');
      } else {
        // On PostgreSQL another engine may still own it, so the new engine leaves its live lease alone: it is
        // failed only once its heartbeat is stale (HANGAR_LEASE_MS, 30 s). The abandoned run is not aborted, so
        // it may also have finished while the old process was closing its connections.
        assert.ok(after.status === 'running' || after.status === 'succeeded', `the new engine left the deployment alone (status ${after.status})`);
      }
      next.p.child.kill('SIGTERM');
      assert.equal((await next.p.exited).code, 0);
    });
  });
}
