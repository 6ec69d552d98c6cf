import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strToU8, zipSync } from 'fflate';
import { cacheControlOf, contentTypeOf, isContentHashed, siteFiles } from './files.js';
import { websiteBucketName, websiteUrl } from './names.js';

test('content-hashed names are recognised; plain names and HTML are not', () => {
  for (const k of ['assets/index-D8b4DmZ7.js', 'static/js/main.3f2a1b9c.chunk.js', 'app.8e0f1a2b3c4d.css', 'img/logo-a1b2c3d4e5.svg']) assert.ok(isContentHashed(k), k);
  for (const k of ['index.html', 'about-3f2a1b9c.html', 'jquery-3.7.1.min.js', 'favicon.ico', 'background.png', '3f2a1b9c12.js', 'README']) assert.ok(!isContentHashed(k), k);
  assert.equal(cacheControlOf('assets/index-D8b4DmZ7.js'), 'public, max-age=31536000, immutable');
  assert.equal(cacheControlOf('index.html'), 'no-cache');
});

test('content types come from the extension, with a charset for text', () => {
  assert.equal(contentTypeOf('a/index.html'), 'text/html; charset=utf-8');
  assert.equal(contentTypeOf('x.json'), 'application/json; charset=utf-8');
  assert.equal(contentTypeOf('x.svg'), 'image/svg+xml; charset=utf-8');
  assert.equal(contentTypeOf('x.png'), 'image/png');
  assert.equal(contentTypeOf('x.woff2'), 'font/woff2');
  assert.equal(contentTypeOf('noext'), 'application/octet-stream');
});

test('siteFiles: folders skipped, hashes change with bytes only', () => {
  const a = siteFiles(zipSync({ 'index.html': strToU8('a'), 'sub/': new Uint8Array(0), 'sub/x.js': strToU8('x') }));
  assert.deepEqual(a.map((f) => f.key), ['index.html', 'sub/x.js']);
  const b = siteFiles(zipSync({ 'index.html': strToU8('b'), 'sub/x.js': strToU8('x') }));
  assert.notEqual(a[0]!.hash, b[0]!.hash);
  assert.equal(a[1]!.hash, b[1]!.hash);
});

test('bucket names follow S3 rules; website URLs follow the region\'s endpoint form', () => {
  const name = websiteBucketName({ app: 'My_App', stage: 'Prod', name: 'Web.Site', instanceId: 'i1' });
  assert.match(name, /^hangar-my-app-prod-web-site-[0-9a-f]{8}$/);
  const long = websiteBucketName({ app: 'a'.repeat(80), stage: 'dev', name: 'site', instanceId: 'i1' });
  assert.ok(long.length <= 63 && /^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(long), long);
  assert.equal(websiteUrl('b', 'us-east-1', undefined), 'http://b.s3-website-us-east-1.amazonaws.com/');
  assert.equal(websiteUrl('b', 'eu-central-1', undefined), 'http://b.s3-website.eu-central-1.amazonaws.com/');
  assert.equal(websiteUrl('b', 'us-east-1', 'http://127.0.0.1:4566'), 'http://b.s3-website.localhost:4566/');
});
