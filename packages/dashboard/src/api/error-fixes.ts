// What to do about each error code: the "what to do" column of docs/errors.md, bundled at build
// time, so the dashboard says the same as the docs (one table, kept in step with the code registry
// by errors.test.ts) without a copy to maintain.
import errorsTable from '../../../../docs/errors.md?raw';

/** The rows of a `| code | status | fault | retry helps | what to do |` table, code → what to do. */
export function parseErrorFixes(markdown: string): ReadonlyMap<string, string> {
  const fixes = new Map<string, string>();
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*([A-Z][A-Z0-9_]+)\s*\|[^|]*\|[^|]*\|[^|]*\|\s*(.+?)\s*\|\s*$/.exec(line);
    if (m) fixes.set(m[1]!, m[2]!);
  }
  return fixes;
}

const fixes = parseErrorFixes(errorsTable);

/** docs/errors.md's advice for a code, or undefined for a code it does not list (an AWS code, say). */
export function fixFor(code: string): string | undefined {
  return fixes.get(code);
}
