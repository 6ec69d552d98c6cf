/**
 * Function code: the direct-upload zip checked against AWS's limits, hashed the way AWS hashes
 * it (base64 sha256 of the zip), and unpacked into its own directory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { unzipSync } from 'fflate';
import { AwsError } from '../internal/contract.js';

/** AWS's direct-upload limits: 50 MB zipped (as base64 in the request body), 250 MB unzipped. */
export const MAX_ZIPPED_BYTES = 50 * 1024 * 1024;
export const MAX_REQUEST_BYTES = 69_905_067;
export const MAX_UNZIPPED_BYTES = 262_144_000;

export function tooLarge(operation: string): AwsError {
  return new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the ${operation} operation`, 413);
}

export interface UnpackedCode {
  readonly zip: Buffer;
  readonly sha256: string;
  readonly size: number;
  /** Sum of the unzipped files' sizes (for the 250 MB function + layers limit). */
  readonly unzippedSize: number;
  readonly files: Record<string, Uint8Array>;
}

/** Decodes and checks `ZipFile` (base64); throws AWS's errors for oversized or broken zips. */
export function unpackZip(zipBase64: string, operation: string): UnpackedCode {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(zipBase64)) {
    throw new AwsError('InvalidParameterValueException', 'Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  const zip = Buffer.from(zipBase64, 'base64');
  if (zip.length > MAX_ZIPPED_BYTES) throw tooLarge(operation);
  return unpackZipBuffer(zip);
}

/** Checks and unpacks a zip already in hand (a direct upload, or an object read from S3). */
export function unpackZipBuffer(zip: Buffer): UnpackedCode {
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter(file) {
        total += file.originalSize;
        if (total > MAX_UNZIPPED_BYTES) throw new RangeError('unzipped size');
        return !file.name.endsWith('/');
      },
    });
  } catch (e) {
    if (e instanceof RangeError && e.message === 'unzipped size') {
      throw new AwsError('InvalidParameterValueException', `Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
    }
    throw new AwsError('InvalidParameterValueException', 'Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  // The central directory can under-state sizes; check what was really inflated too.
  const real = Object.values(files).reduce((n, f) => n + f.length, 0);
  if (real > MAX_UNZIPPED_BYTES) throw new AwsError('InvalidParameterValueException', `Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
  return { zip, sha256: createHash('sha256').update(zip).digest('base64'), size: zip.length, unzippedSize: real, files };
}

/**
 * Unpacked files, content-addressed: each distinct content is written once (`<dir>/<sha256>`,
 * read-only, like /var/task) and every package holding it gets a hard link, so an update that
 * changes one file writes one file. A copy no package links any more is deleted when the last
 * package holding it is removed.
 */
export interface FileStore {
  /** Puts `data` at `target` (a new path): a hard link to the stored copy, written first if new. Returns the content's sha256. */
  place(target: string, data: Uint8Array): Promise<string>;
  /** After packages holding these contents were removed: deletes the copies nothing links any more. */
  release(hashes: Iterable<string>): Promise<void>;
  /** Distinct contents written, and files placed by linking an existing copy (for tests and benchmarks). */
  readonly stats: { written: number; linked: number };
}

export function createFileStore(dir: string): FileStore {
  const stats = { written: 0, linked: 0 };
  /**
   * The last operation queued per content: `place` and `release` of one content run one after the
   * other. Otherwise a release could see a stored copy with no other link, a place link it, and
   * the release then delete it: the new package keeps its file (the inode lives on), but a place
   * between the store's write and its own link would fail, and the store would lose the copy.
   */
  const queue = new Map<string, Promise<unknown>>();
  let made: Promise<unknown> | undefined;
  const pathOf = (hash: string) => join(dir, hash);
  function serial<T>(hash: string, f: () => Promise<T>): Promise<T> {
    const run = (queue.get(hash) ?? Promise.resolve()).then(f);
    const done = run.then(() => undefined, () => undefined);
    queue.set(hash, done);
    void done.then(() => {
      if (queue.get(hash) === done) queue.delete(hash);
    });
    return run;
  }
  async function store(hash: string, data: Uint8Array): Promise<void> {
    await (made ??= mkdir(dir, { recursive: true }));
    const tmp = `${pathOf(hash)}.${randomUUID()}.tmp`;
    await writeFile(tmp, data, { mode: 0o444 });
    await chmod(tmp, 0o444); // the umask may have kept bits off; read-only for everyone, as /var/task
    await rename(tmp, pathOf(hash));
    stats.written++;
  }
  return {
    stats,
    place(target, data) {
      const hash = createHash('sha256').update(data).digest('hex');
      // One write per content even when a package holds it twice (files placed in parallel):
      // the second place of a content waits for the first and links its copy.
      return serial(hash, async () => {
        try {
          await link(pathOf(hash), target);
          stats.linked++;
          return hash;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        await store(hash, data);
        await link(pathOf(hash), target);
        return hash;
      });
    },
    async release(hashes) {
      for (const hash of new Set(hashes)) {
        await serial(hash, async () => {
          try {
            if ((await stat(pathOf(hash))).nlink <= 1) await unlink(pathOf(hash));
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          }
        });
      }
    },
  };
}

/**
 * Writes the files under `dir` (and the zip as `<dir>.zip`), refusing entries that escape it.
 * With a store, files are hard links to its copies and their hashes are listed in `<dir>.files`.
 */
export async function writeCode(dir: string, code: UnpackedCode, files?: FileStore): Promise<void> {
  const root = resolve(dir);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const entries = Object.entries(code.files);
  for (const [name] of entries) {
    const target = resolve(root, name);
    if (!target.startsWith(root + sep)) {
      await rm(root, { recursive: true, force: true });
      throw new AwsError('InvalidParameterValueException', `Could not unzip uploaded file: the entry ${JSON.stringify(name)} points outside the package.`);
    }
  }
  const hashes: string[] = [];
  for (let i = 0; i < entries.length; i += 64) {
    await Promise.all(entries.slice(i, i + 64).map(async ([name, data]) => {
      const target = join(root, name);
      await mkdir(dirname(target), { recursive: true });
      if (files) hashes.push(await files.place(target, data));
      else await writeFile(target, data);
    }));
  }
  if (files) await writeFile(`${root}.files`, JSON.stringify(hashes));
  await writeFile(`${root}.zip`, code.zip);
}

export async function removeCode(dir: string, files?: FileStore): Promise<void> {
  let hashes: string[] = [];
  if (files) {
    try {
      hashes = JSON.parse(await readFile(`${dir}.files`, 'utf8')) as string[];
    } catch {
      // written without a store
    }
  }
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.zip`, { force: true });
  await rm(`${dir}.files`, { force: true });
  if (hashes.length) await files?.release(hashes);
}
