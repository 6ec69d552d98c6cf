/**
 * The files a website serves, read from the source package: each with its S3 key, content type,
 * cache header and a content hash, so a deploy uploads only what changed.
 */
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import mime from 'mime';

export interface SiteFile {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly cacheControl: string;
  /** sha256 of the bytes and both headers: a change to any of them means an upload. */
  readonly hash: string;
}

/** Content-hashed file names (`index-D8b4DmZ7.js`, `main.3f2a1b9c.css`) never change content. */
export const immutableCache = 'public, max-age=31536000, immutable';
/** Everything else is revalidated on each use (S3 answers with 304 when the ETag still matches). */
export const revalidateCache = 'no-cache';

/**
 * True for a name whose stem carries a build tool's content hash: after the first `.` or `-`, a
 * run of at least 8 letters, digits or `_` holding a digit (Vite `name-[hash:8]`, webpack
 * `name.[contenthash]`). HTML is never treated as hashed: its URL is the one people type.
 */
export function isContentHashed(key: string): boolean {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return false;
  const ext = base.slice(dot + 1).toLowerCase();
  if (ext === 'html' || ext === 'htm') return false;
  const tokens = base.slice(0, dot).split(/[.-]/);
  return tokens.slice(1).some((t) => t.length >= 8 && /^[A-Za-z0-9_]+$/.test(t) && /\d/.test(t));
}

/** The Content-Type S3 will send: from the extension, with `charset=utf-8` for text. */
export function contentTypeOf(key: string): string {
  const type = mime.getType(key) ?? 'application/octet-stream';
  const texty = type.startsWith('text/') || ['application/javascript', 'application/json', 'image/svg+xml', 'application/xml', 'application/manifest+json'].includes(type);
  return texty ? `${type}; charset=utf-8` : type;
}

export function cacheControlOf(key: string): string {
  return isContentHashed(key) ? immutableCache : revalidateCache;
}

/** Every file in the package, sorted by key. Folder entries are skipped. */
export function siteFiles(zip: Uint8Array): SiteFile[] {
  const entries = unzipSync(zip);
  return Object.keys(entries)
    .filter((k) => !k.endsWith('/'))
    .sort()
    .map((key) => {
      const body = entries[key]!;
      const contentType = contentTypeOf(key);
      const cacheControl = cacheControlOf(key);
      const hash = createHash('sha256').update(body).update(`\n${contentType}\n${cacheControl}`).digest('hex');
      return { key, body, contentType, cacheControl, hash };
    });
}
