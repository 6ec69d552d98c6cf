/**
 * The CLI against the real engine and local cloud (embedded, in process, port 0) with the web
 * components: a `website` whose build hook the CLI runs before uploading `dist`, and a Serverless
 * Components `serverless.yml` with `component: express` deployed as it is.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmbedded, type Embedded } from '@hangar/local';
import { testContext } from '../testing/helpers.js';
import { main } from '../main.js';

let up: Embedded;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-cli-web-'));
  up = await startEmbedded({ dataDir: join(dir, 'data'), port: 0, cloudPort: 0, step: () => undefined });
});
after(async () => {
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function hangar(project: string, args: string[], expected = 0) {
  const ctx = testContext(project, { HANGAR_HOME: join(dir, 'home') });
  const code = await main(args, ctx);
  assert.equal(code, expected, `hangar ${args.join(' ')} exited ${code}\n${ctx.stdout.text()}\n${ctx.stderr.text()}`);
  return { out: ctx.stdout.text(), err: ctx.stderr.text() };
}

/** GET from `http://<bucket>.s3-website.localhost:<port>/…`, sent to 127.0.0.1 with that Host. */
function get(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname, headers: { host: u.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Copies express and the packages it depends on into `<project>/node_modules`, as `npm install express` would. */
function installExpress(project: string): void {
  const require = createRequire(import.meta.url);
  const root = dirname(dirname(require.resolve('express/package.json')));
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    for (let d = from; ; d = dirname(d)) {
      const candidate = join(d, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        if (seen.has(candidate)) return;
        seen.add(candidate);
        cpSync(candidate, join(project, 'node_modules', candidate.slice(root.length + 1)), { recursive: true, filter: (src) => !src.slice(candidate.length).includes('/node_modules/') });
        const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
        for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, candidate);
        return;
      }
      if (d === dirname(root) || dirname(d) === d) throw new Error(`cannot find ${name} from ${from}`);
    }
  };
  visit('express', dirname(root));
}

test('website: the CLI runs the build hook, uploads dist, the site answers; remove', async () => {
  const site = join(dir, 'site');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'build.mjs'), `import { mkdirSync, writeFileSync } from 'node:fs';
mkdirSync('dist/assets', { recursive: true });
writeFileSync('dist/index.html', '<h1>built</h1>');
writeFileSync('dist/assets/app-9f8e7d6c5b.js', 'console.log(1)');
`);
  writeFileSync(join(site, 'hangar.yml'), 'component: website\napp: web\nname: site\ninputs:\n  src:\n    src: ./\n    hook: node build.mjs\n    dist: ./dist\n  spa: true\n');
  await hangar(site, ['login', '--url', up.engineUrl, '--token', up.ownerToken!]);
  const first = await hangar(site, ['deploy']);
  const url = /^url: (\S+)$/m.exec(first.out)?.[1];
  assert.ok(url, first.out);
  assert.match(first.out, /^bucket: hangar-web-dev-site-[0-9a-f]{8}$/m);
  assert.equal((await get(url, '/')).body, '<h1>built</h1>');
  assert.equal((await get(url, '/some/route')).body, '<h1>built</h1>');
  await hangar(site, ['remove']);
});

test('express: a Serverless Components serverless.yml (component: express, inputs.src) deploys as it is and answers', async () => {
  const api = join(dir, 'api');
  mkdirSync(api, { recursive: true });
  installExpress(api);
  writeFileSync(join(api, 'app.js'), `const express = require('express');
const app = express();
app.get('/', (req, res) => res.json({ from: 'express' }));
app.get('/hello/:name', (req, res) => res.send('hello ' + req.params.name));
module.exports = app;
`);
  writeFileSync(join(api, 'serverless.yml'), 'component: express\napp: web\nname: api\ninputs:\n  src: ./\n');
  await hangar(api, ['login', '--url', up.engineUrl, '--token', up.ownerToken!]);
  const first = await hangar(api, ['deploy']);
  const url = /^url: (\S+)$/m.exec(first.out)?.[1];
  assert.ok(url, first.out);
  assert.deepEqual(await (await fetch(url)).json(), { from: 'express' });
  assert.equal(await (await fetch(`${url}hello/ada`)).text(), 'hello ada');
  await hangar(api, ['remove']);
});
