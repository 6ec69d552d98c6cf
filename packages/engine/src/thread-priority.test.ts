import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

test('a worker thread lowers its own priority, not the process\'s', { skip: process.platform !== 'linux' && 'thread priorities are per thread on Linux only' }, async () => {
  const module = new URL(`./thread-priority.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
  const load = import.meta.url.endsWith('.ts') ? `await (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();` : '';
  const code = `
    const { parentPort } = await import('node:worker_threads');
    const { readlinkSync } = await import('node:fs');
    const { getPriority } = await import('node:os');
    ${load}
    const { lowerThisThreadPriority } = await import(${JSON.stringify(module)});
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const lowered = lowerThisThreadPriority(7);
    parentPort.postMessage({ lowered, thread: getPriority(tid), process: getPriority(process.pid) });`;
  const w = new Worker(`import(${JSON.stringify(`data:text/javascript,${encodeURIComponent(`(async () => {${code}})()`)}`)})`, { eval: true });
  const got = await new Promise<{ lowered: boolean; thread: number; process: number }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await w.terminate();
  const before = getPriority(process.pid);
  assert.deepEqual(got, { lowered: true, thread: Math.max(before, 7), process: before });
  assert.equal(getPriority(process.pid), before);
});
