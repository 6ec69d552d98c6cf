import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { LocalCloud } from '../index.js';
import { chunkSigning } from '../server/sigv4.js';
import { rejectsWith, type Creds } from '../test-support.js';
import { s3, startS3Cloud, text } from './test-support.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('S3 signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  it('computes the chunk signatures of AWS\'s published example', () => {
    // docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html: 65536 + 1024 bytes of 'a'.
    const signing = chunkSigning({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE', shortDate: '20130524', region: 'us-east-1', service: 's3', signedHeaders: [],
      signature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9', amzDate: '20130524T000000Z', presigned: false,
    }, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    const first = signing.chunk(signing.seed, sha(Buffer.alloc(65536, 'a')));
    assert.equal(first, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648');
    const second = signing.chunk(first, sha(Buffer.alloc(1024, 'a')));
    assert.equal(second, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497');
    assert.equal(signing.chunk(second, sha('')), 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9');
  });

  describe('against the cloud', () => {
    let cloud: LocalCloud;
    let root: Creds;
    before(async () => {
      ({ cloud, root } = await startS3Cloud());
      await s3(cloud.endpoint, root).send(new CreateBucketCommand({ Bucket: 'chunks' }));
    });
    after(() => cloud.stop());

    /** Signs the request like a SigV4 streaming client, then frames `chunks` with chained signatures. */
    async function put(key: string, chunks: Buffer[], tamper?: (body: string) => string): Promise<Response> {
      const url = new URL(cloud.endpoint);
      const decoded = chunks.reduce((n, c) => n + c.length, 0);
      const frame = (size: number): number => size.toString(16).length + ';chunk-signature='.length + 64 + 2 + size + 2;
      const length = [...chunks, Buffer.alloc(0)].reduce((n, c) => n + frame(c.length), 0);
      const signer = new SignatureV4({ credentials: root, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
      const amzDate = new Date(cloud.now()).toISOString().replace(/[-:]|\.\d{3}/g, '');
      const request = new HttpRequest({
        method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: `/chunks/${key}`,
        headers: {
          host: url.host, 'content-encoding': 'aws-chunked', 'content-length': String(length), 'x-amz-decoded-content-length': String(decoded),
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        },
      });
      const signed = await signer.sign(request, { signingDate: cloud.now() });
      const seed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))![1]!;
      const signing = chunkSigning({
        accessKeyId: root.accessKeyId, shortDate: amzDate.slice(0, 8), region: 'us-east-1', service: 's3', signedHeaders: [], signature: seed,
        amzDate: String(signed.headers['x-amz-date']), presigned: false,
      }, root.secretAccessKey);
      let previous = seed;
      let body = '';
      for (const c of [...chunks, Buffer.alloc(0)]) {
        previous = signing.chunk(previous, sha(c));
        body += `${c.length.toString(16)};chunk-signature=${previous}\r\n${c.toString('latin1')}\r\n`;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = String(v);
      return fetch(`${cloud.endpoint}/chunks/${key}`, { method: 'PUT', headers, body: Buffer.from(tamper ? tamper(body) : body, 'latin1') });
    }

    it('accepts correctly signed chunks', async () => {
      const res = await put('ok.txt', [Buffer.from('first chunk, '), Buffer.from('second chunk')]);
      assert.equal(res.status, 200, await res.text());
      const got = await s3(cloud.endpoint, root).send(new GetObjectCommand({ Bucket: 'chunks', Key: 'ok.txt' }));
      assert.equal(await text(got.Body), 'first chunk, second chunk');
    });

    it('refuses a chunk whose data does not match its signature', async () => {
      const res = await put('bad.txt', [Buffer.from('first chunk, '), Buffer.from('second chunk')], (b) => b.replace('second', 'SECOND'));
      assert.equal(res.status, 403);
      assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
      await rejectsWith(s3(cloud.endpoint, root).send(new HeadObjectCommand({ Bucket: 'chunks', Key: 'bad.txt' })), 'NotFound', 404);
    });
  });
});
