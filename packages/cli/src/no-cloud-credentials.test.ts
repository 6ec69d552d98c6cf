/**
 * The CLI never reads cloud credentials. Beyond the canary test (which runs the binary), this
 * reads the CLI's own source and fails if code (comments aside) mentions AWS credential
 * variables, the ~/.aws folder, the instance metadata address or an AWS SDK — except in the
 * one deny-list that removes such variables, and inside user-facing sentences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('.', import.meta.url));
const FORBIDDEN = /AWS_|\.aws\b|@aws-sdk|@aws-crypto|@smithy|169\.254\.169\.254|fd00:ec2::254|credential_process|AWS_SHARED_CREDENTIALS_FILE/i;
/** file -> why it may name them. */
const ALLOWED_FILES: Record<string, string> = {
  'env.ts': 'the deny-list that removes cloud-credential variables before any command runs',
  'commands/cloud.ts': "`hangar cloud credentials` prints a profile for the local cloud's own keys; it reads none",
  'source/guard.ts': 'the deny-list of credential folders and file shapes a source folder must not be or hold; decided from paths (it never touches ~/.aws: the canary test watches), peeking only at files named credentials/config inside the folder being uploaded',
};

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) { if (d.name !== 'testing') sourceFiles(p, out); } else if (d.name.endsWith('.ts') && !d.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Remove comments, keeping string contents (a `//` inside a string is not a comment). */
export function stripComments(code: string): string {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/^((?:[^'"`\n/]|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`|\/(?!\/))*)\/\/.*$/gm, '$1');
}

/** A string literal that reads as a sentence to a person (has a space and a letter). */
function inSentence(line: string, index: number): boolean {
  for (const m of line.matchAll(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g)) {
    if (index > m.index && index < m.index + m[0].length) return / [a-z]/i.test(m[0]);
  }
  return false;
}

export function offendingLines(code: string): string[] {
  const out: string[] = [];
  stripComments(code).split('\n').forEach((line, i) => {
    const m = FORBIDDEN.exec(line);
    if (m && !inSentence(line, m.index)) out.push(`${i + 1}: ${line.trim()}`);
  });
  return out;
}

test('the checker finds credential reads in code and ignores comments and messages', () => {
  assert.deepEqual(offendingLines('const k = process.env.AWS_SECRET_ACCESS_KEY;'), ['1: const k = process.env.AWS_SECRET_ACCESS_KEY;']);
  assert.equal(offendingLines("readFileSync(join(homedir(), '.aws', 'credentials'))").length, 1);
  assert.equal(offendingLines("import { STS } from '@aws-sdk/client-sts';").length, 1);
  assert.deepEqual(offendingLines('// we never read AWS_PROFILE\nconst a = 1; /* nor ~/.aws */'), []);
  assert.deepEqual(offendingLines("ui.info('No local cloud credentials were read (AWS_* variables are ignored).');"), []);
});

test('the CLI source reads no cloud credentials and imports no AWS SDK', () => {
  const found: string[] = [];
  for (const file of sourceFiles(src)) {
    const rel = relative(src, file);
    if (ALLOWED_FILES[rel]) continue;
    for (const l of offendingLines(readFileSync(file, 'utf8'))) found.push(`${rel}:${l}`);
  }
  assert.deepEqual(found, []);
  const pkg = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}).filter((d) => /aws|smithy/i.test(d)), []);
});
