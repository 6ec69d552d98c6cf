// Test support: a real engine in a child process on the data dir given as argv[2], so tests can
// run two engines against one SQLite data dir and kill -9 one of them. Prints one JSON line:
// {"ready":true,"pid":…,"orgId":…} once up, or {"error":{code,message}} if it could not start.
import { createEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import { join } from 'node:path';

const dataDir = process.argv[2]!;
const seed = process.argv[3] === 'seed';
try {
  const engine = await createEngine({
    config: {
      publicUrl: 'http://127.0.0.1:7300', dataDir, database: { kind: 'sqlite', path: join(dataDir, 'hangar.db') },
      aws: { region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTENGINE000000', secretAccessKey: 'test-engine-secret-key-not-real-000000' } },
      limits: { maxFiles: 1000, maxTotalBytes: 1024 * 1024, maxFileBytes: 1024 * 1024, maxManifestEntries: 1000 }, workers: 1,
    },
    logger: createLogger({ write: () => {} }),
  });
  const org = seed ? (await engine.bootstrap.createOrg({ name: 'acme', owner: { email: 'a@example.com' } })).org : undefined;
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, orgId: org?.id })}\n`);
  setInterval(() => {}, 60_000);
} catch (err) {
  const e = err as { code?: string; message?: string };
  process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
  process.exit(3);
}
