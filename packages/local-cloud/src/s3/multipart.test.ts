import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand, UploadPartCopyCommand, type S3Client,
} from '@aws-sdk/client-s3';
import type { LocalCloud } from '../index.js';
import { rejectsWith, type Creds } from '../test-support.js';
import { s3, startS3Cloud } from './test-support.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();

describe('S3 multipart uploads', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let c: S3Client;
  const B = 'multipart-bucket';
  const part1 = Buffer.alloc(5 * MiB, 'a');
  const part2 = Buffer.alloc(1234, 'b');
  before(async () => {
    ({ cloud, root } = await startS3Cloud());
    c = s3(cloud.endpoint, root);
    await c.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(() => cloud.stop());

  it('creates, uploads, lists and completes with the ETag <md5 of md5s>-N', async () => {
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'big.bin', ContentType: 'application/x-big', Metadata: { kind: 'mp' } }));
    assert.ok(UploadId);
    const p1 = await c.send(new UploadPartCommand({ Bucket: B, Key: 'big.bin', UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await c.send(new UploadPartCommand({ Bucket: B, Key: 'big.bin', UploadId, PartNumber: 2, Body: part2 }));
    assert.equal(p1.ETag, `"${md5(part1).toString('hex')}"`);
    const parts = await c.send(new ListPartsCommand({ Bucket: B, Key: 'big.bin', UploadId }));
    assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, part1.length, p1.ETag], [2, part2.length, p2.ETag]]);
    const page = await c.send(new ListPartsCommand({ Bucket: B, Key: 'big.bin', UploadId, MaxParts: 1 }));
    assert.equal(page.IsTruncated, true);
    assert.equal(page.NextPartNumberMarker, '1');
    const uploads = await c.send(new ListMultipartUploadsCommand({ Bucket: B }));
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId]), [['big.bin', UploadId]]);
    const done = await c.send(new CompleteMultipartUploadCommand({
      Bucket: B, Key: 'big.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    }));
    const expected = `"${createHash('md5').update(Buffer.concat([md5(part1), md5(part2)])).digest('hex')}-2"`;
    assert.equal(done.ETag, expected);
    const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'big.bin' }));
    const body = Buffer.from(await got.Body!.transformToByteArray());
    assert.ok(body.equals(Buffer.concat([part1, part2])));
    assert.equal(got.ETag, expected);
    assert.equal(got.ContentType, 'application/x-big');
    assert.deepEqual(got.Metadata, { kind: 'mp' });
    assert.equal((await c.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads, undefined);
    await rejectsWith(c.send(new ListPartsCommand({ Bucket: B, Key: 'big.bin', UploadId })), 'NoSuchUpload', 404);
  });

  it('enforces the 5 MiB minimum except for the last part, part order and part ETags', async () => {
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'small-parts.bin' }));
    const a = await c.send(new UploadPartCommand({ Bucket: B, Key: 'small-parts.bin', UploadId, PartNumber: 1, Body: Buffer.alloc(100) }));
    const b = await c.send(new UploadPartCommand({ Bucket: B, Key: 'small-parts.bin', UploadId, PartNumber: 2, Body: Buffer.alloc(100, 1) }));
    const complete = (Parts: { PartNumber: number; ETag?: string }[]): Promise<unknown> =>
      c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'small-parts.bin', UploadId, MultipartUpload: { Parts } }));
    await rejectsWith(complete([{ PartNumber: 1, ETag: a.ETag }, { PartNumber: 2, ETag: b.ETag }]), 'EntityTooSmall', 400);
    await rejectsWith(complete([{ PartNumber: 2, ETag: b.ETag }, { PartNumber: 1, ETag: a.ETag }]), 'InvalidPartOrder', 400);
    await rejectsWith(complete([{ PartNumber: 1, ETag: b.ETag }]), 'InvalidPart', 400);
    await rejectsWith(complete([{ PartNumber: 3, ETag: a.ETag }]), 'InvalidPart', 400);
    await rejectsWith(c.send(new UploadPartCommand({ Bucket: B, Key: 'small-parts.bin', UploadId, PartNumber: 10001, Body: 'x' })), 'InvalidArgument', 400);
    // One small part alone is the last part: fine.
    const one = await complete([{ PartNumber: 1, ETag: a.ETag }]) as { ETag?: string };
    assert.match(one.ETag ?? '', /^"[0-9a-f]{32}-1"$/);
    assert.equal((await c.send(new HeadObjectCommand({ Bucket: B, Key: 'small-parts.bin' }))).ContentLength, 100);
  });

  it('aborts, and answers NoSuchUpload for unknown or aborted uploads', async () => {
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin' }));
    await c.send(new UploadPartCommand({ Bucket: B, Key: 'aborted.bin', UploadId, PartNumber: 1, Body: 'x' }));
    await c.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin', UploadId }));
    await rejectsWith(c.send(new UploadPartCommand({ Bucket: B, Key: 'aborted.bin', UploadId, PartNumber: 2, Body: 'x' })), 'NoSuchUpload', 404);
    await rejectsWith(c.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin', UploadId: 'nope' })), 'NoSuchUpload', 404);
    await rejectsWith(c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } })), 'NoSuchUpload', 404);
    await rejectsWith(c.send(new HeadObjectCommand({ Bucket: B, Key: 'aborted.bin' })), 'NotFound', 404);
  });

  it('copies parts from an existing object, with a byte range', async () => {
    const src = Buffer.concat([Buffer.alloc(5 * MiB, 'x'), Buffer.from('tail-bytes')]);
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'copy-src.bin', Body: src }));
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'copied.bin' }));
    const p1 = await c.send(new UploadPartCopyCommand({ Bucket: B, Key: 'copied.bin', UploadId, PartNumber: 1, CopySource: `${B}/copy-src.bin` }));
    const p2 = await c.send(new UploadPartCopyCommand({ Bucket: B, Key: 'copied.bin', UploadId, PartNumber: 2, CopySource: `${B}/copy-src.bin`, CopySourceRange: `bytes=${5 * MiB}-${src.length - 1}` }));
    assert.equal(p2.CopyPartResult?.ETag, `"${md5(Buffer.from('tail-bytes')).toString('hex')}"`);
    await rejectsWith(c.send(new UploadPartCopyCommand({ Bucket: B, Key: 'copied.bin', UploadId, PartNumber: 3, CopySource: `${B}/copy-src.bin`, CopySourceRange: `bytes=0-${src.length}` })), 'InvalidArgument', 400);
    await rejectsWith(c.send(new UploadPartCopyCommand({ Bucket: B, Key: 'copied.bin', UploadId, PartNumber: 3, CopySource: `${B}/missing.bin` })), 'NoSuchKey', 404);
    await c.send(new CompleteMultipartUploadCommand({
      Bucket: B, Key: 'copied.bin', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult?.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult?.ETag }] },
    }));
    const got = Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: B, Key: 'copied.bin' }))).Body!.transformToByteArray());
    assert.ok(got.equals(Buffer.concat([src, Buffer.from('tail-bytes')])));
  });

  it('keeps part checksums and a composite checksum when the upload names an algorithm', async () => {
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'summed.bin', ChecksumAlgorithm: 'CRC32' }));
    const p1 = await c.send(new UploadPartCommand({ Bucket: B, Key: 'summed.bin', UploadId, PartNumber: 1, Body: part1, ChecksumAlgorithm: 'CRC32' }));
    const p2 = await c.send(new UploadPartCommand({ Bucket: B, Key: 'summed.bin', UploadId, PartNumber: 2, Body: part2, ChecksumAlgorithm: 'CRC32' }));
    assert.ok(p1.ChecksumCRC32);
    await rejectsWith(c.send(new CompleteMultipartUploadCommand({
      Bucket: B, Key: 'summed.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    })), 'InvalidRequest', 400);
    const done = await c.send(new CompleteMultipartUploadCommand({
      Bucket: B, Key: 'summed.bin', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: p1.ChecksumCRC32 }, { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32: p2.ChecksumCRC32 }] },
    }));
    assert.match(done.ChecksumCRC32 ?? '', /^[A-Za-z0-9+/=]{8}-2$/);
  });
});
