/**
 * `hangar dev` benchmark (a script, not a test). Run from the repo root:
 *   node scripts/bench.mjs dev [-- --runs 7]
 *
 * examples/hello-http with the engine and local cloud embedded: by default `hangar up` (the built
 * binary, its own process, as a developer runs it); `--engine in-process` starts them inside this
 * process from the TypeScript sources instead. The built `hangar` binary runs `hangar dev --json`
 * as its own process. Each
 * edit rewrites the handler so its answer carries a new marker and it logs that marker; measured
 * from the moment the file is written: the `deployed` event of `hangar dev`, the URL answering
 * with the new code (polled every 25 ms), and the function's log line appearing in `hangar dev`'s
 * output (the request that saw the new code wrote it). Goal: save -> new code answering <= 1.5 s
 * (median). Writes bench/results/dev.json and dev.md with the machine and its load.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const work = join(repo, 'bench', '.work', 'dev');
const bin = join(repo, 'packages', 'cli', 'dist', 'bin.js');
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const runs = Number(arg('runs', '7'));
const engineMode = arg('engine', 'up');
if (engineMode !== 'up' && engineMode !== 'in-process') throw new Error(`--engine: expected up or in-process, got ${engineMode}`);
const GOAL_MS = 1_500;
const POLL_MS = 25;

const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => +x.toFixed(2));

interface Timings { hashMs: number; uploadMs: number; deployMs: number; engineRunMs: number | null }
interface DevEvent { event: string; durationMs?: number; timings?: Timings; outputs?: { url?: string }; data?: { message: string }; error?: { code: string; message: string } }

/** `hangar dev --json`'s events as they arrive, with when each arrived. */
class Events {
  readonly seen: { at: number; e: DevEvent }[] = [];
  private buf = '';
  private waiters: { ok: (e: DevEvent) => boolean; from: number; resolve: (at: number) => void }[] = [];
  feed(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as DevEvent;
      const at = performance.now();
      this.seen.push({ at, e });
      this.waiters = this.waiters.filter((w) => (w.ok(e) && at >= w.from ? (w.resolve(at), false) : true));
    }
  }
  /** When the first event matching `ok` at or after `from` arrived (waits for it). */
  next(ok: (e: DevEvent) => boolean, from: number): Promise<number> {
    const hit = this.seen.find((s) => s.at >= from && ok(s.e));
    if (hit) return Promise.resolve(hit.at);
    return new Promise((resolve) => this.waiters.push({ ok, from, resolve }));
  }
}

const handler = (marker: string) => [
  '// An HTTP API (payload format 2.0) handler; the dev benchmark rewrites it on every edit.',
  'export const handler = async (event) => {',
  `  console.log(${JSON.stringify(`served ${marker}`)});`,
  `  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: process.env.GREETING ?? 'hello', edit: ${JSON.stringify(marker)}, path: event?.rawPath ?? '/' }) };`,
  '};',
  '',
].join('\n');

async function answersWith(url: string, marker: string, deadline: number): Promise<number> {
  for (;;) {
    try {
      const text = await (await fetch(url)).text();
      if (text.includes(`"edit":"${marker}"`)) return performance.now();
    } catch { /* between deployments: ask again */ }
    if (performance.now() > deadline) throw new Error(`the URL did not answer with ${marker} within ${deadline} ms`);
    await sleep(POLL_MS);
  }
}

interface Engine { readonly env: Record<string, string>; readonly note: string; close(): Promise<void> }

/** `hangar up` from the build, in its own process; it logs the CLI in under `home`. */
async function startUp(home: string): Promise<Engine> {
  const up = spawn(process.execPath, [bin, 'up', '--data-dir', join(work, 'data'), '--port', '0'], { cwd: work, env: { PATH: process.env.PATH ?? '', HOME: home, HANGAR_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<number | null>((resolve) => up.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const seen = (c: Buffer) => { text += c.toString(); if (text.includes('Serving.')) resolve(); };
    up.stdout.on('data', seen);
    up.stderr.on('data', seen);
    void exited.then((code) => reject(new Error(`hangar up exited ${code}: ${text}`)));
  });
  return {
    env: {}, note: '`hangar up` (the built binary, its own process)',
    close: async () => { up.kill('SIGINT'); await exited; },
  };
}

/** The engine and local cloud inside this process, from the TypeScript sources (tsx). */
async function startInProcess(): Promise<Engine> {
  const { startEmbedded } = await import('@hangar/local');
  const quiet = () => undefined;
  const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet, addSecret: quiet, removeSecret: quiet, child: () => logger };
  const embedded = await startEmbedded({ dataDir: join(work, 'data'), port: 0, cloudPort: 0, step: quiet, logger });
  return {
    env: { HANGAR_URL: embedded.engineUrl, HANGAR_TOKEN: embedded.ownerToken! }, note: 'startEmbedded in the benchmark process, from the TypeScript sources (tsx)',
    close: () => embedded.close(),
  };
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-b', 'packages/cli', 'packages/local'], { cwd: repo, stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
  const project = join(work, 'hello-http');
  cpSync(join(repo, 'examples', 'hello-http'), project, { recursive: true });
  const index = join(project, 'src', 'index.mjs');
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: +(totalmem() / 2 ** 30).toFixed(1), os: `${platform()} ${release()} ${arch()}`, node: process.version, loadAverageAtStart: load() };

  const home = join(work, 'home');
  const engine = engineMode === 'up' ? await startUp(home) : await startInProcess();
  const env = { PATH: process.env.PATH ?? '', HOME: home, HANGAR_HOME: home, ...engine.env };
  const events = new Events();
  const child = spawn(process.execPath, [bin, 'dev', '--json'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => events.feed(c.toString()));
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

  const edits: { deployedMs: number; deployMs: number; answeringMs: number; logLineMs: number | null; timings: Timings | undefined }[] = [];
  let logsAvailable = true;
  try {
    const t0 = performance.now();
    await Promise.race([events.next((e) => e.event === 'watching', 0), exited.then((c) => { throw new Error(`hangar dev exited ${c}: ${stderr}`); })]);
    const url = [...events.seen].reverse().find((s) => s.e.event === 'deployed')?.e.outputs?.url;
    if (!url) throw new Error(`no deployed URL: ${JSON.stringify(events.seen.map((s) => s.e))}`);
    log(`first deploy and watch ready in ${Math.round(performance.now() - t0)} ms; ${url}`);
    await fetch(url).then((r) => r.text()); // the first cold start is not an edit

    for (let i = 1; i <= runs + 1; i++) { // the first edit warms up and is not counted
      const marker = `edit-${i}-${Date.now()}`;
      const saved = performance.now();
      writeFileSync(index, handler(marker));
      const deployed = events.next((e) => e.event === 'deployed' || e.event === 'deploy-failed', saved);
      const answering = await answersWith(url, marker, saved + 30_000);
      const deployedAt = await deployed;
      const deployEvent = events.seen.find((s) => s.at === deployedAt)!.e;
      if (deployEvent.event !== 'deployed') throw new Error(`deploy failed: ${JSON.stringify(deployEvent.error)}`);
      let logLineMs: number | null = null;
      if (logsAvailable) {
        const line = events.next((e) => e.event === 'log' && (e.data?.message ?? '').includes(`served ${marker}`), saved);
        const ended = events.next((e) => e.event === 'logs-ended', 0).then(() => -1);
        const at = await Promise.race([line, ended, sleep(10_000).then(() => -1)]);
        if (at < 0) { logsAvailable = false; log('  no function log line (the engine serves no log stream?)'); }
        else logLineMs = Math.round(at - saved);
      }
      const r = { deployedMs: Math.round(deployedAt - saved), deployMs: deployEvent.durationMs ?? NaN, answeringMs: Math.round(answering - saved), logLineMs, timings: deployEvent.timings };
      log(`  edit ${i}: deployed event ${r.deployedMs} ms, answering ${r.answeringMs} ms, log line ${r.logLineMs ?? 'n/a'} ms${i === 1 ? ' (warm-up, not counted)' : ''}`);
      if (i > 1) edits.push(r);
      await sleep(300); // a developer does not save twice in one deploy; a queued deploy would blur the next edit
    }
  } finally {
    child.kill('SIGINT');
    const code = await exited;
    if (code !== 0) log(`hangar dev exited ${code} after Ctrl-C: ${stderr}`);
    await engine.close();
  }

  const answering = median(edits.map((e) => e.answeringMs));
  const logLines = edits.map((e) => e.logLineMs).filter((x): x is number => x !== null);
  const result = {
    date: new Date().toISOString(), machine, loadAverageAtEnd: load(), engine: engine.note, runs: edits.length, pollMs: POLL_MS, debounceMs: 100,
    medians: { deployedMs: median(edits.map((e) => e.deployedMs)), deployMs: median(edits.map((e) => e.deployMs)), answeringMs: answering, logLineMs: logLines.length ? median(logLines) : null },
    goalMs: GOAL_MS, goalMet: answering <= GOAL_MS, edits,
  };
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'results', 'dev.json'), `${JSON.stringify(result, null, 2)}\n`);
  const m = result.medians;
  const part = (f: (t: Timings) => number | null) => { const xs = edits.map((e) => (e.timings ? f(e.timings) : null)).filter((x): x is number => x !== null); return xs.length ? median(xs) : 'n/a'; };
  const md = [
    '# `hangar dev` benchmark', '',
    `Run ${result.date} with \`node scripts/bench.mjs dev\` (median of ${result.runs} edits after one warm-up edit).`, '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB RAM, ${machine.os}, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' / ')} at start, ${result.loadAverageAtEnd.join(' / ')} at end (1 / 5 / 15 min; the machine is shared with other work).`, '',
    `examples/hello-http; the engine and local cloud embedded: ${engine.note}; \`hangar dev --json\` (the built binary) as its own process, default debounce 100 ms. Each edit rewrites \`src/index.mjs\`; times are from the write.`, '',
    '| measure | median | each edit |',
    '| --- | ---: | --- |',
    `| save -> new code answering at the URL (goal <= ${GOAL_MS} ms) | **${m.answeringMs} ms** ${result.goalMet ? 'met' : 'MISSED'} | ${edits.map((e) => e.answeringMs).join(', ')} |`,
    `| save -> \`deployed\` event | ${m.deployedMs} ms | ${edits.map((e) => e.deployedMs).join(', ')} |`,
    `| the deploy itself (hash, upload, deployment), after the debounce | ${m.deployMs} ms | ${edits.map((e) => e.deployMs).join(', ')} |`,
    `| of which hashing / upload / the deployment (as the CLI saw it) / its run (as the engine measured it) | ${part((t) => t.hashMs)} / ${part((t) => t.uploadMs)} / ${part((t) => t.deployMs)} / ${part((t) => t.engineRunMs)} ms | |`,
    `| save -> the function's log line in \`hangar dev\`'s output | ${m.logLineMs === null ? 'n/a (no log stream)' : `${m.logLineMs} ms`} | ${edits.map((e) => e.logLineMs ?? 'n/a').join(', ')} |`,
    '', '## Notes', '',
    `- "answering" polls the URL every ${POLL_MS} ms, so it can read up to that much late; it can come before the \`deployed\` event, which waits for the deployment's end as the engine records it.`,
    '- The save-to-answer time is the debounce (100 ms), the watcher noticing the write, the deploy through the source cache (one changed file uploaded), and the new function version\'s cold start in the local cloud.',
    '- The engine and local cloud share the machine\'s cores with `hangar dev`, with the polling in this process, and with whatever else runs on the machine (the load average above).',
    '- The log line comes through the engine, which polls CloudWatch Logs for a followed stream every 500 ms, and the local cloud, which writes a function\'s log when its invocation ends.',
    '- `--engine in-process` runs the engine from the TypeScript sources inside the benchmark: each new package\'s zip worker thread then loads tsx and compiles its worker first (about a second a deploy on this machine), so that mode measures slower than what a developer sees with `hangar up`.',
    '',
  ].join('\n');
  writeFileSync(join(repo, 'bench', 'results', 'dev.md'), md);
  process.stdout.write(md);
  // Leave the example as it was: bench/.work is scratch space.
  rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });
