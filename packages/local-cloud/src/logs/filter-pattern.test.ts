import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFilter, parseFilterPattern, type FilterPattern } from './filter-pattern.js';

const parse = (p: string): FilterPattern => {
  const f = parseFilterPattern(p);
  assert.ok(!('error' in f));
  return f as FilterPattern;
};

test('plain terms must all occur, case-sensitively', () => {
  const f = parse('ERROR timeout');
  assert.equal(matchesFilter(f, 'ERROR: a timeout happened'), true);
  assert.equal(matchesFilter(f, 'ERROR only'), false);
  assert.equal(matchesFilter(f, 'error timeout'), false);
});

test('quoted phrases, alternatives and exclusions', () => {
  const f = parse('"Task timed out" -healthcheck');
  assert.equal(matchesFilter(f, 'x Task timed out after 1.00 seconds'), true);
  assert.equal(matchesFilter(f, 'Task timed out healthcheck'), false);
  assert.equal(matchesFilter(f, 'Task out timed'), false);
  const g = parse('?START ?END');
  assert.equal(matchesFilter(g, 'END RequestId: 1'), true);
  assert.equal(matchesFilter(g, 'REPORT RequestId: 1'), false);
});

test('an empty pattern matches everything; JSON patterns are refused', () => {
  assert.equal(matchesFilter(parse(''), 'anything'), true);
  assert.ok('error' in parseFilterPattern('{ $.level = "x" }'));
});
