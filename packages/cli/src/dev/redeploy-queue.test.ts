import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedeployQueue, type Timers } from './redeploy-queue.js';

/** Timers that fire only when the test advances the clock. */
function manualClock() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => { const id = next++; due.set(id, { at: now + ms, fn }); return id; },
    clearTimeout: (h) => { due.delete(h as number); },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= now && due.has(id)) { due.delete(id); t.fn(); }
    }
  };
  return { timers, advance, pendingTimers: () => due.size };
}

/** A deploy the test finishes by hand. */
function controlledRuns() {
  const calls: (readonly string[])[] = [];
  const finishers: ((fail?: Error) => void)[] = [];
  const run = (changed: readonly string[]) => {
    calls.push(changed);
    return new Promise<void>((resolve, reject) => { finishers.push((fail) => (fail ? reject(fail) : resolve())); });
  };
  const finish = async (fail?: Error) => {
    const f = finishers.shift();
    assert.ok(f, 'a deploy is running');
    f(fail);
    await new Promise((r) => setImmediate(r)); // let the queue see the end
  };
  return { calls, run, finish };
}

/** A queue with the given debounce on a manual clock, whose deploys the test finishes by hand. */
function queueWith(debounceMs: number) {
  const clock = manualClock();
  const runs = controlledRuns();
  const q = createRedeployQueue({ debounceMs, timers: clock.timers, run: runs.run });
  return { clock, runs, q };
}

test('a burst of events within the debounce makes one deploy with every path once', async () => {
  const { clock, runs, q } = queueWith(150);
  q.changed('src/b.js');
  clock.advance(100);
  q.changed('src/a.js');
  clock.advance(100);
  q.changed('src/b.js');
  clock.advance(149);
  assert.equal(runs.calls.length, 0, 'no deploy while events keep coming');
  clock.advance(1);
  assert.deepEqual(runs.calls, [['src/a.js', 'src/b.js']]);
  assert.equal(q.running, true);
  await runs.finish();
  assert.equal(q.running, false);
  await q.idle();
  assert.equal(runs.calls.length, 1);
});

test('many changes during a deploy queue exactly one more deploy, with all their paths', async () => {
  const { clock, runs, q } = queueWith(100);
  q.changed('a');
  clock.advance(100);
  assert.equal(runs.calls.length, 1);
  for (const [i, p] of ['b', 'c', 'd', 'e', 'f'].entries()) {
    q.changed(p);
    clock.advance(i % 2 === 0 ? 150 : 20); // some bursts end during the deploy, some do not yet
  }
  clock.advance(500);
  assert.equal(runs.calls.length, 1, 'nothing starts while a deploy runs');
  await runs.finish();
  assert.deepEqual(runs.calls, [['a'], ['b', 'c', 'd', 'e', 'f']], 'one more deploy, not one per event');
  await runs.finish();
  await q.idle();
  assert.equal(runs.calls.length, 2);
});

test('a debounce still waiting when a deploy ends starts its deploy after the quiet period, not at once', async () => {
  const { clock, runs, q } = queueWith(100);
  q.deployNow();
  assert.deepEqual(runs.calls, [[]]);
  q.changed('x');
  clock.advance(50);
  await runs.finish();
  assert.equal(runs.calls.length, 1, 'the burst is not over yet');
  clock.advance(50);
  assert.deepEqual(runs.calls, [[], ['x']]);
  await runs.finish();
});

test('a failed deploy does not stop the queue', async () => {
  const { clock, runs, q } = queueWith(10);
  q.changed('a');
  clock.advance(10);
  q.changed('b');
  clock.advance(10);
  await runs.finish(new Error('deploy failed'));
  assert.deepEqual(runs.calls, [['a'], ['b']]);
  await runs.finish();
  q.changed('c');
  clock.advance(10);
  assert.deepEqual(runs.calls.at(-1), ['c']);
  await runs.finish();
  await q.idle();
});

test('close drops pending work, ignores later events and waits for the running deploy', async () => {
  const { clock, runs, q } = queueWith(10);
  q.changed('a');
  clock.advance(10);
  q.changed('b');
  clock.advance(10); // queued behind the running deploy
  q.changed('c'); // debouncing
  let closed = false;
  const closing = q.close().then(() => { closed = true; });
  assert.equal(clock.pendingTimers(), 0, 'the debounce timer is cleared');
  q.changed('d');
  clock.advance(100);
  await new Promise((r) => setImmediate(r));
  assert.equal(closed, false, 'close waits for the running deploy');
  await runs.finish();
  await closing;
  assert.deepEqual(runs.calls, [['a']], 'nothing ran after close');
});
