/**
 * SSE fan-out across engines (a script, not a test). Run from the repo root:
 *   HANGAR_TEST_PG=postgres://postgres@127.0.0.1:5432/test node --conditions=source --import tsx bench/fanout.bench.ts [--runs 5] [--lines 100] [--gap 10]
 *
 * Engine A (its own process) runs deployments whose component writes `lines` log lines `gap` ms
 * apart, each stamped with the time it was written. Two other engines in this process, on the
 * same PostgreSQL schema, stream each deployment to an SSE client over HTTP:
 *   - "notify": the PostgreSQL bus (LISTEN/NOTIFY) and no polling at all (poll interval 10 min);
 *   - "poll": the in-process bus only, polling the store every 1 s (how streams from another engine
 *     worked before).
 * Latency = when the client received the line - when the component wrote it (written includes the
 * INSERT; received includes NOTIFY, the SELECT, the SSE write and HTTP). Writes
 * bench/results/scale-fanout.md.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openTestStore } from '../packages/engine/src/store/test-store.js';
import { createHarness, type Harness } from '../packages/engine/src/deployments/_harness.js';
import { followSse } from '../packages/engine/src/deployments/_sse.js';
import { fanoutComponent, now } from './_fanout-component.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const runs = Number(arg('runs', '5'));
const lines = Number(arg('lines', '100'));
const gapMs = Number(arg('gap', '10'));
process.env.HANGAR_TEST_PG ??= 'postgres://postgres@127.0.0.1:5432/test';
const url = process.env.HANGAR_TEST_PG;
const log = (s: string) => process.stderr.write(`${s}\n`);
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };
const lookup = (n: string) => (n === fanoutComponent.name ? fanoutComponent : undefined);

const load0 = loadavg();
const store = await openTestStore('postgres');
const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]!.s;
const listen = async (h: Harness) => { await h.app.listen({ port: 0, host: '127.0.0.1' }); return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`; };
const notifyEngine = await createHarness({ store, lookup, workers: 0, pollMs: 600_000, streamHeartbeatMs: 600_000, listenClient: store.listenClient! });
const pollEngine = await createHarness({ store, lookup, workers: 0, pollMs: 1000 });
const followers = { notify: await listen(notifyEngine), poll: await listen(pollEngine) };

const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/_fanout-runner.ts', url, schema], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
const aPort = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout! }).once('line', resolve);
  child.once('exit', (code) => reject(new Error(`engine A exited (${code})`)));
});
const engineA = `http://127.0.0.1:${aPort}`;
const auth = notifyEngine.as(notifyEngine.orgA, 'deployer');

const latencies: Record<keyof typeof followers, number[]> = { notify: [], poll: [] };
try {
  for (let r = 0; r < runs; r++) {
    const res = await fetch(`${engineA}/api/v1/orgs/${notifyEngine.orgA}/deployments`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ app: 'bench', stage: 'dev', name: `fanout-${r}`, component: fanoutComponent.name, inputs: { lines, gapMs, startDelayMs: 500 } }),
    });
    if (res.status !== 202) throw new Error(`deploy: ${res.status} ${await res.text()}`);
    const { deploymentId } = (await res.json()) as { deploymentId: string };
    await Promise.all((Object.keys(followers) as Array<keyof typeof followers>).map(async (kind) => {
      const f = await followSse(`${followers[kind]}/api/v1/orgs/${notifyEngine.orgA}/deployments/${deploymentId}/events`, auth);
      let seen = 0;
      await f.until((e) => {
        if (e.event === 'log' && String(e.data.message).startsWith('t=')) {
          latencies[kind].push(now() - Number(String(e.data.message).slice(2)));
          seen++;
        }
        return e.event === 'done';
      });
      f.close();
      if (seen !== lines) throw new Error(`${kind}: ${seen} lines of ${lines}`);
    }));
    log(`run ${r + 1}/${runs}: notify p50 ${pct(latencies.notify, 50).toFixed(1)} ms, poll p50 ${pct(latencies.poll, 50).toFixed(1)} ms`);
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await pollEngine.close();
  await notifyEngine.close();
  await store.cleanup();
}

const load1 = loadavg();
const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(1)} ms | ${pct(xs, 90).toFixed(1)} ms | ${pct(xs, 99).toFixed(1)} ms | ${Math.max(...xs).toFixed(1)} ms |`;
const md = `# SSE fan-out across engines

Run ${new Date().toISOString()} with \`node --conditions=source --import tsx bench/fanout.bench.ts --runs ${runs} --lines ${lines} --gap ${gapMs}\`.

Machine: ${cpus()[0]?.model.trim() ?? 'unknown'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${platform()} ${release()} ${arch()}, Node ${process.version};
load average ${load0.map((l) => l.toFixed(2)).join(' / ')} at start, ${load1.map((l) => l.toFixed(2)).join(' / ')} at end (the machine is shared with other work).
PostgreSQL on 127.0.0.1, one fresh schema.

Engine A (its own Node process, one worker) runs ${runs} deployments; each writes ${lines} log lines ${gapMs} ms apart.
Two more engines (one Node process, separate pools) on the same schema each serve an SSE client over HTTP that follows every deployment.
Latency: the client received the line minus the component wrote it (the INSERT, the NOTIFY or the poll, the SELECT, the SSE frame, HTTP).

| follower's engine | lines | p50 | p90 | p99 | max |
| --- | ---: | ---: | ---: | ---: | ---: |
${row('LISTEN/NOTIFY, no polling (poll every 10 min)', latencies.notify)}
${row('in-process bus only, polling every 1 s (before)', latencies.poll)}

With LISTEN/NOTIFY a line reaches a client of another engine within a few database round trips; with
polling, the wait is up to the poll interval (mean about half of it). The NOTIFYs of one deployment
are coalesced (one in flight, at most one queued), so a chatty deployment costs each listening engine
at most one SELECT per notification batch, not one per line.
`;
writeFileSync(new URL('results/scale-fanout.md', import.meta.url), md);
log(md);
