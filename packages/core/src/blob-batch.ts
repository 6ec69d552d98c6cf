/**
 * The body of `POST /api/v1/orgs/:orgId/blobs` (content-type `application/vnd.hangar.blobs`):
 * many files' bytes in one request, as zero or more frames back to back, with no header or
 * trailer:
 *
 *   32 bytes   the blob's sha256, raw (not hex)
 *    4 bytes   its length n, unsigned big-endian (so a blob is under 4 GiB; larger ones go by PUT)
 *    n bytes   the blob
 *
 * A reader needs no look-ahead: each blob can be checked and stored as soon as its frame
 * completes, so a batch is never held whole. The CLI writes it (encodeBlobBatch); the engine
 * reads it as a stream (readBlobFrames).
 */
import { HangarError } from './errors.js';

export const BLOB_BATCH_CONTENT_TYPE = 'application/vnd.hangar.blobs';
/** 32 bytes of sha256 and a 4-byte length. */
export const BLOB_FRAME_HEADER_BYTES = 36;
/** The largest length the 4-byte field can carry. */
export const BLOB_FRAME_MAX_BYTES = 0xffff_ffff;

const FORMAT = 'each frame is the blob\'s sha256 (32 raw bytes), its length (4 bytes, big-endian), then that many bytes (docs/api.md, "Source cache")';

/** One body holding `blobs` as frames, in order. */
export function encodeBlobBatch(blobs: readonly { readonly sha256: string; readonly bytes: Uint8Array }[]): Buffer {
  let total = 0;
  for (const b of blobs) total += BLOB_FRAME_HEADER_BYTES + b.bytes.byteLength;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const b of blobs) {
    if (b.bytes.byteLength > BLOB_FRAME_MAX_BYTES) throw new Error(`a blob of ${b.bytes.byteLength} bytes does not fit a frame (at most ${BLOB_FRAME_MAX_BYTES}); send it with PUT /blobs/:sha256`);
    // Hex decoding stops at the first character that is not hex: anything but 64 of them writes fewer than 32 bytes.
    if (b.sha256.length !== 64 || out.write(b.sha256, off, 32, 'hex') !== 32) throw new Error(`not a sha256: ${JSON.stringify(b.sha256.slice(0, 80))}`);
    off += 32;
    out.writeUInt32BE(b.bytes.byteLength, off);
    off += 4;
    out.set(b.bytes, off);
    off += b.bytes.byteLength;
  }
  return out;
}

/** A frame read whole, or one whose declared length is over `maxBlobBytes` (its bytes were skipped, not kept). */
export type BlobFrame =
  | { readonly kind: 'blob'; readonly sha256: string; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly kind: 'oversize'; readonly sha256: string; readonly offset: number; readonly size: number };

export interface BlobFrameLimits {
  /** A frame declaring more is skipped and reported as `oversize`, never held. */
  readonly maxBlobBytes: number;
  /** The whole body: past it the read stops with PAYLOAD_TOO_LARGE. */
  readonly maxBodyBytes: number;
  /**
   * Where each blob's bytes go (default `Buffer.allocUnsafe`): the engine gives views into shared
   * memory, so the threads that store and compress a blob read it without a copy.
   */
  readonly alloc?: (size: number) => Uint8Array;
}

/**
 * Reads frames from a body as it arrives, yielding each one when its last byte is in. At most one
 * blob (≤ maxBlobBytes) is held at a time. Throws VALIDATION_FAILED naming the offset when the
 * body ends inside a frame, and PAYLOAD_TOO_LARGE past maxBodyBytes.
 */
export async function* readBlobFrames(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, limits: BlobFrameLimits): AsyncGenerator<BlobFrame> {
  const header = Buffer.alloc(BLOB_FRAME_HEADER_BYTES);
  let headerFill = 0;
  let frameStart = 0;
  let sha256 = '';
  let size = 0;
  const alloc = limits.alloc ?? ((size: number) => Buffer.allocUnsafe(size));
  /** The blob being filled (undefined while reading a header, or skipping an oversize one). */
  let blob: Uint8Array | undefined;
  let blobFill = 0;
  let skipping = false;
  let seen = 0;
  for await (const piece of body) {
    const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    seen += chunk.length;
    if (seen > limits.maxBodyBytes) {
      throw new HangarError('PAYLOAD_TOO_LARGE', `The batch is larger than this endpoint accepts (${limits.maxBodyBytes} bytes); send fewer blobs per request.`, {
        details: { limit: limits.maxBodyBytes },
      });
    }
    let at = 0;
    while (at < chunk.length) {
      if (blob === undefined && !skipping) {
        const n = Math.min(BLOB_FRAME_HEADER_BYTES - headerFill, chunk.length - at);
        chunk.copy(header, headerFill, at, at + n);
        headerFill += n;
        at += n;
        if (headerFill < BLOB_FRAME_HEADER_BYTES) break;
        sha256 = header.toString('hex', 0, 32);
        size = header.readUInt32BE(32);
        headerFill = 0;
        if (size > limits.maxBlobBytes) {
          skipping = true;
        } else {
          blob = alloc(size);
          blobFill = 0;
        }
      } else {
        const n = Math.min(size - blobFill, chunk.length - at);
        if (blob !== undefined) chunk.copy(blob, blobFill, at, at + n);
        blobFill += n;
        at += n;
      }
      if ((blob !== undefined || skipping) && blobFill === size) {
        const frame: BlobFrame = blob !== undefined ? { kind: 'blob', sha256, offset: frameStart, bytes: blob } : { kind: 'oversize', sha256, offset: frameStart, size };
        blob = undefined;
        skipping = false;
        blobFill = 0;
        frameStart += BLOB_FRAME_HEADER_BYTES + size;
        yield frame;
      }
    }
  }
  if (headerFill > 0) {
    throw new HangarError('VALIDATION_FAILED', `body: the frame at offset ${frameStart} has ${headerFill} of its ${BLOB_FRAME_HEADER_BYTES} header bytes, then the body ends; ${FORMAT}.`, {
      details: { offset: frameStart, received: headerFill },
    });
  }
  if (blob !== undefined || skipping) {
    throw new HangarError('VALIDATION_FAILED', `body: the frame at offset ${frameStart} (sha256 ${sha256}) declares ${size} bytes, but the body ends after ${blobFill} of them; ${FORMAT}.`, {
      details: { offset: frameStart, sha256, declared: size, received: blobFill },
    });
  }
}
