import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFilter, parseFilterPattern, type FilterPattern } from './filter-pattern.js';

const parse = (p: string): FilterPattern => {
  const f = parseFilterPattern(p);
  assert.ok(!('error' in f), `${p}: ${'error' in f ? f.error : ''}`);
  return f as FilterPattern;
};
const refused = (p: string): string => {
  const f = parseFilterPattern(p);
  assert.ok('error' in f, `${p} should be refused`);
  return (f as { error: string }).error;
};

test('plain terms must all occur, case-sensitively', () => {
  const f = parse('ERROR timeout');
  assert.equal(matchesFilter(f, 'ERROR: a timeout happened'), true);
  assert.equal(matchesFilter(f, 'ERROR only'), false);
  assert.equal(matchesFilter(f, 'error timeout'), false);
});

test('quoted phrases, alternatives, exclusions and regex terms', () => {
  const f = parse('"Task timed out" -healthcheck');
  assert.equal(matchesFilter(f, 'x Task timed out after 1.00 seconds'), true);
  assert.equal(matchesFilter(f, 'Task timed out healthcheck'), false);
  assert.equal(matchesFilter(f, 'Task out timed'), false);
  const g = parse('?START ?END');
  assert.equal(matchesFilter(g, 'END RequestId: 1'), true);
  assert.equal(matchesFilter(g, 'REPORT RequestId: 1'), false);
  const q = parse('"say \\"hi\\""');
  assert.equal(matchesFilter(q, 'they say "hi" here'), true);
  const r = parse('%[Ee]rror:.bo+m%');
  assert.equal(matchesFilter(r, 'Error: booom'), true);
  assert.equal(matchesFilter(r, 'Error: bm'), false);
  assert.equal(matchesFilter(parse('-DEBUG'), 'INFO x'), true);
  assert.equal(matchesFilter(parse('-DEBUG'), 'DEBUG x'), false);
});

test('an empty pattern matches everything; malformed unstructured patterns are refused as CloudWatch refuses them', () => {
  assert.equal(matchesFilter(parse(''), 'anything'), true);
  assert.equal(refused('""'), 'Invalid filter pattern: Invalid character(s) in term \'""\'');
  assert.equal(refused('a=b'), 'Invalid filter pattern: Invalid character(s) in term \'a=b\'');
  assert.equal(refused('"unterminated'), 'Invalid filter pattern');
  assert.equal(refused('%(group)%'), 'Invalid filter pattern: Invalid character(s) in term \'%(group)%\'');
});

test('JSON patterns: comparisons, wildcards, IS/NOT EXISTS, && || and parentheses', () => {
  const msg = JSON.stringify({ level: 'ERROR', latency: 120, user: { id: 'u-42', admin: false }, tags: ['a', 'b'], gone: null, code: '200' });
  const m = (p: string) => matchesFilter(parse(p), msg);
  assert.equal(m('{ $.level = "ERROR" }'), true);
  assert.equal(m('{ $.level = "WARN" }'), false);
  assert.equal(m('{ $.level = ERR* }'), true);
  assert.equal(m('{ $.level != "WARN" }'), true);
  assert.equal(m('{ $.missing != "WARN" }'), false);
  assert.equal(m('{ $.latency > 100 }'), true);
  assert.equal(m('{ $.latency >= 121 }'), false);
  assert.equal(m('{ $.latency = 120 }'), true);
  assert.equal(m('{ $.code = 200 }'), true);
  assert.equal(m('{ $.user.id = "u-*" }'), true);
  assert.equal(m('{ $.user.admin IS FALSE }'), true);
  assert.equal(m('{ $.user.admin IS TRUE }'), false);
  assert.equal(m('{ $.gone IS NULL }'), true);
  assert.equal(m('{ $.nothing NOT EXISTS }'), true);
  assert.equal(m('{ $.level NOT EXISTS }'), false);
  assert.equal(m('{ $.tags[1] = "b" }'), true);
  assert.equal(m('{ $.level = %^E.+R$% }'), true);
  assert.equal(m('{ $.level = "WARN" || ($.latency > 100 && $.user.id = "u-42") }'), true);
  assert.equal(m('{ $.level = "WARN" || $.latency < 100 }'), false);
  assert.equal(matchesFilter(parse('{ $.level = "ERROR" }'), '2026-01-01T00:00:00Z\tid\tERROR\tnot json'), false);
});

test('malformed JSON patterns are refused with CloudWatch\'s messages', () => {
  assert.equal(refused('{ $.level = "ERROR"'), "If a filter pattern starts with '{' it must end with '}'");
  for (const p of ['{ }', '{ level = "x" }', '{ $.level = }', '{ $.a = 1 && }', '{ ($.a = 1 }', '{ $.a > "x" }', '{ $.a IS MAYBE }']) {
    assert.match(refused(p), /^Invalid filter pattern/, p);
  }
});

test('space-delimited patterns: named fields, conditions, ... for any number of fields', () => {
  const line = '127.0.0.1 frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534';
  const m = (p: string) => matchesFilter(parse(p), line);
  assert.equal(m('[ip, user, timestamp, request, status_code, bytes]'), true);
  assert.equal(m('[ip, user, timestamp, request, status_code]'), false, 'the number of fields must match');
  assert.equal(m('[ip, user, timestamp, request, status_code = 404, bytes]'), true);
  assert.equal(m('[ip, user, timestamp, request, status_code = 4*, bytes > 1000]'), true);
  assert.equal(m('[ip, user, timestamp, request, status_code = 5* || status_code = 4*, bytes < 1000]'), false);
  assert.equal(m('[ip = 127.0.0.*, ..., status_code != 200, bytes >= 1534]'), true);
  assert.equal(m('[..., status_code = 404, bytes]'), true);
  assert.equal(m('[ip, user = "bob", ...]'), false);
  assert.equal(m('[ip, ..., request = "GET *", ...]'), true);
  for (const p of ['[ip, user', '[ip, 1bad]', '[ip, user >]', '[ip, user > "x"]', '[ip, user = 1 &&]']) assert.match(refused(p), /^Invalid filter pattern/, p);
});
