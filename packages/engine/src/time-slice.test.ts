import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeSlice } from './time-slice.js';

test('due once the budget has run out; next gives the loop a turn and starts a new slice', async () => {
  let clock = 0;
  const slice = timeSlice(5, () => clock);
  assert.equal(slice.due(), false);
  clock = 4.9;
  assert.equal(slice.due(), false);
  clock = 5;
  assert.equal(slice.due(), true);
  let turned = false;
  setImmediate(() => { turned = true; });
  await slice.next();
  assert.equal(turned, true, 'an immediate queued before next() ran first');
  assert.equal(slice.due(), false, 'a new slice starts at the clock as it was after the turn');
  clock = 10;
  assert.equal(slice.due(), true);
});
