import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import {
  CreateFunctionCommand, InvokeCommand, PublishLayerVersionCommand, UpdateFunctionCodeCommand, waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { AwsError } from '../internal/contract.js';
import { createCodeUnpacker, createFileStore, InspectedUpload } from './code.js';
import { closeFixture, fixture } from './test-support.js';

/** A node_modules-like tree: `n` files of a few KB, every tenth file's content repeated elsewhere. */
function tree(n: number): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < n; i++) {
    const body = `'use strict';\n// module ${i % 10 === 0 ? 'shared' : i}\n${Array.from({ length: 40 }, (_, j) => `exports.f${j} = (a) => a * ${(i * 31 + j) % 97} + ${JSON.stringify(`${i}-${j}`)};`).join('\n')}\n`;
    files[`nodejs/node_modules/pkg${i % 50}/lib/file${i}.js`] = strToU8(body);
  }
  return files;
}

/** Firings of a 1 ms timer while `p` is pending (a timer, not a busy loop: the worker needs the core). */
async function loopTurnsDuring<T>(p: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let pending = true;
  const spin = () => {
    turns++;
    if (pending) setTimeout(spin, 1);
  };
  setTimeout(spin, 1);
  try {
    return { value: await p, turns };
  } finally {
    pending = false;
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('a large zip is unpacked in the worker: the event loop keeps turning, and every file is the zip\'s, byte for byte', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-unzip-'));
  const unpacker = createCodeUnpacker();
  try {
    const files = tree(3000);
    const zip = zipSync(files, { level: 6 });
    assert.ok(zip.length > 64 * 1024, 'over the inline size');
    const store = createFileStore(join(root, '.files'));
    const code = await unpacker.inspect({ base64: Buffer.from(zip).toString('base64') }, 'PublishLayerVersion'); // starts the worker
    assert.equal(code.sha256, createHash('sha256').update(zip).digest('base64'), 'CodeSha256 as AWS computes it');
    assert.equal(code.size, zip.length);
    assert.equal(code.unzippedSize, Object.values(files).reduce((n, f) => n + f.length, 0));

    const { turns } = await loopTurnsDuring(unpacker.write(join(root, 'layer', '1'), code, store));
    assert.ok(turns >= 10, `a 1 ms timer fired ${turns} times while 3,000 files were unpacked`);
    assert.deepEqual(unpacker.stats, { worker: 2, inline: 0 });

    const distinct = new Set(Object.values(files).map(sha)).size;
    assert.deepEqual(store.stats, { written: distinct, linked: 3000 - distinct });
    for (const [name, data] of Object.entries(files)) {
      assert.ok(Buffer.from(data).equals(await readFile(join(root, 'layer', '1', name))), name);
    }
    assert.ok(Buffer.from(zip).equals(await readFile(join(root, 'layer', '1.zip'))), 'the zip is kept as uploaded');
    assert.equal(JSON.parse(await readFile(join(root, 'layer', '1.files'), 'utf8')).length, 3000);

    // The control: the same work on the calling thread lets the timer fire only between awaits.
    const inline = createCodeUnpacker({ inlineBytes: Infinity });
    const again = await inline.inspect({ bytes: zip }, 'PublishLayerVersion');
    const blocked = await loopTurnsDuring(inline.write(join(root, 'layer', '2'), again, store));
    assert.ok(blocked.turns <= 2, `inline: ${blocked.turns} turns`);
    assert.equal(store.stats.written, distinct, 'the second copy only links');
  } finally {
    await unpacker.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('entries escaping the package are refused before anything is written', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-unzip-'));
  const unpacker = createCodeUnpacker({ inlineBytes: 0 }); // through the worker: its errors arrive as AWS's
  try {
    for (const name of ['../evil.js', 'a/../../evil.js', '/tmp/evil.js']) {
      const zip = zipSync({ 'index.js': strToU8('ok'), [name]: strToU8('evil') });
      await assert.rejects(unpacker.inspect({ bytes: zip }, 'CreateFunction'), (e: unknown) => {
        assert.ok(e instanceof AwsError);
        assert.equal(e.code, 'InvalidParameterValueException');
        assert.equal(e.message, `Could not unzip uploaded file: the entry ${JSON.stringify(name)} points outside the package.`);
        return true;
      });
    }
    assert.deepEqual(await readdir(root), []);
    assert.equal(existsSync(join(tmpdir(), 'evil.js')), false);
  } finally {
    await unpacker.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('a zip whose data is damaged is refused when unpacked (and by a dry run), leaving nothing behind', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-unzip-'));
  for (const inlineBytes of [0, Infinity]) {
    const unpacker = createCodeUnpacker({ inlineBytes });
    try {
      const files = tree(20);
      const zip = zipSync(files, { level: 6 });
      // The last entry's deflate stream: overwrite its middle (the directory stays readable).
      const cd = Buffer.from(zip).lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      const damaged = Buffer.from(zip);
      const local = damaged.readUInt32LE(cd + 42);
      damaged.fill(0xff, local + 80, local + 140);
      const store = createFileStore(join(root, '.files'));
      const code = await unpacker.inspect({ bytes: damaged }, 'UpdateFunctionCode');
      const broken = { name: 'InvalidParameterValueException', message: 'Could not unzip uploaded file. Please check your file, then try to upload again.' };
      await assert.rejects(unpacker.verify(code), broken);
      await assert.rejects(unpacker.write(join(root, 'fn', '1'), code, store), broken);
      assert.equal(existsSync(join(root, 'fn', '1')), false, 'the folder is removed');
      assert.equal(existsSync(join(root, 'fn', '1.zip')), false);
      assert.deepEqual(await readdir(join(root, '.files')), [], 'contents stored for it are released');

      // A directory that under-states an entry's size is damaged too.
      const lying = Buffer.from(zip);
      lying.writeUInt32LE(lying.readUInt32LE(cd + 24) - 1, cd + 24);
      await assert.rejects(unpacker.write(join(root, 'fn', '2'), await unpacker.inspect({ bytes: lying }, 'UpdateFunctionCode'), store), broken);
      await assert.rejects(unpacker.inspect({ base64: 'not base64!'.repeat(10_000) }, 'UpdateFunctionCode'), broken);
      // Not base64 either, though each character's low byte is a base64 letter.
      await assert.rejects(unpacker.inspect({ base64: 'ŁŁŁŁ'.repeat(30_000) }, 'UpdateFunctionCode'), broken);
    } finally {
      await unpacker.close();
    }
  }
  await rm(root, { recursive: true, force: true });
});

test('a large request body is parsed in the worker: the rest of the body as JSON.parse gives it, the upload inspected beside it', async () => {
  const unpacker = createCodeUnpacker();
  const badJson = (detail: string) => new AwsError('InvalidRequestContentException', `Could not parse request body into json: ${detail}`);
  try {
    const zip = zipSync({ 'blob.bin': randomBytes(1024 * 1024), 'index.js': strToU8('exports.handler = async () => 1;') }, { level: 1 });
    const body = Buffer.from(JSON.stringify({ Description: 'd', Content: { ZipFile: Buffer.from(zip).toString('base64') }, CompatibleRuntimes: ['nodejs20.x'] }));
    assert.ok(body.length > 1024 * 1024);
    const input = await unpacker.parseCodeBody(body, 'Content', 'PublishLayerVersion', badJson);
    assert.equal(input.Description, 'd');
    assert.deepEqual(input.CompatibleRuntimes, ['nodejs20.x']);
    const upload = (input.Content as Record<string, unknown>).ZipFile;
    assert.ok(upload instanceof InspectedUpload);
    const code = upload.take();
    assert.equal(code.sha256, createHash('sha256').update(zip).digest('base64'));
    assert.ok(Buffer.from(code.zip).equals(Buffer.from(zip)));

    // A broken upload is answered when the code is reached, with AWS's error; broken JSON at once, with the parser's detail.
    const junk = await unpacker.parseCodeBody(Buffer.from(JSON.stringify({ ZipFile: 'not base64!'.repeat(200_000) })), '', 'UpdateFunctionCode', badJson);
    assert.throws(() => (junk.ZipFile as InspectedUpload).take(), { name: 'InvalidParameterValueException', message: /^Could not unzip uploaded file/ });
    let detail = '';
    try {
      JSON.parse(`{"ZipFile": "${'A'.repeat(2_000_000)}`);
    } catch (e) {
      detail = (e as Error).message;
    }
    await assert.rejects(unpacker.parseCodeBody(Buffer.from(`{"ZipFile": "${'A'.repeat(2_000_000)}`), '', 'UpdateFunctionCode', badJson),
      { name: 'InvalidRequestContentException', message: `Could not parse request body into json: ${detail}` });
    // A ZipFile that is not a string is left for the field check to refuse, as before.
    const odd = await unpacker.parseCodeBody(Buffer.from(JSON.stringify({ Code: { ZipFile: 1 }, Pad: 'x'.repeat(2_000_000) })), 'Code', 'CreateFunction', badJson);
    assert.deepEqual(odd.Code, { ZipFile: 1 });
  } finally {
    await unpacker.close();
  }
});

test('through the API: a layer and function code over 1 MB inline are published, created and updated from bodies parsed in the worker', async () => {
  const fx = await fixture();
  try {
    const big = (v: string) => zipSync({ 'index.js': strToU8(`exports.handler = async () => '${v}';`), 'pad.bin': randomBytes(1024 * 1024) }, { level: 1 });
    const layerZip = zipSync({ 'nodejs/node_modules/dep/index.js': strToU8('module.exports = "dep";'), 'nodejs/pad.bin': randomBytes(1024 * 1024) }, { level: 1 });
    const layer = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'big', Content: { ZipFile: layerZip } }));
    assert.equal(layer.Content?.CodeSha256, createHash('sha256').update(layerZip).digest('base64'));
    const v1 = big('v1');
    const fn = await fx.c.lambda.send(new CreateFunctionCommand({
      FunctionName: 'big', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: v1 }, Layers: [layer.LayerVersionArn as string],
    }));
    assert.equal(fn.CodeSha256, createHash('sha256').update(v1).digest('base64'));
    await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'big' });
    const v2 = big('v2');
    const updated = await fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'big', ZipFile: v2 }));
    assert.equal(updated.CodeSha256, createHash('sha256').update(v2).digest('base64'));
    await waitUntilFunctionUpdatedV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'big' });
    const out = await fx.c.lambda.send(new InvokeCommand({ FunctionName: 'big' }));
    assert.equal(new TextDecoder().decode(out.Payload), '"v2"');
    await assert.rejects(fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'big', ZipFile: v2, S3Bucket: 'b', S3Key: 'k' })), {
      name: 'InvalidParameterValueException', message: 'Please provide either the ZipFile or the S3Bucket and S3Key for the function code, not both.',
    });
  } finally {
    await closeFixture(fx);
  }
});
