import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeEngine, type FakeEngine } from '../testing/fake-engine.js';
import { tempProject, testContext, type TestContext } from '../testing/helpers.js';
import { describeChanges, dev, formatLogLine, parseDebounce, watchPlanFor } from './dev.js';

let engine: FakeEngine;
before(async () => { engine = await startFakeEngine(); });
after(async () => { await engine.close(); });

interface DevEvent { event: string; changed?: string[]; error?: { code: string; message: string }; outputs?: Record<string, unknown> }
const events = (ctx: TestContext): DevEvent[] => ctx.stdout.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as DevEvent);

/**
 * Waits (polling) until the events satisfy `ok`; the test's timeout ends a wait that never does.
 * `save`, when given, is done first and again every 3 s until then: on a loaded machine the file
 * watcher can take its time, and saving again is what a developer would do.
 */
async function until(ctx: TestContext, ok: (e: DevEvent[]) => boolean, save?: () => void): Promise<DevEvent[]> {
  save?.();
  for (let waited = 0; ; waited += 10) {
    const e = events(ctx);
    if (ok(e)) return e;
    // Bounded, so a wait that never ends cannot keep the test process alive after the test's timeout.
    if (waited > 50_000) throw new Error(`the expected dev events never came; got: ${e.map((x) => x.event).join(', ')}`);
    if (save && waited > 0 && waited % 3000 === 0) save();
    await new Promise((r) => setTimeout(r, 10));
  }
}
const count = (e: DevEvent[], name: string) => e.filter((x) => x.event === name).length;

test('dev --json: deploys, redeploys a save with the changed path, keeps watching after a failed deploy, and stops with 0', { timeout: 60_000 }, async (t) => {
  const p = tempProject();
  t.after(() => { engine.setFailure(undefined); p.cleanup(); });
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home, HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token });
  let stop: () => void = () => undefined;
  const running = dev(ctx, { json: true, debounce: '20' }, () => new Promise<void>((r) => { stop = r; }));
  t.after(async () => { stop(); await running.catch(() => 1); }); // closes the watcher even when an assertion failed

  let e = await until(ctx, (x) => count(x, 'watching') === 1);
  assert.deepEqual(e.slice(0, 2).map((x) => x.event), ['deploying', 'deployed'], ctx.stderr.text());
  assert.deepEqual(e[0]!.changed, []);
  assert.equal(ctx.stderr.text(), '', '--json prints nothing else');

  e = await until(ctx, (x) => count(x, 'deployed') >= 2, () => p.write('src/index.mjs', 'export const handler = async () => ({ statusCode: 200, body: "two" });\n'));
  assert.deepEqual(e.filter((x) => x.event === 'deploying').at(-1)!.changed, ['src/index.mjs']);

  engine.setFailure({ code: 'PROVIDER_NOT_CONFIGURED', message: 'No provider is linked.' });
  e = await until(ctx, (x) => count(x, 'deploy-failed') >= 1, () => p.write('src/lib/a.js', 'export const a = 2;\n'));
  assert.equal(e.find((x) => x.event === 'deploy-failed')!.error!.code, 'PROVIDER_NOT_CONFIGURED');

  engine.setFailure(undefined);
  const deployed = count(events(ctx), 'deployed');
  e = await until(ctx, (x) => count(x, 'deployed') > deployed, () => p.write('src/lib/a.js', 'export const a = 3;\n'));
  assert.deepEqual(e.filter((x) => x.event === 'deploying').at(-1)!.changed, ['src/lib/a.js'], 'still watching after the failure');

  const deploysBefore = engine.deployments.length;
  stop();
  assert.equal(await running, 0);
  assert.equal(events(ctx).at(-1)!.event, 'stopped');
  p.write('src/lib/a.js', 'export const a = 4;\n');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(engine.deployments.length, deploysBefore, 'nothing is deployed after stopping');
});

test('dev refuses a bad --debounce and a project without inputs.src before calling the engine', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const before = engine.requests.length;
  const env = { HANGAR_HOME: p.home, HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token };
  const bad = testContext(p.dir, env);
  assert.equal(await dev(bad, { debounce: 'soon' }, () => new Promise(() => undefined)), 1);
  assert.match(bad.stderr.text(), /--debounce: expected whole milliseconds from 0 to 10000, got "soon".*\(VALIDATION_FAILED\)/);

  p.write('hangar.yml', 'component: http-function\nname: api\napp: shop\ninputs:\n  handler: index.handler\n');
  const noSrc = testContext(p.dir, env);
  assert.equal(await dev(noSrc, { json: true }, () => new Promise(() => undefined)), 1);
  assert.equal(events(noSrc).at(-1)!.error!.code, 'CLI_DEV_NO_SOURCE');
  assert.equal(engine.requests.length, before, 'the engine heard nothing');
});

test('parseDebounce, describeChanges and formatLogLine', () => {
  assert.equal(parseDebounce(undefined), 100);
  assert.equal(parseDebounce('0'), 0);
  assert.equal(parseDebounce('10000'), 10_000);
  for (const v of ['-1', '10001', '1.5', '', 'abc']) assert.throws(() => parseDebounce(v), /VALIDATION_FAILED|--debounce/);
  assert.equal(describeChanges(['src/a.js']), 'src/a.js');
  assert.equal(describeChanges(['src/a.js', 'src/b.js', 'src/c.js']), 'src/a.js and 2 more');
  const line = formatLogLine({
    id: '1', ts: '2026-12-01T10:00:01.123Z', stream: 's', requestId: '8f1c2d3e-0000-4000-8000-000000000000', kind: 'log', errorType: null,
    message: '2026-12-01T10:00:01.123Z\t8f1c2d3e-0000-4000-8000-000000000000\tINFO\thello world\n',
  });
  assert.equal(line, '10:00:01 [8f1c2d3e] INFO hello world');
  const report = formatLogLine({
    id: '2', ts: '2026-12-01T10:00:01.200Z', stream: 's', requestId: '8f1c2d3e-0000-4000-8000-000000000000', kind: 'report', errorType: null,
    message: 'REPORT RequestId: 8f1c2d3e-0000-4000-8000-000000000000\tDuration: 11.97 ms\tBilled Duration: 12 ms\tMemory Size: 1024 MB\tMax Memory Used: 42 MB\tInit Duration: 63.34 ms\n',
  });
  assert.equal(report, '10:00:01 [8f1c2d3e] REPORT 11.97 ms · 42 MB · init 63.34 ms');
});

test('the watch plan: the source folder, or with a build hook its src without the dist it writes; never $HANGAR_HOME', () => {
  const plain = watchPlanFor({ plan: { root: '/p/src' }, guard: { excludeDirs: new Map([['.hangar-home', '$HANGAR_HOME']]) } }, '/p/src/.hangar-home');
  assert.equal(plain.root, '/p/src');
  assert.deepEqual(plain.ignoredDirs, ['/p/src/.hangar-home', '/p/src/.hangar-home']);
  const hook = watchPlanFor({ plan: { root: '/p/dist', hook: { command: 'npm run build', cwd: '/p' } } }, '/home/me/.hangar');
  assert.equal(hook.root, '/p');
  assert.deepEqual(hook.ignoredDirs, ['/p/dist', '/home/me/.hangar']);
});
