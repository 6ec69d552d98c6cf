import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { ComponentContext } from '@hangar/components';
import { testDatabases } from '../store/test-store.js';
import { createHarness, type Harness } from './_harness.js';
import type { RunnableComponent } from './components.js';

/** A component whose deploys wait until the test opens their gate (by the input `value`). */
function gatedComponent() {
  const gates = new Map<string, { open: () => void; opened: Promise<void>; signal?: AbortSignal }>();
  const gate = (value: string) => {
    let g = gates.get(value);
    if (!g) {
      let open!: () => void;
      const opened = new Promise<void>((r) => { open = r; });
      g = { open, opened };
      gates.set(value, g);
    }
    return g;
  };
  const component: RunnableComponent = {
    name: 'gated',
    inputs: z.object({ value: z.string() }) as z.ZodType<unknown>,
    permissions: [],
    async deploy(raw: unknown, ctx: ComponentContext) {
      const { value } = raw as { value: string };
      const g = gate(value);
      if (ctx.signal) g.signal = ctx.signal;
      await g.opened;
      return { outputs: { value }, state: {} };
    },
    async remove() {},
  };
  return { component, gate };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const db of testDatabases()) {
  describe(`draining the deployment workers (${db.kind})`, { skip: db.skip, timeout: 120_000 }, () => {
    const setup = async () => {
      const g = gatedComponent();
      const h = await createHarness({ kind: db.kind, workers: 1, pollMs: 50, lookup: (n) => (n === 'gated' ? g.component : undefined) });
      const deploy = async (name: string, value: string) => {
        const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA), payload: { app: 'shop', stage: 'dev', name, component: 'gated', inputs: { value } } });
        assert.equal(res.statusCode, 202, res.body);
        return (res.json() as { deploymentId: string }).deploymentId;
      };
      const status = async (id: string) => (await h.store.db.selectFrom('deployments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
      const running = (id: string) => until(`${id} to run`, async () => ((await status(id)) === 'running' ? true : undefined));
      return { ...g, h, deploy, status, running };
    };

    test('a running deployment finishes within the grace period, and nothing queued after the drain began is claimed', async () => {
      const t = await setup();
      let h: Harness | undefined = t.h;
      try {
        const first = await t.deploy('one', 'a');
        await t.running(first);
        const drained = t.h.feature.drain!(600_000);
        const later = await t.deploy('two', 'b');
        t.gate('a').open();
        const result = await drained;
        assert.deepEqual(result.stillRunning, []);
        assert.equal(await t.status(first), 'succeeded');
        assert.equal(t.gate('a').signal?.aborted, false, 'the run was not aborted');
        assert.equal(await t.status(later), 'queued', 'a drained engine claims nothing more; another engine (or the next start) will');
        await t.h.close();
        h = undefined;
      } finally {
        await h?.close();
      }
    });

    test('a deployment still running when the grace period ends is left alone: not aborted, not awaited, still marked running', async () => {
      const t = await setup();
      const id = await t.deploy('slow', 'slow');
      await t.running(id);
      const result = await t.h.feature.drain!(100);
      assert.deepEqual(result.stillRunning, [id]);
      // stop() must return although the run is still blocked (it would hang the test otherwise).
      await t.h.feature.stop!();
      assert.equal(t.gate('slow').signal?.aborted, false);
      assert.equal(await t.status(id), 'running', 'left for the interruption logic (reapStale / the SQLite start-up sweep)');
      assert.match(t.h.logs.join('\n'), /left for the interruption logic|leaving deployments that outlived the shutdown grace period/);
      // Let the orphaned run end before the store goes away.
      t.gate('slow').open();
      await until('the run to end', async () => ((await t.status(id)) !== 'running' ? true : undefined));
      await t.h.close();
    });
  });
}
