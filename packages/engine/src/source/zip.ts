import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';
import { HangarError, type ManifestEntry } from '@hangar/core';

/*
 * The code package's zip container, written here rather than by a library: incremental packaging
 * needs "precompressed entries" (raw deflate bytes + CRC-32 + sizes made once per blob, then only
 * copied), and none of the maintained writers takes them — yazl and archiver always compress or
 * store what they are given, fflate's Zip computes the CRC over what is pushed (so pushing deflate
 * bytes through ZipPassThrough gives a wrong CRC). The container is small: local headers, a central
 * directory, an end record. No zip64: a package over 65,535 files or 4 GB is refused (Lambda
 * takes 250 MB unzipped anyway).
 *
 * Determinism (a stable CodeSha256): entries sorted by path bytes, one fixed DOS time, unix modes
 * kept as given (so an executable stays executable on Lambda), raw deflate by Node's zlib at level 6
 * (default window and memLevel). Node's zlib (3-4x faster than fflate, the pure-JavaScript deflate
 * used before: 0.25 s against 0.50 s on the 5,000-file app, 0.84-1.0 s against 3.6-5.5 s on the
 * 12,000-file one, bench/deflate.bench.ts) gives the same bytes for the same input on one engine, but
 * not necessarily on another zlib version or another CPU (Chromium's zlib, which Node bundles, picks
 * its match hash by CPU feature). So the entry cache key carries `deflateSettings()`: the zlib
 * version and a fingerprint of its output, and an entry made by another zlib is never mixed into a
 * package. Identical inputs on one engine give byte-identical zips; an engine on another Node may
 * give other (equally valid) bytes for the same manifest.
 */

/** A few KB of text-like bytes whose deflate output shows which match finder the zlib in this process uses. */
function deflateProbe(): Uint8Array {
  const words = ['module', 'exports', 'function', 'return', 'const', 'require', 'prototype', 'undefined', 'length', 'this'];
  const parts: string[] = [];
  let x = 7;
  for (let i = 0; i < 4000; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    parts.push(words[x % words.length]!, String((x >>> 8) % 97));
  }
  return new TextEncoder().encode(parts.join(' '));
}

/**
 * The compression settings a cached entry was made with; part of its cache key. Computed (one
 * deflate of a 40 KB probe, about a millisecond) by whoever makes a packager, not at import.
 */
export function deflateSettings(): string {
  const fingerprint = createHash('sha256').update(compressEntry('deflate', deflateProbe()).data).digest('hex').slice(0, 12);
  return `zlib${process.versions.zlib}-${fingerprint}-d6`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Files already compressed by their format: deflating them again costs CPU and saves nothing. */
const storedExtensions = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'ico', 'zip', 'gz', 'tgz', 'br', 'bz2', 'xz', 'zst', '7z', 'jar',
  'woff', 'woff2', 'mp3', 'mp4', 'm4a', 'webm', 'ogg', 'mov', 'pdf',
]);

/** STORED for already-compressed types (by extension), DEFLATE otherwise. */
export function methodFor(path: string): 'store' | 'deflate' {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') && storedExtensions.has(path.slice(dot + 1).toLowerCase()) ? 'store' : 'deflate';
}

/** A file's zip entry data, made once per blob and compression setting and then only copied. */
export interface CompressedEntry {
  /** 0 = stored, 8 = deflated. */
  readonly method: 0 | 8;
  readonly crc: number;
  /** Uncompressed size. */
  readonly size: number;
  /** The entry's data as written in the zip (raw deflate or the file itself). */
  readonly data: Uint8Array;
}

/** CRC-32 (the zip's, IEEE) of `data`: zlib's, table-sliced native code (about 8x the plain JavaScript loop). */
export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}

/**
 * Compresses one file for the zip (CPU-heavy: the engine runs it in a worker thread). A file that
 * deflate would not shrink is stored: the choice depends only on the bytes, so it is deterministic.
 */
export function compressEntry(how: 'store' | 'deflate', data: Uint8Array): CompressedEntry {
  const crc = crc32(data);
  if (how === 'deflate' && data.length > 0) {
    const out = deflateRawSync(data, { level: 6 });
    // zlib's result may be a view into a larger pooled buffer: keep (and transfer) only its own bytes.
    const deflated = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? new Uint8Array(out.buffer, 0, out.byteLength) : new Uint8Array(out);
    if (deflated.length < data.length) return { method: 8, crc, size: data.length, data: deflated };
  }
  return { method: 0, crc, size: data.length, data };
}

// A cached entry's file: [method u8, 3 zero bytes, crc u32 LE, size u32 LE] then the entry's data.
export const ENTRY_HEADER = 12;
export function entryHeader(e: CompressedEntry): Uint8Array {
  const out = new Uint8Array(ENTRY_HEADER);
  const v = new DataView(out.buffer);
  v.setUint8(0, e.method);
  v.setUint32(4, e.crc, true);
  v.setUint32(8, e.size, true);
  return out;
}
export function decodeEntry(bytes: Uint8Array, where: string): CompressedEntry {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const method = bytes.length >= ENTRY_HEADER ? v.getUint8(0) : -1;
  if (method !== 0 && method !== 8) throw new Error(`the cached zip entry ${where} is damaged; delete it and deploy again`);
  return { method, crc: v.getUint32(4, true), size: v.getUint32(8, true), data: bytes.subarray(ENTRY_HEADER) };
}

/** Paths in byte order: the one order every builder (in process or in a worker) writes. */
export function sortEntries(entries: readonly ManifestEntry[]): ManifestEntry[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// 1980-01-02 00:00:00 in DOS date/time: the same for every engine, in any time zone.
const DOS_DATE = (0 << 9) | (1 << 5) | 2;
const DOS_TIME = 0;
const FLAG_UTF8 = 0x0800;
const MAX_ENTRIES = 0xffff;
/**
 * The end record's comment: marks a zip this writer made, so a later build may copy entries out
 * of it (`readOwnZip`) knowing the bytes are the ones it would write itself.
 */
const ZIP_COMMENT = new TextEncoder().encode('hangar-zip/1');
const MAX_OFFSET = 0xffffffff;

function tooLarge(what: string): never {
  throw new HangarError('SOURCE_LIMIT_EXCEEDED', `The code package would need zip64 (${what}); Hangar writes packages of up to 65,535 files and 4 GB, and Lambda accepts 250 MB unzipped. Exclude what the function does not need from inputs.src.`);
}

/**
 * Writes a zip from entries whose data is already made (`compressEntry`), in the order given
 * (callers sort): a local header + the data per entry, then the central directory. Bytes go to
 * `write` in order; it returns the total size.
 */
export function createZipAssembler(write: (chunk: Uint8Array) => void): { add(path: string, mode: number, entry: CompressedEntry): void; end(): number } {
  const enc = new TextEncoder();
  const central: Uint8Array[] = [];
  let offset = 0;
  let count = 0;
  const emit = (c: Uint8Array): void => {
    offset += c.length;
    if (offset > MAX_OFFSET) tooLarge('over 4 GB');
    write(c);
  };
  return {
    add(path, mode, e) {
      if (++count > MAX_ENTRIES) tooLarge('over 65,535 files');
      const name = enc.encode(path);
      const local = new Uint8Array(30 + name.length);
      const l = new DataView(local.buffer);
      l.setUint32(0, 0x04034b50, true);
      l.setUint16(4, 20, true);
      l.setUint16(6, FLAG_UTF8, true);
      l.setUint16(8, e.method, true);
      l.setUint16(10, DOS_TIME, true);
      l.setUint16(12, DOS_DATE, true);
      l.setUint32(14, e.crc, true);
      l.setUint32(18, e.data.length, true);
      l.setUint32(22, e.size, true);
      l.setUint16(26, name.length, true);
      l.setUint16(28, 0, true);
      local.set(name, 30);
      const at = offset;
      const rec = new Uint8Array(46 + name.length);
      const c = new DataView(rec.buffer);
      c.setUint32(0, 0x02014b50, true);
      c.setUint16(4, (3 << 8) | 20, true); // made by: unix, zip 2.0 — external attributes carry the mode
      c.setUint16(6, 20, true);
      c.setUint16(8, FLAG_UTF8, true);
      c.setUint16(10, e.method, true);
      c.setUint16(12, DOS_TIME, true);
      c.setUint16(14, DOS_DATE, true);
      c.setUint32(16, e.crc, true);
      c.setUint32(20, e.data.length, true);
      c.setUint32(24, e.size, true);
      c.setUint16(28, name.length, true);
      c.setUint32(38, ((0o100000 | (mode & 0o777)) << 16) >>> 0, true);
      c.setUint32(42, at, true);
      rec.set(name, 46);
      emit(local);
      emit(e.data);
      central.push(rec);
    },
    end() {
      const cdStart = offset;
      for (const rec of central) emit(rec);
      const eocd = new Uint8Array(22 + ZIP_COMMENT.length);
      const v = new DataView(eocd.buffer);
      v.setUint16(20, ZIP_COMMENT.length, true);
      eocd.set(ZIP_COMMENT, 22);
      v.setUint32(0, 0x06054b50, true);
      v.setUint16(8, count, true);
      v.setUint16(10, count, true);
      v.setUint32(12, offset - cdStart, true);
      v.setUint32(16, cdStart, true);
      emit(eocd);
      return offset;
    },
  };
}

/**
 * The entries of a zip this writer made (its end record carries ZIP_COMMENT), by path: method,
 * CRC-32, size and the entry data as a view into `zip`. Anything else (another writer's zip, a
 * damaged file) gives undefined: the caller then builds without it.
 */
export function readOwnZip(zip: Uint8Array): Map<string, CompressedEntry> | undefined {
  const end = zip.length - 22 - ZIP_COMMENT.length;
  if (end < 0) return undefined;
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (v.getUint32(end, true) !== 0x06054b50 || v.getUint16(end + 20, true) !== ZIP_COMMENT.length) return undefined;
  for (let i = 0; i < ZIP_COMMENT.length; i++) if (zip[end + 22 + i] !== ZIP_COMMENT[i]) return undefined;
  const count = v.getUint16(end + 10, true);
  let at = v.getUint32(end + 16, true);
  const dec = new TextDecoder();
  const out = new Map<string, CompressedEntry>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || v.getUint32(at, true) !== 0x02014b50) return undefined;
    const method = v.getUint16(at + 10, true);
    const crc = v.getUint32(at + 16, true);
    const csize = v.getUint32(at + 20, true);
    const size = v.getUint32(at + 24, true);
    const nameLen = v.getUint16(at + 28, true);
    const extraLen = v.getUint16(at + 30, true);
    const commentLen = v.getUint16(at + 32, true);
    const local = v.getUint32(at + 42, true);
    const name = dec.decode(zip.subarray(at + 46, at + 46 + nameLen));
    if (local + 30 > end || v.getUint32(local, true) !== 0x04034b50 || (method !== 0 && method !== 8)) return undefined;
    const dataAt = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (dataAt + csize > end) return undefined;
    out.set(name, { method, crc, size, data: zip.subarray(dataAt, dataAt + csize) });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/**
 * Builds the deterministic zip of the manifest's files in this thread: the reference for what the
 * engine's packager (`createPackager`, compression in a worker, entries cached) writes, byte for byte.
 */
export async function buildZip(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const zip = createZipAssembler((c) => chunks.push(c));
  for (const e of sortEntries(entries)) {
    const data = await read(e.sha256);
    if (data.length !== e.size) throw new Error(`blob ${e.sha256} for ${e.path} has ${data.length} bytes, the manifest says ${e.size}`);
    zip.add(e.path, e.mode, compressEntry(methodFor(e.path), data));
  }
  zip.end();
  return concat(chunks);
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
