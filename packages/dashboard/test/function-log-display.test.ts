// How the instance page shows a function's log line: Lambda's Node runtime prefix and its
// `Invoke Error` JSON become a level and a readable stack; anything else is shown as it came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayOf } from '../src/components/function-ops.js';

test('a console line loses the runtime prefix (time, request id, level) and keeps its level as the label', () => {
  assert.deepEqual(
    displayOf({ kind: 'log', errorType: null, message: '2026-12-01T17:39:46.641Z\t3b6431d4-81f3-4178-9189-f8710b1a9386\tWARN\tdisk almost full\n' }),
    { label: 'warn', text: 'disk almost full' },
  );
});

test('an uncaught error shows its stack from the Invoke Error JSON, labelled with its type', () => {
  const message = '2026-12-01T17:39:47.084Z\t6e5731c9-a274-4286-9f59-adc5aee03e1e\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"boom","trace":["TypeError: boom","    at handler (file:///var/task/index.mjs:3:37)"]}\n';
  assert.deepEqual(displayOf({ kind: 'error', errorType: 'TypeError', message }), { label: 'TypeError', text: 'TypeError: boom\n    at handler (file:///var/task/index.mjs:3:37)' });
  assert.deepEqual(displayOf({ kind: 'error', errorType: null, message: 'Invoke Error \t{"errorType":"Error","errorMessage":"no trace"}' }), { label: 'error', text: 'Error: no trace' });
});

test('platform lines and unrecognised output are shown unchanged', () => {
  assert.deepEqual(displayOf({ kind: 'report', errorType: null, message: 'REPORT RequestId: x\tDuration: 2.68 ms\n' }), { label: 'report', text: 'REPORT RequestId: x\tDuration: 2.68 ms' });
  assert.deepEqual(displayOf({ kind: 'error', errorType: 'Runtime.ImportModuleError', message: 'Invoke Error \t{not json}' }), { label: 'Runtime.ImportModuleError', text: 'Invoke Error \t{not json}' });
  assert.deepEqual(displayOf({ kind: 'log', errorType: null, message: 'plain text from a custom runtime' }), { label: 'log', text: 'plain text from a custom runtime' });
});
