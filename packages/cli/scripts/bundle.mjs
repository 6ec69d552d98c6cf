// Bundles the built CLI (dist/bin.js, its own modules, @hangar/core and its dependencies) into one
// file, dist/hangar.mjs, which bin/hangar.js starts instead of dist/bin.js: loading the CLI's ~60
// modules and its dependencies one by one took ~50 ms of every command's start-up (a deploy's path,
// measured side by side), about a third of what a no-op deploy spends besides listing the files.
// Run by the package's `build` script, after `tsc -b`. Writes dist/hangar.inputs.json too: the files
// the bundle was made from, so the shim can tell a bundle older than them (a `tsc -b` alone) and
// start dist/bin.js instead of stale code.
import { build } from 'esbuild';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(pkg, 'dist', 'hangar.mjs');
const result = await build({
  entryPoints: [resolve(pkg, 'dist', 'bin.js')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // `hangar up` loads @hangar/local by a specifier in a variable (not bundled, not a dependency).
  external: ['@hangar/local'],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __hangarRequire } from 'node:module'; const require = __hangarRequire(import.meta.url);" },
  metafile: true,
  write: false,
  logLevel: 'warning',
  legalComments: 'none',
});
// Written whole, then renamed into place: a test or `npm pack` reading the bundle meanwhile sees the
// old one or the new one, never half of one. The inputs list first, so a bundle is never newer than it.
const inputs = Object.keys(result.metafile.inputs).map((p) => relative(dirname(out), resolve(process.cwd(), p)));
const place = (file, contents) => {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
};
place(resolve(pkg, 'dist', 'hangar.inputs.json'), `${JSON.stringify({ inputs })}\n`);
const [bundled] = result.outputFiles;
place(out, bundled.contents);
chmodSync(out, 0o755);
