import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect, format } from 'node:util';
import { SessionCredentials } from './credentials.js';

const identity = {
  accessKeyId: 'ASIAEXAMPLEKEYID1234',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLESESSIONTOKENVALUE',
  expiration: new Date('2026-01-01T00:00:00Z'),
};

test('credentials never print their secrets, however they are printed', () => {
  const c = new SessionCredentials(identity);
  const printed = [
    JSON.stringify(c), JSON.stringify({ nested: { c } }), inspect(c), inspect({ c }, { depth: 5, showHidden: true }),
    `${c}`, String(c), format('%s %o %O %j', c, c, c, c), new Error(`failed with ${c}`).message, Object.keys(c).join(),
  ];
  for (const p of printed) {
    for (const s of [identity.secretAccessKey, identity.sessionToken, identity.accessKeyId]) {
      assert.ok(!p.includes(s), `leaked in: ${p}`);
    }
  }
  assert.match(inspect(c), /\*\*\*\*1234/);
});

test('the SDK provider hands over the real values', async () => {
  const c = new SessionCredentials(identity);
  const got = await c.toProvider()();
  assert.equal(got.secretAccessKey, identity.secretAccessKey);
  assert.equal(got.sessionToken, identity.sessionToken);
  assert.deepEqual(c.secrets().sort(), [identity.accessKeyId, identity.secretAccessKey, identity.sessionToken].sort());
});
