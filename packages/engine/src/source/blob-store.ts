import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Content-addressed storage for uploaded files, keyed by lowercase hex sha256. It knows nothing of
 * orgs: which org may read which blob is the source cache's business (org_blobs), so a blob shared
 * by two orgs is stored once. Callers verify the hash before `put`.
 */
export interface BlobStore {
  has(sha256: string): Promise<boolean>;
  /** Atomic: a reader never sees a half-written blob. Putting an existing blob is a no-op. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** Throws when absent. */
  get(sha256: string): Promise<Uint8Array>;
  stream(sha256: string): Readable;
}

const shaPattern = /^[0-9a-f]{64}$/;

/** Blobs as files under `root/ab/cd/<sha256>`; writes go to a temp file in the same folder, then rename. */
export function createFsBlobStore(root: string): BlobStore {
  const pathOf = (sha: string): string => {
    if (!shaPattern.test(sha)) throw new Error(`not a sha256: ${JSON.stringify(sha)}`);
    return join(root, sha.slice(0, 2), sha.slice(2, 4), sha);
  };
  return {
    async has(sha) {
      try {
        return (await stat(pathOf(sha))).isFile();
      } catch {
        return false;
      }
    },
    async put(sha, bytes) {
      const target = pathOf(sha);
      await mkdir(dirname(target), { recursive: true });
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(tmp, bytes, { flag: 'wx' });
        await rename(tmp, target);
      } catch (e) {
        await unlink(tmp).catch(() => {});
        throw e;
      }
    },
    async get(sha) {
      return new Uint8Array(await readFile(pathOf(sha)));
    },
    stream(sha) {
      return createReadStream(pathOf(sha));
    },
  };
}
