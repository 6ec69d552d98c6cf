/**
 * The checksums S3 verifies (`x-amz-checksum-*` headers and trailers): CRC32, CRC32C, CRC64NVME,
 * SHA1, SHA256. Each is an incremental hasher whose digest is base64, as on the wire.
 */
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

export interface Hasher {
  update(chunk: Buffer): void;
  /** Base64 of the big-endian digest. */
  digest(): string;
}

function crcTable32(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32C_TABLE = crcTable32(0x82f63b78);

// CRC64-NVME (reflected polynomial 0x9a6c9329ac4bc9b5) as two 32-bit halves, so no BigInt per byte.
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
{
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_HI[i] = Number(c >> 32n);
    CRC64_LO[i] = Number(c & 0xffffffffn);
  }
}

function u32(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
}

export function newHasher(algorithm: ChecksumAlgorithm): Hasher {
  switch (algorithm) {
    case 'CRC32': {
      let c = 0;
      return { update: (b) => { c = zlibCrc32(b, c); }, digest: () => u32(c) };
    }
    case 'CRC32C': {
      let c = 0xffffffff;
      return {
        update(b) {
          for (let i = 0; i < b.length; i++) c = CRC32C_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
        },
        digest: () => u32(c ^ 0xffffffff),
      };
    }
    case 'CRC64NVME': {
      let hi = 0xffffffff;
      let lo = 0xffffffff;
      return {
        update(b) {
          for (let i = 0; i < b.length; i++) {
            const idx = (lo ^ b[i]!) & 0xff;
            lo = ((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]!;
            hi = (hi >>> 8) ^ CRC64_HI[idx]!;
          }
        },
        digest() {
          const out = Buffer.alloc(8);
          out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
          out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
          return out.toString('base64');
        },
      };
    }
    case 'SHA1':
    case 'SHA256': {
      const h = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (b) => { h.update(b); }, digest: () => h.digest('base64') };
    }
  }
}

/** `x-amz-checksum-crc32` -> CRC32. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const m = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.exec(name.toLowerCase());
  return m ? (m[1]!.toUpperCase() as ChecksumAlgorithm) : undefined;
}

export function headerOf(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}
