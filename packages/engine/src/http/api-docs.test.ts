import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { InjectOptions } from 'fastify';
import { createTestEngine, type TestEngine } from '../testing.js';
import { roleRank, type Role } from '../types.js';
import { contractRoutes, renderReplyShapes, SHAPES_END, SHAPES_START } from './api-shapes.js';

// docs/api.md is the single API reference: every route any feature registers must have a row,
// and for org routes the row's role must be the lowest role the engine lets through.
const docsPath = fileURLToPath(new URL('../../../../docs/api.md', import.meta.url));
const docs = readFileSync(docsPath, 'utf8');
const roles = ['viewer', 'deployer', 'admin', 'owner'] as const;

interface Row { method: string; path: string; roleCell: string }
function rows(): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const line of docs.split('\n')) {
    const m = /^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`?([^`|]+?)`?\s*\|\s*([^|]*)\|/.exec(line);
    if (!m) continue;
    const path = m[2]!.trim().split('?')[0]!; // a row may show its query: /deployments?instanceId=&limit=
    out.set(`${m[1]} ${path}`, { method: m[1]!, path, roleCell: m[3]!.trim() });
  }
  return out;
}

let engine: TestEngine;
const tokens: Partial<Record<Role, string>> = {};
before(async () => {
  engine = await createTestEngine();
  tokens.owner = engine.seed!.token.token;
  for (const role of ['admin', 'deployer', 'viewer'] as const) {
    const u = await engine.bootstrap.createUser({ email: `${role}@example.com` });
    await engine.bootstrap.addMember(engine.seed!.org.id, u.id, role);
    tokens[role] = (await engine.bootstrap.createToken(engine.seed!.org.id, u.id, role)).token;
  }
});
after(() => engine?.close());

const apiRoutes = () => engine.routes.filter((r) => r.method !== 'HEAD' && r.url.startsWith('/api/v1/'));

test('every API route has a row in docs/api.md, and every row names a real route', () => {
  const documented = rows();
  const registered = new Set(apiRoutes().map((r) => `${r.method} ${r.url}`));
  const missing = [...registered].filter((k) => !documented.has(k));
  assert.deepEqual(missing, [], `add a row to docs/api.md for: ${missing.join(', ')}`);
  const stale = [...documented.keys()].filter((k) => k.includes('/api/v1/') && !registered.has(k));
  assert.deepEqual(stale, [], `docs/api.md documents routes that do not exist: ${stale.join(', ')}`);
});

test('the role documented for each org route is the lowest role the engine lets through', async () => {
  const documented = rows();
  const wrong: string[] = [];
  for (const r of apiRoutes()) {
    if (!r.url.startsWith('/api/v1/orgs/:orgId')) continue;
    const row = documented.get(`${r.method} ${r.url}`);
    if (!row) continue; // reported by the test above
    const url = r.url.replace(/:(\w+)/g, (_m, name: string) => (name === 'orgId' ? engine.seed!.org.id : name === 'sha256' ? 'a'.repeat(64) : `x${name}`));
    let lowest: Role | undefined;
    for (const role of roles) {
      const res = await engine.app.inject({ method: r.method as InjectOptions['method'], url, headers: { authorization: `Bearer ${tokens[role]}` } });
      if (res.statusCode >= 500) wrong.push(`${r.method} ${r.url} as ${role}: ${res.statusCode} ${res.body.slice(0, 160)} (unknown ids and missing bodies are the caller's mistake, not a 500)`);
      if (res.statusCode !== 403) { lowest = role; break; }
    }
    const named = roles.filter((x) => new RegExp(`\\b${x}\\b`).test(row.roleCell));
    const min = named.sort((x, y) => roleRank[x] - roleRank[y])[0];
    if (!lowest || !named.includes(lowest)) wrong.push(`${r.method} ${r.url}: docs say "${row.roleCell}", the engine lets ${lowest ?? 'nobody'} through first`);
    else if (min !== lowest && !/own/.test(row.roleCell)) wrong.push(`${r.method} ${r.url}: docs say "${row.roleCell}", the engine lets ${lowest} through first`);
  }
  assert.deepEqual(wrong, []);
});

test('no org route answers 500 to unknown ids, an empty body or no body', async () => {
  const failures: string[] = [];
  for (const r of apiRoutes()) {
    if (!r.url.startsWith('/api/v1/orgs/:orgId')) continue;
    const url = r.url.replace(/:(\w+)/g, (_m, name: string) => (name === 'orgId' ? engine.seed!.org.id : name === 'sha256' ? 'b'.repeat(64) : `x_${name}`));
    for (const payload of r.method === 'GET' ? [undefined] : [undefined, {}]) {
      const res = await engine.app.inject({ method: r.method as InjectOptions['method'], url, headers: { authorization: `Bearer ${tokens.owner}` }, ...(payload ? { payload } : {}) });
      if (res.statusCode >= 500) failures.push(`${r.method} ${r.url} ${payload ? 'with {}' : 'without a body'}: ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('every route the engine serves is declared in the API contract (@hangar/core/api), and every declared route is served', () => {
  const served = new Set(engine.routes.filter((r) => r.method !== 'HEAD' && (r.url.startsWith('/api/') || r.url.startsWith('/.well-known/') || r.url === '/healthz' || r.url === '/readyz')).map((r) => `${r.method} ${r.url}`));
  const declared = new Set(contractRoutes().map((r) => `${r.method} ${r.path}`));
  assert.deepEqual([...served].filter((k) => !declared.has(k)), [], 'declare these with defineRoute in packages/core/src/api/<feature>.ts and register them with registerRoute');
  assert.deepEqual([...declared].filter((k) => !served.has(k)), [], 'the contract declares routes the engine does not serve');
});

test('the contract\'s lowest role for each route is the one docs/api.md shows', () => {
  const documented = rows();
  const wrong: string[] = [];
  for (const r of contractRoutes()) {
    const row = documented.get(`${r.method} ${r.path}`);
    if (!row) continue; // a /.well-known route, or reported by the first test
    const ok = r.access === 'public' ? /public/.test(row.roleCell) : r.access === 'any' ? /any credential/.test(row.roleCell) : new RegExp(`^${r.access}\\b`).test(row.roleCell);
    if (!ok) wrong.push(`${r.method} ${r.path}: contract says ${r.access}, docs say "${row.roleCell}"`);
  }
  assert.deepEqual(wrong, []);
});

test('the "Reply shapes" section of docs/api.md is the one rendered from the contract\'s reply schemas', () => {
  const start = docs.indexOf(SHAPES_START);
  const end = docs.indexOf(SHAPES_END);
  const current = start >= 0 && end > start ? docs.slice(start, end + SHAPES_END.length) : '';
  const wanted = renderReplyShapes();
  if (process.env.HANGAR_WRITE_API_DOCS === '1' && current !== wanted) {
    writeFileSync(docsPath, current ? docs.replace(current, wanted) : `${docs.trimEnd()}\n\n${wanted}\n`);
    return;
  }
  assert.ok(current, `docs/api.md has no generated reply shapes; run HANGAR_WRITE_API_DOCS=1 node scripts/test.mjs api-docs`);
  assert.equal(current, wanted, 'a reply schema changed: run HANGAR_WRITE_API_DOCS=1 node scripts/test.mjs api-docs and commit docs/api.md');
});
