import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sourceUpload } from '@hangar/core/api';
import { createHarness, type Harness } from '../deployments/_harness.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `lib/f${i}.js`, sha256: sha(String(i)), size: i, mode: 0o644 }));

/** What the contract's own schema says of `body`, worded as the engine words a validation error. */
function contractSays(body: unknown): string[] {
  const r = sourceUpload.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => `body.${i.path.join('.')}: ${i.message}`);
}

describe('POST /sources: the entry lists are checked a slice at a time, with the contract\'s answers', () => {
  let h: Harness;
  before(async () => { h = await createHarness({ start: false, limits: { maxFiles: 5000, maxManifestEntries: 5000 } }); });
  after(async () => { await h?.close(); });
  const post = (body: unknown) => h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/sources`, headers: h.as(h.orgA), payload: body as object });

  test('a bad entry deep in a long list (past the first slices) is named by its index, as the contract names it', async () => {
    const full = entries(1800);
    (full[1234] as Record<string, unknown>).sha256 = 42;
    (full[1700] as Record<string, unknown>).mode = 'rw';
    const body = { kind: 'full', entries: full };
    const res = await post(body);
    assert.equal(res.statusCode, 400, res.body);
    const error = res.json() as { code: string; details: { issues: string[] } };
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.deepEqual(error.details.issues, contractSays(body));
    assert.match(error.details.issues[0]!, /^body\.entries\.1234\.sha256: /);
    assert.match(error.details.issues[1]!, /^body\.entries\.1700\.mode: /);
  });

  test('a delta\'s put list likewise; the envelope\'s own fields are still checked by the contract', async () => {
    const put = entries(700);
    (put[600] as Record<string, unknown>).size = 'big';
    const body = { kind: 'delta', base: sha('b'), manifestId: sha('m'), put, delete: [] };
    const res = await post(body);
    assert.equal(res.statusCode, 400);
    assert.deepEqual((res.json() as { details: { issues: string[] } }).details.issues, contractSays(body));
    const noBase = await post({ kind: 'delta', manifestId: sha('m'), put: [], delete: [] });
    assert.equal(noBase.statusCode, 400);
    assert.match(noBase.body, /body\.base/);
  });

  test('a good long list is accepted, unknown keys of its entries dropped as the contract drops them', async () => {
    const full = entries(1200).map((e) => ({ ...e, extra: 'ignored' }));
    const res = await post({ kind: 'full', entries: full });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((res.json() as { files: number }).files, 1200);
  });
});
