/**
 * Project files' parsed values, cached under `$HANGAR_HOME/cache/`, so a deploy whose hangar.yml
 * did not change never loads the YAML library (about 100 ms of the CLI's start, measured on a
 * no-op deploy). One file per project file path: `{"v":1,"key":...,"value":...}`, where the key is
 * the sha256 of the yaml library's version, this CLI's version (a release may change how the text is
 * read) and the file's text. Only the YAML step is cached (text
 * to plain values, pure); variables and the schema run on every read, with this run's environment.
 * A parse that fails is never cached, nor a value JSON cannot carry exactly (`.inf`, `.nan`, -0).
 * A missing, stale or damaged cache file is ignored and written again.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readProjectText } from '@hangar/core';
import { cliVersion } from './version.js';

/** A project file's text to plain values (YAML checked): `readProjectText`, or a cached one. */
export type ProjectTextReader = (text: string, fileName: string, path: string) => unknown;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The installed yaml library's version (its package.json, without loading the library). */
function yamlVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(join(dirname(req.resolve('yaml')), '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface ProjectCacheOptions {
  /** The parse to cache (counted in tests); default `readProjectText`. */
  readonly parse?: (text: string, fileName: string) => unknown;
  /** Names the parser, part of the key; default the yaml library's and this CLI's versions. */
  readonly parser?: string;
}

export function cachedProjectReader(cacheDir: string, options: ProjectCacheOptions = {}): ProjectTextReader {
  const parse = options.parse ?? readProjectText;
  let parser = options.parser;
  return (text, fileName, path) => {
    parser ??= `yaml ${yamlVersion()} hangar ${cliVersion()}`;
    const file = join(cacheDir, `project-${sha256(path).slice(0, 32)}.json`);
    const key = sha256(`${parser}\n${text}`);
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { v?: unknown; key?: unknown; value?: unknown };
      if (doc.v === 1 && doc.key === key && doc.value !== null && typeof doc.value === 'object') return doc.value;
    } catch {
      // missing or damaged: parsed and written again below
    }
    const value = parse(text, fileName);
    try {
      const json = JSON.stringify({ v: 1, key, value });
      if (isDeepStrictEqual((JSON.parse(json) as { value: unknown }).value, value)) {
        mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, json, { mode: 0o600 });
        renameSync(tmp, file);
      }
    } catch {
      // A cache that cannot be written (read-only home) only costs the next run the parse.
    }
    return value;
  };
}
