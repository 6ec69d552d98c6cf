/**
 * The synchronous core of code unpacking, run in the unpacking worker (`unzip-worker.ts`) for
 * large zips and on the calling thread for small ones (`code.ts` decides). Two steps:
 * - `inspectZip`: the zip in hand (decoded from base64, or read from a file), checked against AWS's
 *   limits from its central directory (no inflating), hashed as AWS hashes it.
 * - `unpackZip`: each entry inflated in turn (one file in memory at a time), checked against the
 *   size the directory declared, hashed, written once into the content-addressed store and
 *   hard-linked into place; all with synchronous calls (the worker has nothing else to do, and
 *   libuv's thread pool stays free for the API).
 * Errors the caller answers with are `UnzipError`s (AWS's code, message and status): plain data,
 * so they cross from the worker as they are.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** AWS's direct-upload limits: 50 MB zipped (as base64 in the request body), 250 MB unzipped. */
export const MAX_ZIPPED_BYTES = 50 * 1024 * 1024;
export const MAX_REQUEST_BYTES = 69_905_067;
export const MAX_UNZIPPED_BYTES = 262_144_000;

export interface UnzipError {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

export class UnzipFailure extends Error {
  constructor(readonly error: UnzipError) {
    super(error.message);
  }
}

const BROKEN = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
const broken = () => new UnzipFailure({ code: 'InvalidParameterValueException', message: BROKEN, status: 400 });
const tooBigUnzipped = () => new UnzipFailure({ code: 'InvalidParameterValueException', message: `Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`, status: 400 });
export const tooLargeMessage = (operation: string) => `Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the ${operation} operation`;
const outside = (name: string) => new UnzipFailure({
  code: 'InvalidParameterValueException', message: `Could not unzip uploaded file: the entry ${JSON.stringify(name)} points outside the package.`, status: 400,
});

/**
 * Where the zip comes from: a direct upload's base64 `ZipFile` (as the string, or as its UTF-8
 * bytes: how it crosses to the worker, a plain copy where cloning the string costs far more), bytes
 * in hand, or a file (an S3 object).
 */
export type ZipSource =
  | { readonly base64: string } | { readonly base64Ascii: Uint8Array } | { readonly bytes: Uint8Array } | { readonly file: string };

export interface InspectedZip {
  readonly zip: Uint8Array;
  /** Base64 SHA-256 of the zip, as AWS's CodeSha256. */
  readonly sha256: string;
  readonly size: number;
  /** Sum of the files' sizes as the directory declares them (unpacking checks each one). */
  readonly unzippedSize: number;
}

interface Entry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the local header. */
  readonly offset: number;
}

/** `base64` decoded length without decoding it (for the 50 MB check before anything is copied). */
export function base64Length(base64: string): number {
  const pad = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - pad;
}

const FAKE_ROOT = resolve('/', 'package-root');

/**
 * The files of a zip from its central directory (zip64 included): directories skipped, a name
 * given twice kept once (the last, as unzipping over it would), entries escaping the package refused.
 */
function entriesOf(zip: Uint8Array): { files: Entry[]; declared: number } {
  try {
    return readDirectory(zip);
  } catch (err) {
    if (err instanceof UnzipFailure) throw err;
    throw broken(); // a record running past the end of the zip
  }
}

function readDirectory(zip: Uint8Array): { files: Entry[]; declared: number } {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const u32 = (at: number) => v.getUint32(at, true);
  const u16 = (at: number) => v.getUint16(at, true);
  const u64 = (at: number) => Number(v.getBigUint64(at, true));
  let end = zip.length - 22;
  const stop = Math.max(0, end - 0xffff);
  while (end >= stop && u32(end) !== 0x06054b50) end--;
  if (end < stop) throw broken();
  let count = u16(end + 10);
  let cd = u32(end + 16);
  const locator = end - 20;
  if ((count === 0xffff || cd === 0xffffffff) && locator >= 0 && u32(locator) === 0x07064b50) {
    const at = u64(locator + 8);
    if (at + 56 > zip.length || u32(at) !== 0x06064b50) throw broken();
    count = u64(at + 32);
    cd = u64(at + 48);
  }
  const byName = new Map<string, Entry>();
  let declared = 0;
  let p = cd;
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || u32(p) !== 0x02014b50) throw broken();
    const flags = u16(p + 8);
    const method = u16(p + 10);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLength = u16(p + 28);
    const extraLength = u16(p + 30);
    const commentLength = u16(p + 32);
    let offset = u32(p + 42);
    const nameBytes = zip.subarray(p + 46, p + 46 + nameLength);
    const name = Buffer.from(nameBytes.buffer, nameBytes.byteOffset, nameBytes.byteLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
    // zip64: the sizes and offset that do not fit are in the 0x0001 extra field, in this order.
    for (let x = p + 46 + nameLength; x + 4 <= p + 46 + nameLength + extraLength;) {
      const id = u16(x);
      const len = u16(x + 2);
      if (id === 0x0001) {
        let f = x + 4;
        if (size === 0xffffffff) { size = u64(f); f += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = u64(f); f += 8; }
        if (offset === 0xffffffff) offset = u64(f);
      }
      x += 4 + len;
    }
    p += 46 + nameLength + extraLength + commentLength;
    declared += size;
    if (declared > MAX_UNZIPPED_BYTES) throw tooBigUnzipped();
    if (name.endsWith('/')) continue;
    if (flags & 1 || (method !== 0 && method !== 8)) throw broken(); // encrypted, or not stored/deflated
    if (!resolve(FAKE_ROOT, name).startsWith(FAKE_ROOT + sep)) throw outside(name);
    byName.delete(name);
    byName.set(name, { name, method, compressedSize, size, offset });
  }
  return { files: [...byName.values()], declared };
}

/** Reads, checks (AWS's limits, a readable directory, no entry outside the package) and hashes a zip. */
export function inspectZip(source: ZipSource, operation: string): InspectedZip {
  let zip: Uint8Array;
  if ('base64' in source || 'base64Ascii' in source) {
    const text = 'base64' in source ? source.base64 : Buffer.from(source.base64Ascii.buffer, source.base64Ascii.byteOffset, source.base64Ascii.byteLength).toString('latin1');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw broken();
    zip = Buffer.from(text, 'base64');
    if (zip.length > MAX_ZIPPED_BYTES) throw new UnzipFailure({ code: 'RequestEntityTooLargeException', message: tooLargeMessage(operation), status: 413 });
  } else if ('bytes' in source) {
    zip = source.bytes;
  } else {
    zip = readFileSync(source.file);
  }
  const { files } = entriesOf(zip);
  const unzippedSize = files.reduce((n, f) => n + f.size, 0);
  return { zip, sha256: createHash('sha256').update(zip).digest('base64'), size: zip.length, unzippedSize };
}

/**
 * A Lambda request body carrying a direct upload, parsed: `holder` names the object holding
 * `ZipFile` ('' for the body itself, as UpdateFunctionCode sends it; 'Code'; 'Content'). Its
 * base64 is inspected here (an 18 MB body's JSON.parse and decoding stay off the event loop) and
 * the outcome handed back beside the rest of the body, in which `ZipFile` is left null; the caller
 * answers an inspection failure only when it reaches the code, as it would have.
 */
export type ParsedCodeBody =
  | { readonly jsonError: string }
  | { readonly value: Record<string, unknown>; readonly zip?: { readonly code: InspectedZip } | { readonly failure: UnzipError } };

export function parseCodeBody(body: Uint8Array, holder: string, operation: string): ParsedCodeBody {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    return { jsonError: (e as Error).message };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { jsonError: 'expected a JSON object' };
  const record = value as Record<string, unknown>;
  const h = holder ? record[holder] : record;
  if (!h || typeof h !== 'object' || Array.isArray(h) || typeof (h as Record<string, unknown>).ZipFile !== 'string') return { value: record };
  const at = h as Record<string, unknown>;
  const base64 = at.ZipFile as string;
  at.ZipFile = null;
  try {
    return { value: record, zip: { code: inspectZip({ base64 }, operation) } };
  } catch (e) {
    if (e instanceof UnzipFailure) return { value: record, zip: { failure: e.error } };
    throw e;
  }
}

/** An entry's bytes, inflated and checked against the size the directory declared. */
function inflate(zip: Uint8Array, e: Entry): Uint8Array {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (e.offset + 30 > zip.length || v.getUint32(e.offset, true) !== 0x04034b50) throw broken();
  const start = e.offset + 30 + v.getUint16(e.offset + 26, true) + v.getUint16(e.offset + 28, true);
  if (start + e.compressedSize > zip.length) throw broken();
  const data = zip.subarray(start, start + e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) out = data;
  else {
    try {
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
    } catch {
      throw broken();
    }
  }
  if (out.length !== e.size) throw broken();
  return out;
}

/** Inflates every entry (nothing written): a dry run's check that the zip is whole. */
export function verifyZip(zip: Uint8Array): void {
  for (const e of entriesOf(zip).files) inflate(zip, e);
}

export interface UnpackResult {
  /** Contents written to the store, and files placed by linking a stored copy. */
  readonly written: number;
  readonly linked: number;
  readonly files: number;
}

/**
 * Unpacks `zip` into `dir` (replacing it) and writes it as `<dir>.zip`. With `storeDir`, each
 * distinct content is stored once as `<storeDir>/<sha256>` (read-only) and the files are hard
 * links to it, their hashes listed in `<dir>.files`; without, the files are written in place.
 * On failure nothing is left: the folder is removed and contents stored only for it released.
 */
export function unpackZip(zip: Uint8Array, dir: string, storeDir: string | undefined): UnpackResult {
  const root = resolve(dir);
  const { files } = entriesOf(zip);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  if (storeDir) mkdirSync(storeDir, { recursive: true });
  const made = new Set<string>([root]);
  const hashes: string[] = [];
  let written = 0;
  let linked = 0;
  let fixMode: boolean | undefined;
  try {
    for (const e of files) {
      const target = resolve(root, e.name);
      if (!target.startsWith(root + sep)) throw outside(e.name);
      const data = inflate(zip, e);
      const parent = dirname(target);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      if (!storeDir) {
        writeFileSync(target, data);
        continue;
      }
      const hash = createHash('sha256').update(data).digest('hex');
      const stored = join(storeDir, hash);
      hashes.push(hash);
      // Asked first: a link that fails throws, and building that error cost ~10 µs a file against
      // ~3 µs for the check (measured over 4,613 new contents). The store does not change during
      // the job (see code.ts), and a copy gone all the same is written below like a new one.
      if (existsSync(stored)) {
        try {
          linkSync(stored, target);
          linked++;
          continue;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      // A new content: written once, at its place (a new path in a folder nobody reads yet),
      // read-only, then linked into the store. The store's name appears, by one atomic link, only
      // for a whole file (as the tmp file and rename did, with two calls fewer and no chmod).
      writeFileSync(target, data, { mode: 0o444 });
      // The umask may have kept bits off: checked on the first new file, fixed on each if it did.
      fixMode ??= (statSync(target).mode & 0o777) !== 0o444;
      if (fixMode) chmodSync(target, 0o444); // read-only for everyone, as /var/task
      try {
        linkSync(target, stored);
      } catch (err) {
        // Stored meanwhile by someone else (the unpacker never does that): this file keeps its own copy.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      written++;
    }
    if (storeDir) writeFileSync(`${root}.files`, JSON.stringify(hashes));
    writeFileSync(`${root}.zip`, zip);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    rmSync(`${root}.files`, { force: true });
    if (storeDir) releaseSync(storeDir, hashes);
    // A file where the zip also has a folder (or the reverse): the zip cannot be unpacked.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') throw broken();
    throw err;
  }
  return { written, linked, files: files.length };
}

/**
 * Removes a package `unpackZip` wrote (its folder, `<dir>.zip` and `<dir>.files`) and, with
 * `storeDir`, deletes the stored copies no other package links any more.
 */
export function removeCodeSync(dir: string, storeDir: string | undefined): void {
  const root = resolve(dir);
  let hashes: string[] = [];
  if (storeDir) {
    try {
      hashes = JSON.parse(readFileSync(`${root}.files`, 'utf8')) as string[];
    } catch {
      // written without a store
    }
  }
  rmSync(root, { recursive: true, force: true });
  rmSync(`${root}.zip`, { force: true });
  rmSync(`${root}.files`, { force: true });
  if (storeDir && hashes.length) releaseSync(storeDir, hashes);
}

/** Deletes the stored copies of `hashes` that no package links any more. */
export function releaseSync(storeDir: string, hashes: Iterable<string>): void {
  for (const hash of new Set(hashes)) {
    const stored = join(storeDir, hash);
    try {
      if (statSync(stored).nlink <= 1) unlinkSync(stored);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
