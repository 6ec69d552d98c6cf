import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCodes, HangarError } from './errors.js';

const docs = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

function docRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of docs.split('\n')) {
    const m = /^\| ([A-Z][A-Z0-9_]+) \|(.*)\|$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.split('|').map((c) => c.trim()));
  }
  return rows;
}

test('docs/errors.md lists every error code with its status, fault, retry and a fix', () => {
  const rows = docRows();
  for (const [code, s] of Object.entries(errorCodes)) {
    const row = rows.get(code);
    assert.ok(row, `docs/errors.md has no row for ${code}`);
    const [status, fault, retry, fix] = row;
    assert.equal(Number(status), s.status, `${code}: status in docs`);
    assert.equal(fault, s.fault, `${code}: fault in docs`);
    assert.equal(retry, s.retryable ? 'yes' : 'no', `${code}: retry in docs`);
    assert.ok(fix && fix.length > 10, `${code}: the docs row says what to do`);
  }
  for (const code of rows.keys()) assert.ok(code in errorCodes, `docs/errors.md lists ${code}, which errors.ts does not define`);
});

test('HangarError carries the code, status and fault from the one definition', () => {
  const e = new HangarError('NOT_FOUND', 'provider "p1" not found', { details: { id: 'p1' } });
  assert.equal(e.status, 404);
  assert.equal(e.fault, 'user');
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { code: 'NOT_FOUND', message: 'provider "p1" not found', details: { id: 'p1' } });
});
