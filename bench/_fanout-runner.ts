// Bench support: engine A in its own process — the deployments feature on the given PostgreSQL
// schema with one worker and the LISTEN/NOTIFY bus; prints its HTTP port, runs until killed.
import type { AddressInfo } from 'node:net';
import { openStore } from '../packages/engine/src/store/db.js';
import { createHarness } from '../packages/engine/src/deployments/_harness.js';
import { fanoutComponent } from './_fanout-component.js';

const [url, schema] = process.argv.slice(2) as [string, string];
const store = await openStore({ kind: 'postgres', url }, { schema, maxConnections: 4 });
const h = await createHarness({
  store: { ...store, cleanup: () => store.close() },
  lookup: (n) => (n === fanoutComponent.name ? fanoutComponent : undefined),
  workers: 1, pollMs: 200, listenClient: store.listenClient!,
});
await h.app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${(h.app.server.address() as AddressInfo).port}\n`);
process.on('SIGTERM', () => void h.close().finally(() => process.exit(0)));
