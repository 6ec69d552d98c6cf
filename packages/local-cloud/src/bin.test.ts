import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createAccount } from './index.js';
import { rejectsWith, stsClient } from './test-support.js';

const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function run(args: string[]) {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('hangar-cloud binary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-cloud-bin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its endpoint, serves, and flushes state on SIGTERM', async () => {
    const child = run(['--port', '0', '--data-dir', dir]);
    try {
      const { endpoint, tokenFile } = await new Promise<{ endpoint: string; tokenFile: string }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^endpoint: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          const t = /^admin token: (\S+) /m.exec(out);
          if (m && t) resolve({ endpoint: m[1]!, tokenFile: t[1]! });
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before printing the endpoint`)));
        setTimeout(() => reject(new Error('no endpoint within 15 s')), 15_000).unref();
      });
      assert.equal(tokenFile, join(dir, 'admin-token'), 'prints where the admin token is');
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
      const adminToken = readFileSync(tokenFile, 'utf8').trim();
      assert.equal((await fetch(`${endpoint}/_local/accounts`, { method: 'POST', body: '{}' })).status, 401, 'no token: refused');
      const root = await createAccount(endpoint, { adminToken, accountId: '111111111111' });
      const me = await stsClient(endpoint, root).send(new GetCallerIdentityCommand({}));
      assert.equal(me.Account, '111111111111');
      // The default services are wired in: Lambda answers auth failures in its own protocol.
      const lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: root.secretAccessKey }, maxAttempts: 1 });
      await rejectsWith(lambda.send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403);
      const clock = await fetch(`${endpoint}/_local/clock`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` }, body: '{"advanceSeconds":1}' });
      assert.equal(clock.status, 404, 'clock control is off without --allow-clock-control');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
    assert.ok(existsSync(join(dir, 'state.json')));
  });

  it('rejects a bad port with a usage message', async () => {
    const child = run(['--port', 'many']);
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(err, /--port must be a number/);
  });
});
