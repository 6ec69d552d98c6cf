/**
 * `hangar dev` as a developer runs it: the real binary as a child process against the embedded
 * engine and local cloud. It deploys, an edit reaches the URL, the function's log lines (and a thrown error)
 * appear in its output, and Ctrl-C (SIGINT) exits 0 leaving the instance deployed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbedded, type Embedded } from '@hangar/local';
import { run } from './processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliBin = join(root, 'packages/cli/dist/bin.js');

/** A child process's output so far, and a way to wait until it shows something. */
class Output {
  text = '';
  private waiters: { test: (t: string) => boolean; resolve: () => void }[] = [];
  add(chunk: string): void {
    this.text += chunk;
    this.waiters = this.waiters.filter((w) => (w.test(this.text) ? (w.resolve(), false) : true));
  }
  /** Resolves once the output matches; the test's own timeout ends a wait that never does. */
  until(test: (t: string) => boolean): Promise<void> {
    if (test(this.text)) return Promise.resolve();
    return new Promise((resolve) => { this.waiters.push({ test, resolve }); });
  }
  count(re: RegExp): number {
    return (this.text.match(new RegExp(re.source, 'g')) ?? []).length;
  }
}

const handler = (greeting: string, marker: string) => [
  'export const handler = async () => {',
  `  console.log(${JSON.stringify(marker)});`,
  `  return { statusCode: 200, headers: { "content-type": "text/plain" }, body: ${JSON.stringify(greeting)} };`,
  '};',
  '',
].join('\n');

describe('hangar dev, end to end', { timeout: 240_000 }, () => {
  let work: string;
  let project: string;
  let embedded: Embedded;
  let child: ChildProcess | undefined;
  const out = new Output();
  let env: Record<string, string>;

  before(async () => {
    if (!existsSync(cliBin)) await run('npx', ['tsc', '-b', 'packages/cli'], root);
    work = mkdtempSync(join(tmpdir(), 'hangar-e2e-dev-'));
    project = join(work, 'project');
    mkdirSync(join(project, 'src/node_modules/dep'), { recursive: true });
    writeFileSync(join(project, 'hangar.yml'), [
      'component: http-function', 'name: api', 'app: devloop', 'stage: dev',
      'inputs:', '  src: ./src', '  handler: index.handler', '  memory: 128', '  timeout: 5', '',
    ].join('\n'));
    writeFileSync(join(project, 'src/index.mjs'), handler('one', 'dev-marker-one'));
    writeFileSync(join(project, 'src/node_modules/dep/index.js'), 'module.exports = 1;\n');
    const quiet = () => undefined;
    const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet, addSecret: quiet, removeSecret: quiet, child: () => logger };
    embedded = await startEmbedded({ dataDir: join(work, 'data'), port: 0, cloudPort: 0, step: quiet, logger });
    env = {
      PATH: process.env.PATH ?? '', HOME: join(work, 'home'), HANGAR_HOME: join(work, 'home/.hangar'),
      HANGAR_URL: embedded.engineUrl, HANGAR_TOKEN: embedded.ownerToken!,
    };
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await embedded?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('deploys, redeploys an edit that then answers, streams the function logs, and Ctrl-C exits 0 leaving it deployed', async () => {
    child = spawn(process.execPath, [cliBin, 'dev'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => out.add(c.toString()));
    child.stderr!.on('data', (c: Buffer) => out.add(c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    await Promise.race([out.until((t) => t.includes('watching src/ for changes')), exited]);
    assert.match(out.text, /✓ deployed in \d+\.\d s/, out.text);
    const url = /url: (\S+)/.exec(out.text)?.[1];
    assert.ok(url, `the first deploy printed the URL:\n${out.text}`);
    const first = await fetch(url);
    assert.equal(await first.text(), 'one');
    await out.until((t) => t.includes('dev-marker-one'));

    // A change under node_modules is not a save of the code: no deploy.
    writeFileSync(join(project, 'src/node_modules/dep/index.js'), 'module.exports = 2;\n');
    // A handler that throws: its error shows up in dev's output, from the function's own log.
    writeFileSync(join(project, 'src/index.mjs'), 'export const handler = async () => { throw new Error("dev-boom"); };\n');
    await out.until((t) => /↻ src\/index\.mjs changed — deploying…/.test(t) && out.count(/✓ deployed in/) >= 2);
    assert.doesNotMatch(out.text, /node_modules\/dep/, 'a change in node_modules triggered nothing');
    const failing = await fetch(url);
    assert.ok(failing.status >= 500, `the throwing handler answers ${failing.status}`);
    await out.until((t) => /Error: dev-boom/.test(t));

    writeFileSync(join(project, 'src/index.mjs'), handler('two', 'dev-marker-two'));
    await out.until(() => out.count(/✓ deployed in/) >= 3);
    const second = await fetch(url);
    assert.equal(await second.text(), 'two', 'the edit reached the URL');
    await out.until((t) => t.includes('dev-marker-two'));

    child.kill('SIGINT');
    assert.equal(await exited, 0, out.text);
    assert.match(out.text, /stopped; devloop\/dev\/api stays deployed/);
    const after = await fetch(url);
    assert.equal(await after.text(), 'two', 'the instance is still deployed');
    const info = await run(process.execPath, [cliBin, 'info', '--json'], project, env);
    assert.equal(info.code, 0, info.err);
    assert.equal((JSON.parse(info.out) as { status: string }).status, 'deployed');
  });
});
