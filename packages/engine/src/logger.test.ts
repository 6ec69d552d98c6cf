import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './logger.js';

function capture(level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  return { lines, log: createLogger({ level, write: (l) => lines.push(l) }) };
}

test('a registered secret never reaches the output: message, fields, nested values, errors, children', () => {
  const { lines, log } = capture();
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  log.addSecret(secret);
  const child = log.child({ deploymentId: 'dep_1' });
  log.info(`got ${secret} back`);
  log.warn('fields', { creds: { secretAccessKey: secret, list: [secret, `x${secret}y`] } });
  child.error('failed', { err: new Error(`AWS said ${secret}`) });
  child.child({ k: secret }).debug('grandchild');
  assert.equal(lines.length, 4);
  for (const line of lines) {
    assert.ok(!line.includes(secret), `leaked in ${line}`);
    assert.ok(line.includes('[REDACTED]'), line);
    JSON.parse(line);
  }
  assert.equal(JSON.parse(lines[2]!).deploymentId, 'dep_1');
});

test('a secret added through a child is scrubbed from the parent too, and removal stops scrubbing', () => {
  const { lines, log } = capture();
  log.child({ a: 1 }).addSecret('session-token-123456');
  log.info('tok session-token-123456');
  log.removeSecret('session-token-123456');
  log.info('tok session-token-123456');
  assert.ok(!lines[0]!.includes('session-token-123456'));
  assert.ok(lines[1]!.includes('session-token-123456'));
});

test('secrets with JSON-escaped characters are scrubbed as they appear in the line', () => {
  const { lines, log } = capture();
  const secret = 'ab"cd\\ef\nghij';
  log.addSecret(secret);
  log.info('x', { v: `before ${secret} after` });
  const parsed = JSON.parse(lines[0]!) as { v: string };
  assert.equal(parsed.v, 'before [REDACTED] after');
});

test('Bearer credentials and hgr_ tokens are scrubbed without being registered', () => {
  const { lines, log } = capture();
  const token = 'hgr_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  log.info('request', { headers: { authorization: `Bearer ${token}` }, url: `/x?t=${token}` });
  log.info('other', { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig' });
  assert.ok(!lines[0]!.includes(token));
  assert.ok(!lines[1]!.includes('eyJhbGciOiJSUzI1NiJ9'));
  assert.match(lines[1]!, /Bearer \[REDACTED\]/);
});

test('levels below the minimum are dropped; lines are JSON with ts, level, msg', () => {
  const { lines, log } = capture('info');
  log.debug('hidden');
  log.info('shown', { n: 1 });
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(rec.level, 'info');
  assert.equal(rec.msg, 'shown');
  assert.equal(rec.n, 1);
  assert.ok(typeof rec.ts === 'string');
});

test('a field that cannot be serialised still gives one scrubbed line, never a throw', () => {
  const { lines, log } = capture();
  log.addSecret('cyclic-secret-value');
  const cyclic: Record<string, unknown> = { note: 'cyclic-secret-value' };
  cyclic.self = cyclic;
  log.warn('about cyclic-secret-value', { cyclic });
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]!) as { msg: string; logError: string };
  assert.equal(rec.msg, 'about [REDACTED]');
  assert.match(rec.logError, /could not be serialised/);
});
