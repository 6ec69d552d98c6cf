/** Assertions the project-file tests share. */
import assert from 'node:assert/strict';
import { HangarError } from '../errors.js';

/** `fn` throws a HangarError with this code and a message matching `pattern`. */
export function fails(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HangarError, `expected a HangarError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}
