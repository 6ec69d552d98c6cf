import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand, CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { LocalCloud } from '../index.js';
import { rejectsWith, signedFetch, type Creds } from '../test-support.js';
import { newHasher } from './checksums.js';
import { s3, startS3Cloud, text } from './test-support.js';

const md5 = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');

describe('S3 objects', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let c: S3Client;
  const B = 'objects-bucket';
  before(async () => {
    ({ cloud, root } = await startS3Cloud());
    c = s3(cloud.endpoint, root);
    await c.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(() => cloud.stop());

  it('puts and gets an object with its headers, metadata and MD5 ETag', async () => {
    const put = await c.send(new PutObjectCommand({
      Bucket: B, Key: 'docs/hello.txt', Body: 'hello world', ContentType: 'text/plain', CacheControl: 'max-age=60',
      ContentEncoding: 'identity', ContentDisposition: 'inline', Metadata: { owner: 'alice', 'x-tag': 'one' },
    }));
    assert.equal(put.ETag, `"${md5('hello world')}"`);
    assert.ok(put.ChecksumCRC32, 'the SDK\'s default CRC32 checksum is answered back');
    const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'docs/hello.txt' }));
    assert.equal(await text(got.Body), 'hello world');
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.CacheControl, 'max-age=60');
    assert.equal(got.ContentEncoding, 'identity');
    assert.equal(got.ContentDisposition, 'inline');
    assert.equal(got.ContentLength, 11);
    assert.equal(got.ETag, put.ETag);
    assert.deepEqual(got.Metadata, { owner: 'alice', 'x-tag': 'one' });
    assert.ok(got.LastModified instanceof Date);
    const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'docs/hello.txt' }));
    assert.equal(head.ContentLength, 11);
    assert.equal(head.ETag, put.ETag);
    const defaulted = await c.send(new PutObjectCommand({ Bucket: B, Key: 'untyped', Body: Buffer.from([1, 2, 3]) }));
    assert.ok(defaulted.ETag);
    const h2 = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'untyped' }));
    assert.ok(h2.ContentType, 'a content type is always answered');
  });

  it('streams a body of unknown content through aws-chunked with a trailing checksum, and verifies checksums', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const put = await c.send(new PutObjectCommand({ Bucket: B, Key: 'stream.bin', Body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]), ContentLength: data.length }));
    assert.equal(put.ETag, `"${md5(data)}"`);
    const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'stream.bin', ChecksumMode: 'ENABLED' }));
    const back = Buffer.from(await got.Body!.transformToByteArray());
    assert.ok(back.equals(data));
    const crc = newHasher('CRC32');
    crc.update(data);
    assert.equal(got.ChecksumCRC32, crc.digest());
    for (const algo of ['CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const) {
      const r = await c.send(new PutObjectCommand({ Bucket: B, Key: `sum-${algo}`, Body: 'checksummed', ChecksumAlgorithm: algo }));
      const h = newHasher(algo);
      h.update(Buffer.from('checksummed'));
      assert.equal((r as unknown as Record<string, unknown>)[`Checksum${algo}`], h.digest(), algo);
    }
    // A wrong checksum or Content-MD5 is refused, and nothing is stored.
    await rejectsWith(c.send(new PutObjectCommand({ Bucket: B, Key: 'bad-crc', Body: 'payload', ChecksumCRC32: 'AAAAAA==' })), 'BadDigest', 400);
    await rejectsWith(c.send(new PutObjectCommand({ Bucket: B, Key: 'bad-md5', Body: 'payload', ContentMD5: Buffer.from(md5('other'), 'hex').toString('base64') })), 'BadDigest', 400);
    await rejectsWith(c.send(new HeadObjectCommand({ Bucket: B, Key: 'bad-crc' })), 'NotFound', 404);
  });

  it('decodes a raw aws-chunked body and refuses a wrong trailing checksum', async () => {
    const crc = newHasher('CRC32');
    crc.update(Buffer.from('hello world'));
    const send = (sum: string): Promise<Response> => signedFetch(cloud.endpoint, root, {
      service: 's3', method: 'PUT', path: `/${B}/chunked.txt`,
      body: `6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:${sum}\r\n\r\n`,
      headers: {
        'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': '11', 'x-amz-trailer': 'x-amz-checksum-crc32',
      },
    });
    const bad = await send('AAAAAA==');
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /<Code>BadDigest<\/Code>/);
    const ok = await send(crc.digest());
    assert.equal(ok.status, 200, await ok.text());
    const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'chunked.txt' }));
    assert.equal(await text(got.Body), 'hello world');
    assert.equal(got.ContentEncoding, undefined, 'aws-chunked is framing, not stored');
    const short = await signedFetch(cloud.endpoint, root, {
      service: 's3', method: 'PUT', path: `/${B}/short.txt`, body: '5\r\nhello\r\n0\r\n\r\n',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '11' },
    });
    assert.equal(short.status, 400);
    assert.match(await short.text(), /IncompleteBody/);
  });

  it('checks a CRC32C known answer and CRC64NVME known answer', () => {
    const v = (a: 'CRC32C' | 'CRC64NVME'): string => {
      const h = newHasher(a);
      h.update(Buffer.from('123456789'));
      return Buffer.from(h.digest(), 'base64').toString('hex');
    };
    assert.equal(v('CRC32C'), 'e3069283');
    assert.equal(v('CRC64NVME'), 'ae8b14860a799888');
  });

  it('accepts UNSIGNED-PAYLOAD and presigned URLs', async () => {
    const url = await getSignedUrl(c, new PutObjectCommand({ Bucket: B, Key: 'presigned.txt' }), { expiresIn: 300 });
    const put = await fetch(url, { method: 'PUT', body: 'sent through a presigned URL' });
    assert.equal(put.status, 200, await put.text());
    const getUrl = await getSignedUrl(c, new GetObjectCommand({ Bucket: B, Key: 'presigned.txt' }), { expiresIn: 300 });
    const got = await fetch(getUrl);
    assert.equal(await got.text(), 'sent through a presigned URL');
    const tampered = await fetch(getUrl.replace('presigned.txt', 'other.txt'));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /SignatureDoesNotMatch/);
    const unsigned = await signedFetch(cloud.endpoint, root, { service: 's3', method: 'PUT', path: `/${B}/unsigned.txt`, body: 'no hash', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    assert.equal(unsigned.status, 200);
    assert.equal(await text((await c.send(new GetObjectCommand({ Bucket: B, Key: 'unsigned.txt' }))).Body), 'no hash');
  });

  it('serves ranges and answers InvalidRange', async () => {
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'range.txt', Body: '0123456789' }));
    const r = async (Range: string): Promise<{ body: string; range?: string; len?: number }> => {
      const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'range.txt', Range }));
      return { body: await text(got.Body), range: got.ContentRange, len: got.ContentLength };
    };
    assert.deepEqual(await r('bytes=2-5'), { body: '2345', range: 'bytes 2-5/10', len: 4 });
    assert.deepEqual(await r('bytes=7-'), { body: '789', range: 'bytes 7-9/10', len: 3 });
    assert.deepEqual(await r('bytes=-3'), { body: '789', range: 'bytes 7-9/10', len: 3 });
    assert.deepEqual(await r('bytes=8-100'), { body: '89', range: 'bytes 8-9/10', len: 2 });
    const e = await rejectsWith(c.send(new GetObjectCommand({ Bucket: B, Key: 'range.txt', Range: 'bytes=10-' })), 'InvalidRange', 416);
    assert.equal((e as unknown as { ActualObjectSize?: string }).ActualObjectSize, '10');
  });

  it('evaluates If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
    const put = await c.send(new PutObjectCommand({ Bucket: B, Key: 'cond.txt', Body: 'conditional' }));
    const etag = put.ETag!;
    assert.equal(await text((await c.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', IfMatch: etag }))).Body), 'conditional');
    await rejectsWith(c.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', IfMatch: '"0000"' })), 'PreconditionFailed', 412);
    const notModified = await c.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', IfNoneMatch: etag })).catch((x: { $metadata?: { httpStatusCode?: number } }) => x);
    assert.equal((notModified as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 304);
    const future = new Date(cloud.now().getTime() + 3600_000);
    const past = new Date(cloud.now().getTime() - 3600_000);
    const nm = await c.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', IfModifiedSince: future })).catch((x: { $metadata?: { httpStatusCode?: number } }) => x);
    assert.equal((nm as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 304);
    assert.equal(await text((await c.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', IfModifiedSince: past }))).Body), 'conditional');
    await rejectsWith(c.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', IfUnmodifiedSince: past })), 'PreconditionFailed', 412);
    // If-Match that holds wins over a failing If-Unmodified-Since (RFC 7232 order, as S3).
    assert.equal(await text((await c.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', IfMatch: etag, IfUnmodifiedSince: past }))).Body), 'conditional');
    // Conditional writes.
    await rejectsWith(c.send(new PutObjectCommand({ Bucket: B, Key: 'cond.txt', Body: 'x', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    await rejectsWith(c.send(new PutObjectCommand({ Bucket: B, Key: 'cond.txt', Body: 'x', IfMatch: '"0000"' })), 'PreconditionFailed', 412);
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'cond-new.txt', Body: 'x', IfNoneMatch: '*' }));
  });

  it('answers NoSuchKey and NoSuchBucket', async () => {
    const e = await rejectsWith(c.send(new GetObjectCommand({ Bucket: B, Key: 'nope' })), 'NoSuchKey', 404);
    assert.equal((e as unknown as { Key?: string }).Key, 'nope');
    await rejectsWith(c.send(new HeadObjectCommand({ Bucket: B, Key: 'nope' })), 'NotFound', 404);
    await rejectsWith(c.send(new GetObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k' })), 'NoSuchBucket', 404);
    await rejectsWith(c.send(new PutObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
    await rejectsWith(c.send(new PutObjectCommand({ Bucket: B, Key: 'k'.repeat(1025), Body: 'x' })), 'KeyTooLongError', 400);
    // Buckets enforce ownership (ACLs disabled) as on AWS since 2023.
    await rejectsWith(c.send(new PutObjectCommand({ Bucket: B, Key: 'acl.txt', Body: 'x', ACL: 'public-read' })), 'AccessControlListNotSupported', 400);
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'acl.txt', Body: 'x', ACL: 'bucket-owner-full-control' }));
    await rejectsWith(c.send(new CreateBucketCommand({ Bucket: 'acl-bucket', ACL: 'public-read' })), 'InvalidBucketAclWithObjectOwnership', 400);
  });

  it('deletes one object and many', async () => {
    for (const k of ['d/1', 'd/2', 'd/3']) await c.send(new PutObjectCommand({ Bucket: B, Key: k, Body: k }));
    await c.send(new DeleteObjectCommand({ Bucket: B, Key: 'd/1' }));
    await c.send(new DeleteObjectCommand({ Bucket: B, Key: 'd/never-existed' })); // 204 all the same
    await rejectsWith(c.send(new GetObjectCommand({ Bucket: B, Key: 'd/1' })), 'NoSuchKey', 404);
    const out = await c.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'd/2' }, { Key: 'd/3' }, { Key: 'd/4' }] } }));
    assert.deepEqual(out.Deleted?.map((d) => d.Key).sort(), ['d/2', 'd/3', 'd/4']);
    const quiet = await c.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'd/5' }], Quiet: true } }));
    assert.equal(quiet.Deleted, undefined);
    const listed = await c.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'd/' }));
    assert.equal(listed.KeyCount, 0);
  });

  it('copies with the COPY and REPLACE metadata directives', async () => {
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'src.txt', Body: 'copy me', ContentType: 'text/plain', Metadata: { a: '1' } }));
    const copied = await c.send(new CopyObjectCommand({ Bucket: B, Key: 'copy.txt', CopySource: `${B}/src.txt` }));
    assert.equal(copied.CopyObjectResult?.ETag, `"${md5('copy me')}"`);
    const h = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'copy.txt' }));
    assert.equal(h.ContentType, 'text/plain');
    assert.deepEqual(h.Metadata, { a: '1' });
    await c.send(new CopyObjectCommand({ Bucket: B, Key: 'copy2.txt', CopySource: `${B}/src.txt`, MetadataDirective: 'REPLACE', ContentType: 'application/json', Metadata: { b: '2' } }));
    const h2 = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'copy2.txt' }));
    assert.equal(h2.ContentType, 'application/json');
    assert.deepEqual(h2.Metadata, { b: '2' });
    // Onto itself: only with REPLACE.
    await rejectsWith(c.send(new CopyObjectCommand({ Bucket: B, Key: 'src.txt', CopySource: `${B}/src.txt` })), 'InvalidRequest', 400);
    await c.send(new CopyObjectCommand({ Bucket: B, Key: 'src.txt', CopySource: `${B}/src.txt`, MetadataDirective: 'REPLACE', Metadata: { c: '3' } }));
    await rejectsWith(c.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: `${B}/missing.txt` })), 'NoSuchKey', 404);
    await rejectsWith(c.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: `${B}/src.txt`, CopySourceIfMatch: '"0000"' })), 'PreconditionFailed', 412);
    // Keys with spaces and unicode survive the copy source encoding.
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'dir/a b+é.txt', Body: 'odd name' }));
    await c.send(new CopyObjectCommand({ Bucket: B, Key: 'dir/copied odd.txt', CopySource: encodeURIComponent(`${B}/dir/a b+é.txt`) }));
    assert.equal(await text((await c.send(new GetObjectCommand({ Bucket: B, Key: 'dir/copied odd.txt' }))).Body), 'odd name');
  });

  it('applies response-* overrides on a signed GetObject and lists with ListObjects v1 markers', async () => {
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'override.txt', Body: 'x', ContentType: 'text/plain' }));
    const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'override.txt', ResponseContentType: 'application/json', ResponseContentDisposition: 'attachment' }));
    assert.equal(got.ContentType, 'application/json');
    assert.equal(got.ContentDisposition, 'attachment');
    const { ListObjectsCommand } = await import('@aws-sdk/client-s3');
    const V = 'v1-list-bucket';
    await c.send(new CreateBucketCommand({ Bucket: V }));
    for (const k of ['a', 'b/1', 'b/2', 'c']) await c.send(new PutObjectCommand({ Bucket: V, Key: k, Body: k }));
    const first = await c.send(new ListObjectsCommand({ Bucket: V, Delimiter: '/', MaxKeys: 2 }));
    assert.deepEqual([first.Contents?.map((o) => o.Key), first.CommonPrefixes?.map((p) => p.Prefix), first.IsTruncated, first.NextMarker], [['a'], ['b/'], true, 'b/']);
    const rest = await c.send(new ListObjectsCommand({ Bucket: V, Delimiter: '/', Marker: first.NextMarker }));
    assert.deepEqual(rest.Contents?.map((o) => o.Key), ['c']);
  });

  it('lists with prefix, delimiter, max-keys, continuation token and start-after', async () => {
    const L = 'list-bucket';
    await c.send(new CreateBucketCommand({ Bucket: L }));
    const keys = ['a.txt', 'photos/2024/jan.jpg', 'photos/2024/feb.jpg', 'photos/2025/mar.jpg', 'photos/cover.jpg', 'z.txt', 'zz/deep/x'];
    for (const k of keys) await c.send(new PutObjectCommand({ Bucket: L, Key: k, Body: k }));
    const all = await c.send(new ListObjectsV2Command({ Bucket: L }));
    assert.deepEqual(all.Contents?.map((o) => o.Key), [...keys].sort());
    assert.equal(all.KeyCount, keys.length);
    assert.equal(all.IsTruncated, false);
    assert.equal(all.Contents?.[0]?.Size, 5);
    const top = await c.send(new ListObjectsV2Command({ Bucket: L, Delimiter: '/' }));
    assert.deepEqual(top.Contents?.map((o) => o.Key), ['a.txt', 'z.txt']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['photos/', 'zz/']);
    const photos = await c.send(new ListObjectsV2Command({ Bucket: L, Prefix: 'photos/', Delimiter: '/' }));
    assert.deepEqual(photos.Contents?.map((o) => o.Key), ['photos/cover.jpg']);
    assert.deepEqual(photos.CommonPrefixes?.map((p) => p.Prefix), ['photos/2024/', 'photos/2025/']);
    // Paging two at a time visits everything once, common prefixes included.
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await c.send(new ListObjectsV2Command({ Bucket: L, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((o) => o.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      assert.ok((page.KeyCount ?? 0) <= 2);
      if (!page.IsTruncated) break;
      token = page.NextContinuationToken;
      assert.ok(token);
    }
    assert.deepEqual(seen.sort(), ['a.txt', 'photos/', 'z.txt', 'zz/']);
    const after = await c.send(new ListObjectsV2Command({ Bucket: L, StartAfter: 'photos/cover.jpg' }));
    assert.deepEqual(after.Contents?.map((o) => o.Key), ['z.txt', 'zz/deep/x']);
    assert.equal(after.StartAfter, 'photos/cover.jpg');
    const owned = await c.send(new ListObjectsV2Command({ Bucket: L, MaxKeys: 1, FetchOwner: true }));
    assert.match(owned.Contents?.[0]?.Owner?.ID ?? '', /^[0-9a-f]{64}$/);
    assert.equal(all.Contents?.[0]?.Owner, undefined);
    await rejectsWith(c.send(new ListObjectsV2Command({ Bucket: L, ContinuationToken: 'not a token' })), 'InvalidArgument', 400);
    await rejectsWith(c.send(new ListObjectsV2Command({ Bucket: 'no-such-list-bucket' })), 'NoSuchBucket', 404);
  });
});
