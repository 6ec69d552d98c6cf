#!/usr/bin/env node
// The `hangar-engine` bin. Committed, not built: npm links workspace bins before `prepare` has built
// dist/, and skips a bin whose file does not exist yet, so the link must point at this shim.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(`hangar-engine: ${fileURLToPath(built)} is not built yet. Run \`npm run build\` at the repository root.\n`);
  process.exitCode = 1;
}
