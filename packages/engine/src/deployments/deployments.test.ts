import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { manifestId } from '@hangar/core';
import { createLogger } from '../logger.js';
import { testDatabases } from '../store/test-store.js';
import { createHarness, fakeBroker, testProvider, type Harness } from './_harness.js';
import { fakeComponent } from './_fake-component.js';
import { parseSse } from './_sse.js';
import { createDeploymentsFeature } from './index.js';

for (const db of testDatabases()) {
  describe(`deployments (${db.kind})`, { skip: db.skip }, () => {
    let h: Harness;
    const component = fakeComponent();
    const fb = fakeBroker();
    before(async () => { h = await createHarness({ kind: db.kind, lookup: (n) => (n === 'fake' ? component : undefined), broker: fb.broker, workers: 2 }); });
    after(async () => { await h?.close(); });

    const deploy = async (body: Record<string, unknown>, org = h.orgA) => {
      const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${org}/deployments`, headers: h.as(org), payload: { app: 'shop', stage: 'dev', name: 'api', component: 'fake', ...body } });
      return res;
    };
    const events = async (id: string, lastEventId?: number) => {
      const res = await h.app.inject({ method: 'GET', url: `/api/v1/orgs/${h.orgA}/deployments/${id}/events`, headers: { ...h.as(h.orgA, 'viewer'), ...(lastEventId ? { 'last-event-id': String(lastEventId) } : {}) } });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      return parseSse(res.body);
    };
    const done = async (id: string) => (await events(id)).find((e) => e.event === 'done')!.data;
    const get = async (path: string, org = h.orgA) => h.app.inject({ method: 'GET', url: `/api/v1/orgs/${org}${path}`, headers: h.as(org, 'viewer') });

    test('queues a deployment (202, ids only) and runs it with the provider; the stream replays and follows to done', async () => {
      const res = await deploy({ name: 'stream', inputs: { value: 'one', delayMs: 100 } });
      assert.equal(res.statusCode, 202, res.body);
      const { deploymentId, status, instanceId } = res.json();
      assert.equal(status, 'queued');
      assert.match(deploymentId, /^dep_/);
      assert.match(instanceId, /^ins_/);
      const stream = await events(deploymentId);
      const kinds = stream.map((e) => e.event);
      assert.equal(kinds.at(-1), 'done');
      assert.ok(kinds.includes('status'));
      const logs = stream.filter((e) => e.event === 'log');
      assert.deepEqual(logs.map((e) => e.data.seq), logs.map((_, i) => i + 1));
      assert.deepEqual(logs.map((e) => e.id), logs.map((_, i) => String(i + 1)));
      assert.ok(logs.some((e) => e.data.message === 'deploying value=one'));
      const fin = stream.at(-1)!.data;
      assert.equal(fin.status, 'succeeded');
      assert.deepEqual(fin.outputs, { url: 'https://example.test/one', value: 'one' });
      assert.deepEqual(fin.provider, { id: testProvider.id, name: testProvider.name, roleArn: testProvider.roleArn });
      assert.ok(fin.durationMs >= 90, `durationMs ${fin.durationMs}`);
      // Last-Event-ID: only what came after
      const replay = await events(deploymentId, 2);
      assert.deepEqual(replay.filter((e) => e.event === 'log').map((e) => e.data.seq), logs.slice(2).map((e) => e.data.seq));
      assert.equal(replay.at(-1)!.event, 'done');
      // the broker got a request naming this deployment, the actor and the component's permissions
      const req = fb.opened.find((r) => r.deploymentId === deploymentId)!;
      assert.equal(req.actor.name, 'token:ci');
      assert.equal(req.instanceId, instanceId);
      assert.deepEqual(req.permissions, ['lambda:GetFunction']);
      // the logs endpoint serves JSON lines
      const lines = await get(`/deployments/${deploymentId}/logs`);
      assert.match(String(lines.headers['content-type']), /ndjson/);
      assert.deepEqual(lines.body.trim().split('\n').map((l) => JSON.parse(l).seq), logs.map((e) => e.data.seq));
    });

    test('the event stream follows a run live over a real socket and stops when the client goes away', async () => {
      const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
      // The run waits at a gate until the stream is connected, so "running" is seen however slow the machine.
      const gate = component.gate('socket-live');
      const r = (await deploy({ name: 'socket', inputs: { value: 'sock', gate: 'socket-live' } })).json();
      await gate.entered;
      const res = await fetch(`${address}/api/v1/orgs/${h.orgA}/deployments/${r.deploymentId}/events`, { headers: h.as(h.orgA, 'viewer') });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      gate.open();
      const text = await res.text();
      const ev = parseSse(text);
      assert.equal(ev.at(-1)!.event, 'done');
      assert.ok(ev.some((e) => e.event === 'status' && e.data.status === 'running'), 'saw it running before it finished');
      // a client that leaves early does not keep the stream (or the test process) busy
      const slow = (await deploy({ name: 'socket', inputs: { value: 'sock2', delayMs: 300 } })).json();
      const ac = new AbortController();
      const early = await fetch(`${address}/api/v1/orgs/${h.orgA}/deployments/${slow.deploymentId}/events`, { headers: h.as(h.orgA, 'viewer'), signal: ac.signal });
      const reader = early.body!.getReader();
      await reader.read();
      ac.abort();
      await reader.read().catch(() => undefined);
      assert.equal((await done(slow.deploymentId)).status, 'succeeded');
    });

    test('two deploys of one instance started together both finish, in turn, and the final state is the second', async () => {
      // Deterministic: each run waits at a gate the test opens, so nothing depends on timing. The
      // queue order is the id order (ids are time-ordered); whichever the ids say is first must be
      // the one that runs first, even when the two requests race each other.
      const [a, b] = await Promise.all([
        deploy({ name: 'lock', inputs: { value: 'first', gate: 'lock-first' } }),
        deploy({ name: 'lock', inputs: { value: 'second', gate: 'lock-second' } }),
      ]);
      assert.equal(a.statusCode, 202, a.body);
      assert.equal(b.statusCode, 202, b.body);
      const first = a.json().deploymentId as string;
      const second = b.json().deploymentId as string;
      const [earlier, later] = first < second ? [first, second] : [second, first];
      const [value1, value2] = first < second ? ['first', 'second'] : ['second', 'first'];
      const gate1 = component.gate(`lock-${value1}`);
      const gate2 = component.gate(`lock-${value2}`);
      const winner = await Promise.race([gate1.entered.then(() => value1), gate2.entered.then(() => value2)]);
      assert.equal(winner, value1, `the deployment queued first (${earlier}) runs first`);
      // While the first holds the instance, another instance runs (two workers) and the second waits.
      const o = (await deploy({ name: 'other', inputs: { value: 'x' } })).json();
      assert.equal((await done(o.deploymentId)).status, 'succeeded');
      assert.equal((await get(`/deployments/${later}`)).json().status, 'queued');
      assert.equal(gate2.isEntered(), false);
      gate1.open();
      await gate2.entered;
      assert.equal((await get(`/deployments/${earlier}`)).json().status, 'succeeded');
      gate2.open();
      const [d1, d2] = await Promise.all([done(earlier), done(later)]);
      assert.equal(d1.status, 'succeeded');
      assert.equal(d2.status, 'succeeded');
      const runs = component.calls.filter((c) => c.instanceId === a.json().instanceId);
      assert.deepEqual(runs.map((r) => r.value), [value1, value2]);
      assert.ok(runs[1]!.start >= runs[0]!.end, 'the second started only after the first ended');
      assert.equal(runs[1]!.state.deployedValue, value1, 'the second run saw the first one\'s state');
      const inst = (await get(`/instances/${a.json().instanceId}`)).json();
      assert.equal(inst.outputs.value, value2);
      assert.equal(inst.status, 'deployed');
      assert.equal(inst.lastDeployment.id, later);
    });

    test('a failed deployment keeps the previous outputs and state and records the AWS code and request id', async () => {
      const ok = (await deploy({ name: 'keep', inputs: { value: 'good' } })).json();
      assert.equal((await done(ok.deploymentId)).status, 'succeeded');
      const bad = (await deploy({ name: 'keep', inputs: { value: 'bad', fail: 'hangar-aws' } })).json();
      const fin = await done(bad.deploymentId);
      assert.equal(fin.status, 'failed');
      assert.deepEqual(fin.error.code, 'COMPONENT_AWS_ERROR');
      assert.equal(fin.error.awsCode, 'ResourceConflictException');
      assert.equal(fin.error.requestId, 'req-123');
      assert.doesNotMatch(fin.error.message, /fake-secret/, 'the secret the component put in its error is scrubbed');
      const rec = (await get(`/deployments/${bad.deploymentId}`)).json();
      assert.equal(rec.status, 'failed');
      assert.equal(rec.error.awsCode, 'ResourceConflictException');
      assert.equal(rec.error.requestId, 'req-123');
      const inst = (await get(`/instances/${ok.instanceId}`)).json();
      assert.equal(inst.outputs.value, 'good');
      assert.equal(inst.inputs.value, 'good');
      assert.equal(inst.status, 'deployed');
      assert.equal(inst.lastDeployment.id, bad.deploymentId);
      assert.equal(inst.lastDeployment.status, 'failed');
      const row = await h.store.db.selectFrom('instances').select('state').where('id', '=', ok.instanceId).executeTakeFirstOrThrow();
      assert.equal(JSON.parse(row.state).deployedValue, 'good');
      // a raw AWS SDK error is recorded with its name and request id too
      const raw = (await deploy({ name: 'keep', inputs: { value: 'raw', fail: 'raw-aws' } })).json();
      const rf = await done(raw.deploymentId);
      assert.equal(rf.error.code, 'COMPONENT_AWS_ACCESS_DENIED');
      assert.equal(rf.error.awsCode, 'AccessDeniedException');
      assert.equal(rf.error.requestId, 'req-raw-9');
      // and the next run is handed the last good state
      const again = (await deploy({ name: 'keep', inputs: { value: 'again' } })).json();
      await done(again.deploymentId);
      assert.equal(component.calls.find((c) => c.value === 'again')!.state.deployedValue, 'good');
    });

    test('a bug in a component fails the deployment with DEPLOY_COMPONENT_FAILED', async () => {
      const r = (await deploy({ name: 'plain', inputs: { value: 'p', fail: 'plain' } })).json();
      const fin = await done(r.deploymentId);
      assert.equal(fin.error.code, 'DEPLOY_COMPONENT_FAILED');
      assert.match(fin.error.message, /boom/);
      assert.equal((await get(`/instances/${r.instanceId}`)).json().status, 'failed');
    });

    test('no credential reaches the store, the stream, the engine log or the audit events', async () => {
      const r = (await deploy({ name: 'leaky', inputs: { value: 'leak', leak: true } })).json();
      const stream = await events(r.deploymentId);
      const creds = fb.issued.at(-1)!;
      const secrets = creds.secrets();
      assert.equal(secrets.length, 3);
      assert.ok(component.calls.find((c) => c.value === 'leak')!.sawSecretKey, 'the component did get the real secret');
      assert.ok(stream.some((e) => e.event === 'log' && /oops: key=\[REDACTED\] secret=\[REDACTED\] token=\[REDACTED\]/.test(e.data.message)));
      const dump = JSON.stringify([
        await h.store.db.selectFrom('deployments').selectAll().execute(),
        await h.store.db.selectFrom('deployment_logs').selectAll().execute(),
        await h.store.db.selectFrom('instances').selectAll().execute(),
        stream, h.audit, h.logs,
      ]);
      for (const s of fb.issued.flatMap((c) => c.secrets())) assert.ok(!dump.includes(s), `a secret (…${s.slice(-4)}) leaked`);
      assert.equal(fb.closedCount(), fb.opened.length, 'every session was closed');
    });

    test('no provider: failed with PROVIDER_NOT_CONFIGURED and the component never ran', async () => {
      const comp = fakeComponent();
      const none = fakeBroker({});
      const h2 = await createHarness({ kind: db.kind, lookup: () => comp, broker: none.broker });
      try {
        const res = await h2.app.inject({ method: 'POST', url: `/api/v1/orgs/${h2.orgA}/deployments`, headers: h2.as(h2.orgA), payload: { app: 'a', stage: 'dev', name: 'n', component: 'fake', inputs: { value: 'v' } } });
        const id = res.json().deploymentId;
        const ev = parseSse((await h2.app.inject({ url: `/api/v1/orgs/${h2.orgA}/deployments/${id}/events`, headers: h2.as(h2.orgA) })).body);
        const fin = ev.at(-1)!.data;
        assert.equal(fin.status, 'failed');
        assert.equal(fin.error.code, 'PROVIDER_NOT_CONFIGURED');
        assert.match(fin.error.message, /hangar providers create/);
        assert.deepEqual(fin.provider, { id: null, name: null, roleArn: null });
        assert.equal(comp.calls.length, 0);
        assert.equal(none.opened.length, 0);
        const finished = h2.audit.find((e) => e.kind === 'deployment.finished')!;
        assert.equal(finished.data['status'], 'failed');
        assert.equal(finished.data['errorCode'], 'PROVIDER_NOT_CONFIGURED');
      } finally {
        await h2.close();
      }
    });

    test('validation at the edge: component, inputs with dotted paths, manifest, role', async () => {
      const unknown = await deploy({ component: 'nope', inputs: {} });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().code, 'COMPONENT_NOT_FOUND');
      const inputs = await deploy({ name: 'badinputs', inputs: { value: 'v', memory: 'big' } });
      assert.equal(inputs.json().code, 'COMPONENT_INPUTS_INVALID');
      assert.match(inputs.json().message, /inputs\.memory: .*got "big"/);
      const names = await deploy({ app: '../etc', inputs: { value: 'v' } });
      assert.equal(names.json().code, 'VALIDATION_FAILED');
      assert.match(names.json().message, /body\.app/);
      const manifest = await deploy({ name: 'src', inputs: { value: 'v' }, manifestId: 'e'.repeat(64) });
      assert.equal(manifest.json().code, 'SOURCE_MANIFEST_UNKNOWN');
      const viewer = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA, 'viewer'), payload: { app: 'a', stage: 'dev', name: 'n', component: 'fake', inputs: { value: 'v' } } });
      assert.equal(viewer.statusCode, 403);
      // nothing was created by refused requests
      assert.equal((await get('/instances/by-name/shop/dev/badinputs')).statusCode, 404);
    });

    test('a deployment with source hands the component the assembled zip', async () => {
      const content = 'exports.handler = async () => ({ statusCode: 200 });';
      const e = { path: 'index.js', sha256: createHash('sha256').update(content).digest('hex'), size: content.length, mode: 0o644 };
      await h.feature.source.upload(h.orgA, { kind: 'full', entries: [e] });
      const missing = await deploy({ name: 'withsrc', inputs: { value: 's' }, manifestId: manifestId([e]) });
      assert.equal(missing.json().code, 'SOURCE_BLOBS_MISSING');
      await h.feature.source.putBlob(h.orgA, e.sha256, new TextEncoder().encode(content));
      const r = (await deploy({ name: 'withsrc', inputs: { value: 's' }, manifestId: manifestId([e]) })).json();
      assert.equal((await done(r.deploymentId)).status, 'succeeded');
      const call = component.calls.find((c) => c.value === 's')!;
      assert.equal(call.manifestId, manifestId([e]));
      assert.ok(call.zipBytes! > content.length / 2);
    });

    test('remove runs the component\'s remove and clears the instance', async () => {
      const d = (await deploy({ name: 'gone', inputs: { value: 'g' } })).json();
      await done(d.deploymentId);
      const r = await deploy({ name: 'gone', action: 'remove', inputs: {} });
      assert.equal(r.statusCode, 202);
      const fin = await done(r.json().deploymentId);
      assert.equal(fin.status, 'succeeded');
      const removal = component.calls.find((c) => c.action === 'remove' && c.instanceId === d.instanceId)!;
      assert.equal(removal.state.deployedValue, 'g');
      const inst = (await get('/instances/by-name/shop/dev/gone')).json();
      assert.equal(inst.status, 'removed');
      assert.deepEqual(inst.outputs, {});
      const row = await h.store.db.selectFrom('instances').select('state').where('id', '=', d.instanceId).executeTakeFirstOrThrow();
      assert.equal(row.state, '{}');
      const twice = await deploy({ name: 'gone', action: 'remove', inputs: {} });
      assert.equal(twice.statusCode, 404);
    });

    test('history, instance list and by-name views; another org sees none of it', async () => {
      const inst = (await get('/instances/by-name/shop/dev/keep')).json();
      const hist = (await get(`/deployments?instanceId=${inst.id}&limit=10`)).json().deployments;
      assert.ok(hist.length >= 4);
      assert.deepEqual(hist.map((d: { id: string }) => d.id), [...hist.map((d: { id: string }) => d.id)].sort().reverse(), 'newest first');
      assert.equal(hist[0].actor, 'token:ci');
      assert.equal(hist[0].provider.roleArn, testProvider.roleArn);
      assert.equal(typeof hist[0].durationMs, 'number');
      assert.equal((await get('/deployments?limit=2')).json().deployments.length, 2);
      const list = (await get('/instances')).json().instances;
      assert.ok(list.some((i: { name: string; app: string; stage: string; component: string }) => i.name === 'keep' && i.app === 'shop' && i.stage === 'dev' && i.component === 'fake'));
      // org B: not found everywhere
      assert.equal((await get(`/instances/${inst.id}`, h.orgB)).statusCode, 404);
      assert.equal((await get(`/deployments/${hist[0].id}`, h.orgB)).statusCode, 404);
      assert.equal((await get(`/deployments/${hist[0].id}/events`, h.orgB)).statusCode, 404);
      assert.equal((await get(`/deployments/${hist[0].id}/logs`, h.orgB)).statusCode, 404);
      assert.deepEqual((await get('/instances', h.orgB)).json().instances, []);
      assert.deepEqual((await get('/deployments', h.orgB)).json().deployments, []);
      // and org A's member cannot reach B's routes
      assert.equal((await h.app.inject({ url: `/api/v1/orgs/${h.orgB}/instances`, headers: h.as(h.orgA) })).statusCode, 404);
      const audits = h.audit.filter((e) => e.subject === `deployment:${hist[0].id}`).map((e) => e.kind);
      assert.deepEqual(audits, ['deployment.started', 'deployment.finished']);
    });

    test('a deployment left running by a dead engine process is failed as DEPLOY_INTERRUPTED and frees its instance', async () => {
      const first = (await deploy({ name: 'zombie', inputs: { value: 'z1' } })).json();
      await done(first.deploymentId);
      const row = await h.store.db.selectFrom('deployments').selectAll().where('id', '=', first.deploymentId).executeTakeFirstOrThrow();
      const hourAgo = new Date(Date.now() - 3600_000).toISOString();
      await h.store.db.insertInto('deployments').values({
        ...row, id: 'dep_000000000000zombie00', status: 'running', outputs: null, started_at: hourAgo, finished_at: null, heartbeat_at: hourAgo,
      }).execute();
      const next = (await deploy({ name: 'zombie', inputs: { value: 'z2' } })).json();
      assert.equal((await done(next.deploymentId)).status, 'succeeded');
      const zombie = (await get('/deployments/dep_000000000000zombie00')).json();
      assert.equal(zombie.status, 'failed');
      assert.equal(zombie.error.code, 'DEPLOY_INTERRUPTED');
      assert.equal((await get(`/instances/${first.instanceId}`)).json().outputs.value, 'z2');
    });

    test('a run failed as DEPLOY_INTERRUPTED while it ran (its lease taken over) ends failed, never succeeded carrying the error', async () => {
      const ok = (await deploy({ name: 'overtaken', inputs: { value: 'before' } })).json();
      assert.equal((await done(ok.deploymentId)).status, 'succeeded');
      const gate = component.gate('overtaken');
      const r = (await deploy({ name: 'overtaken', inputs: { value: 'late', gate: 'overtaken' } })).json();
      await gate.entered;
      // What a newcomer engine (or a reaper that judged the lease expired) does meanwhile.
      await h.store.db.updateTable('deployments').set({ status: 'failed', error_code: 'DEPLOY_INTERRUPTED', error_message: 'interrupted', finished_at: new Date().toISOString() }).where('id', '=', r.deploymentId).execute();
      gate.open();
      const deadline = Date.now() + 30_000;
      while (!h.logs.some((l) => l.includes('its result is discarded') && l.includes(r.deploymentId)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      const rec = (await get(`/deployments/${r.deploymentId}`)).json();
      assert.equal(rec.status, 'failed');
      assert.equal(rec.error.code, 'DEPLOY_INTERRUPTED');
      assert.equal(rec.outputs ?? null, null);
      const inst = (await get(`/instances/${r.instanceId}`)).json();
      assert.equal(inst.outputs.value, 'before', 'the overtaken run did not write the instance');
      assert.equal(h.audit.filter((e) => e.kind === 'deployment.finished' && e.subject === `deployment:${r.deploymentId}`).length, 0, 'the run did not add a second finished event to the reaper\'s');
    });

    test('an engine starting on a shared store fails only runs whose lease expired, each with its finished audit event', async () => {
      const ok = (await deploy({ name: 'leases', inputs: { value: 'l' } })).json();
      await done(ok.deploymentId);
      const row = await h.store.db.selectFrom('deployments').selectAll().where('id', '=', ok.deploymentId).executeTakeFirstOrThrow();
      const fresh = new Date().toISOString();
      const hourAgo = new Date(Date.now() - 3600_000).toISOString();
      await h.store.db.insertInto('deployments').values([
        { ...row, id: 'dep_0000000000000000alive001', status: 'running', outputs: null, started_at: fresh, finished_at: null, heartbeat_at: fresh },
        { ...row, id: 'dep_0000000000000000expired1', status: 'running', outputs: null, started_at: hourAgo, finished_at: null, heartbeat_at: hourAgo },
      ]).execute();
      const audit: Array<{ kind: string; subject?: string; data: Record<string, unknown> }> = [];
      const newcomer = createDeploymentsFeature({
        db: h.store.db, clock: { now: () => new Date() }, logger: createLogger({ write: () => {} }),
        config: { publicUrl: 'x', dataDir: h.dataDir, database: { kind: 'sqlite', path: ':memory:' }, aws: { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, limits: { maxFiles: 10, maxTotalBytes: 10, maxFileBytes: 10, maxManifestEntries: 10 }, workers: 0 },
        audit: { append: async (e) => void audit.push(e) }, broker: fb.broker, lookup: () => component, pollMs: 60_000,
      });
      await newcomer.start!();
      try {
        const alive = await h.store.db.selectFrom('deployments').selectAll().where('id', '=', 'dep_0000000000000000alive001').executeTakeFirstOrThrow();
        assert.equal(alive.status, 'running', 'a live lease is never touched by an engine that just started');
        assert.equal(alive.error_code, null);
        const expired = await h.store.db.selectFrom('deployments').selectAll().where('id', '=', 'dep_0000000000000000expired1').executeTakeFirstOrThrow();
        assert.equal(expired.status, 'failed');
        assert.equal(expired.error_code, 'DEPLOY_INTERRUPTED');
        // Reaped once, with one finished event: by the newcomer, or by the running engine's own
        // reaper if its poll came first (both judge by the lease; neither touched the live one).
        const reapedEvents = [...audit, ...h.audit].filter((e) => e.subject === 'deployment:dep_0000000000000000expired1' || e.subject === 'deployment:dep_0000000000000000alive001');
        assert.deepEqual(reapedEvents.map((e) => [e.kind, e.subject, e.data['status'], e.data['errorCode']]), [['deployment.finished', 'deployment:dep_0000000000000000expired1', 'failed', 'DEPLOY_INTERRUPTED']]);
      } finally {
        await newcomer.stop!();
        await h.store.db.deleteFrom('deployments').where('id', '=', 'dep_0000000000000000alive001').execute();
      }
    });

    test('two engine processes on one store still run one deployment per instance at a time', async () => {
      // A second deployments feature on the same database plays the second engine process.
      const second = createDeploymentsFeature({
        db: h.store.db, clock: { now: () => new Date() }, logger: createLogger({ write: () => {} }),
        config: { publicUrl: 'x', dataDir: h.dataDir, database: { kind: 'sqlite', path: ':memory:' }, aws: { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, limits: { maxFiles: 10, maxTotalBytes: 10, maxFileBytes: 10, maxManifestEntries: 10 }, workers: 2 },
        audit: { append: async () => {} }, broker: fb.broker, lookup: () => component, pollMs: 20,
      });
      await second.start!();
      try {
        const ids: Array<{ deploymentId: string; instanceId: string }> = [];
        for (let i = 0; i < 4; i++) ids.push((await deploy({ name: 'multi', inputs: { value: `m${i}`, delayMs: 40 } })).json());
        for (const r of ids) assert.equal((await done(r.deploymentId)).status, 'succeeded');
        const runs = component.calls.filter((c) => c.instanceId === ids[0]!.instanceId).sort((x, y) => x.start - y.start);
        assert.deepEqual(runs.map((r) => r.value), ['m0', 'm1', 'm2', 'm3']);
        for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.start >= runs[i - 1]!.end, `run ${i} overlapped the one before`);
      } finally {
        await second.stop!();
      }
    });
  });
}

describe('heartbeats keep a long deployment alive', () => {
  test('a run longer than the stale limit is not reaped while its heartbeat is renewed', async () => {
    const component = fakeComponent();
    // The run lasts 2.5x the stale limit; heartbeats come 12x more often than the limit, so a busy
    // shared machine (event-loop stalls of a few hundred ms) cannot make this flaky.
    const h = await createHarness({ lookup: () => component, heartbeatMs: 50, staleMs: 600, pollMs: 20 });
    try {
      const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA), payload: { app: 'a', stage: 'dev', name: 'slow', component: 'fake', inputs: { value: 'slow', delayMs: 1500 } } });
      const ev = parseSse((await h.app.inject({ url: `/api/v1/orgs/${h.orgA}/deployments/${res.json().deploymentId}/events`, headers: h.as(h.orgA) })).body);
      assert.equal(ev.at(-1)!.data.status, 'succeeded', JSON.stringify(ev.at(-1)));
    } finally {
      await h.close();
    }
  });
});

describe('a run that lost its lease stops', () => {
  test('when another engine fails a running deployment as interrupted, the run is aborted through its signal and its result discarded', async () => {
    const component = fakeComponent();
    const h = await createHarness({ lookup: () => component, heartbeatMs: 50, pollMs: 20 });
    try {
      // The component waits up to 10 minutes, returning early only if its signal aborts.
      const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA), payload: { app: 'a', stage: 'dev', name: 'lost', component: 'fake', inputs: { value: 'lost', delayMs: 600_000 } } });
      const id = res.json().deploymentId as string;
      const deadline = Date.now() + 60_000;
      while (!h.logs.some((l) => l.includes(`deploying value=lost`)) && !(await h.store.db.selectFrom('deployment_logs').select('seq').where('deployment_id', '=', id).where('message', '=', 'deploying value=lost').executeTakeFirst())) {
        assert.ok(Date.now() < deadline, 'the run started');
        await new Promise((r) => setTimeout(r, 20));
      }
      await h.store.db.updateTable('deployments').set({ status: 'failed', error_code: 'DEPLOY_INTERRUPTED', error_message: 'interrupted elsewhere', finished_at: new Date().toISOString() }).where('id', '=', id).execute();
      while (!h.logs.some((l) => l.includes('its result is discarded') && l.includes(id))) {
        assert.ok(Date.now() < deadline, 'the run ended well before its 10 minutes');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(h.logs.some((l) => l.includes('lost its lease') && l.includes(id)));
      const call = component.calls.find((c) => c.value === 'lost')!;
      assert.ok(call.end - call.start < 300_000, 'aborted, not waited out');
      const row = await h.store.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'failed');
      assert.equal(row.error_code, 'DEPLOY_INTERRUPTED');
    } finally {
      await h.close();
    }
  });
});
