/**
 * Function code: the direct-upload zip checked against AWS's limits, hashed the way AWS hashes
 * it (base64 sha256 of the zip), and unpacked into its own directory.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
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

/** Writes the files under `dir` (and the zip as `<dir>.zip`), refusing entries that escape it. */
export async function writeCode(dir: string, code: UnpackedCode): Promise<void> {
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
  for (let i = 0; i < entries.length; i += 64) {
    await Promise.all(entries.slice(i, i + 64).map(async ([name, data]) => {
      const target = join(root, name);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, data);
    }));
  }
  await writeFile(`${root}.zip`, code.zip);
}

export async function removeCode(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.zip`, { force: true });
}
