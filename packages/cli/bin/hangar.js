#!/usr/bin/env node
// The `hangar` bin. Committed, not built: npm links workspace bins before `prepare` has built
// dist/, and skips a bin whose file does not exist yet, so the link must point at this shim.
//
// It starts dist/hangar.mjs, the CLI in one file (scripts/bundle.mjs: ~50 ms less start-up than
// loading dist/bin.js's modules one by one), unless a file the bundle was made from is newer than
// it (`tsc -b` without the package's build: the bundle would be stale code) or it is missing; then
// dist/bin.js, which is what the bundle is made of.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/hangar.mjs', import.meta.url);
const built = new URL('../dist/bin.js', import.meta.url);

function bundleIsCurrent() {
  try {
    const made = statSync(bundle).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(new URL('../dist/hangar.inputs.json', import.meta.url), 'utf8'));
    for (const input of inputs) {
      // An input that is not there (an installed package: its dependencies live elsewhere) cannot be newer.
      const changed = statSync(new URL(input, bundle), { throwIfNoEntry: false })?.mtimeMs;
      if (changed !== undefined && changed > made) return false;
    }
    return true;
  } catch {
    return false;
  }
}

if (bundleIsCurrent()) {
  await import(bundle.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(`hangar: ${fileURLToPath(built)} is not built yet. Run \`npm run build\` at the repository root.\n`);
  process.exitCode = 1;
}
