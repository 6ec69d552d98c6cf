import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markStoreError, storeProblem, storeUnavailable } from './errors.js';

const err = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('store failures are classified by code: SQLite, PostgreSQL and the file system', () => {
  assert.equal(storeProblem(err('SQLITE_BUSY', 'database is locked')), 'locked');
  assert.equal(storeProblem(err('SQLITE_BUSY_SNAPSHOT')), 'locked');
  assert.equal(storeProblem(err('SQLITE_FULL', 'database or disk is full')), 'full');
  assert.equal(storeProblem(err('SQLITE_IOERR_WRITE')), 'io');
  assert.equal(storeProblem(err('ENOSPC')), 'full');
  assert.equal(storeProblem(err('53100', 'could not extend file')), 'full');
  assert.equal(storeProblem(err('57P01', 'terminating connection due to administrator command')), 'unreachable');
  assert.equal(storeProblem(err('08006')), 'unreachable');
  assert.equal(storeProblem(err('53300', 'too many clients')), 'unreachable');
  assert.equal(storeProblem(new Error('wrapped', { cause: err('SQLITE_BUSY') })), 'locked');
  // not the store's business
  assert.equal(storeProblem(err('23505')), undefined);
  assert.equal(storeProblem(new Error('boom')), undefined);
  assert.equal(storeProblem(undefined), undefined);
});

test("a network error counts as the database's only when the store raised it (never a component's AWS call)", () => {
  const fromComponent = err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4566');
  assert.equal(storeUnavailable(fromComponent), undefined);
  const fromPool = err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');
  markStoreError(fromPool);
  const mapped = storeUnavailable(fromPool)!;
  assert.equal(mapped.code, 'ENGINE_STORE_UNAVAILABLE');
  assert.equal(mapped.retryable, true);
  assert.equal(mapped.status, 503);
  assert.match(mapped.message, /ECONNREFUSED.*PostgreSQL database cannot be reached.*HANGAR_DATABASE_URL/);
  const lost = new Error('Connection terminated unexpectedly');
  markStoreError(lost);
  assert.equal(storeProblem(lost), 'unreachable');
});
