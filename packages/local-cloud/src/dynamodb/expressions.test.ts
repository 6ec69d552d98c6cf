/**
 * A table of expression cases (condition, update, filter, key condition) through the unmodified
 * SDK, each with the result AWS's developer guide documents for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { LocalCloud } from '../index.js';
import type { Creds } from '../test-support.js';
import { createActiveTable, ddb, simpleTable, startDynamoCloud } from './test-support.js';

type Values = Record<string, AttributeValue>;
type Names = Record<string, string>;

const BASE: Record<string, AttributeValue> = {
  pk: { S: 'base' }, sk: { S: '0' },
  s: { S: 'hello world' }, n: { N: '10' }, big: { N: '12345678901234567890123456789012345678' }, b: { B: Buffer.from('abc') },
  flag: { BOOL: true }, nothing: { NULL: true }, ss: { SS: ['a', 'b'] }, ns: { NS: ['1', '2'] },
  l: { L: [{ N: '1' }, { S: 'x' }, { M: { k: { S: 'v' } } }] }, m: { M: { a: { N: '1' }, nested: { M: { deep: { S: 'x' } } } } },
  state: { S: 'active' }, frac: { N: '0.1' },
};

/** condition cases: [expression, values, names, expected (true = passes, false = ConditionalCheckFailed, RegExp = ValidationException message)] */
const CONDITIONS: [string, Values, Names, boolean | RegExp][] = [
  ['attribute_exists(s)', {}, {}, true],
  ['attribute_exists(absent)', {}, {}, false],
  ['attribute_not_exists(absent)', {}, {}, true],
  ['attribute_not_exists(s)', {}, {}, false],
  ['attribute_exists(m.nested.deep)', {}, {}, true],
  ['attribute_exists(l[2].k)', {}, {}, true],
  ['attribute_exists(l[5])', {}, {}, false],
  ['attribute_type(s, :t)', { ':t': { S: 'S' } }, {}, true],
  ['attribute_type(n, :t)', { ':t': { S: 'S' } }, {}, false],
  ['attribute_type(ss, :t)', { ':t': { S: 'SS' } }, {}, true],
  ['attribute_type(nothing, :t)', { ':t': { S: 'NULL' } }, {}, true],
  ['attribute_type(s, :t)', { ':t': { S: 'STRING' } }, {}, /Invalid attribute type name found; type: STRING, valid types: \{B,NULL,SS,BOOL,L,BS,N,NS,S,M\}/],
  ['begins_with(s, :p)', { ':p': { S: 'hello' } }, {}, true],
  ['begins_with(s, :p)', { ':p': { S: 'world' } }, {}, false],
  ['begins_with(b, :p)', { ':p': { B: Buffer.from('ab') } }, {}, true],
  ['begins_with(s, :p)', { ':p': { N: '1' } }, {}, /Incorrect operand type for operator or function; operator or function: begins_with, operand type: N/],
  ['contains(s, :p)', { ':p': { S: 'lo wo' } }, {}, true],
  ['contains(ss, :p)', { ':p': { S: 'b' } }, {}, true],
  ['contains(ss, :p)', { ':p': { S: 'c' } }, {}, false],
  ['contains(ns, :p)', { ':p': { N: '2.0' } }, {}, true],
  ['contains(l, :p)', { ':p': { S: 'x' } }, {}, true],
  ['size(s) = :n', { ':n': { N: '11' } }, {}, true],
  ['size(ss) = :n', { ':n': { N: '2' } }, {}, true],
  ['size(l) > :n', { ':n': { N: '2' } }, {}, true],
  ['size(m) = :n', { ':n': { N: '2' } }, {}, true],
  ['size(absent) = :n', { ':n': { N: '0' } }, {}, false],
  ['n = :v', { ':v': { N: '10.000' } }, {}, true],
  ['n <> :v', { ':v': { N: '11' } }, {}, true],
  ['n <> :v', { ':v': { S: '10' } }, {}, true],
  ['n = :v', { ':v': { S: '10' } }, {}, false],
  ['n < :v', { ':v': { N: '9.99' } }, {}, false],
  ['n <= :v', { ':v': { N: '10' } }, {}, true],
  ['n > :v', { ':v': { N: '-1E+2' } }, {}, true],
  ['n >= :v', { ':v': { N: '1e1' } }, {}, true],
  ['big > :v', { ':v': { N: '12345678901234567890123456789012345677' } }, {}, true],
  ['big = :v', { ':v': { N: '12345678901234567890123456789012345679' } }, {}, false],
  ['frac = :v', { ':v': { N: '0.10' } }, {}, true],
  ['s < :v', { ':v': { S: 'hello worle' } }, {}, true],
  ['s > :v', { ':v': { N: '1' } }, {}, false],
  ['n BETWEEN :lo AND :hi', { ':lo': { N: '5' }, ':hi': { N: '10' } }, {}, true],
  ['n BETWEEN :lo AND :hi', { ':lo': { N: '11' }, ':hi': { N: '20' } }, {}, false],
  ['n BETWEEN :lo AND :hi', { ':lo': { N: '20' }, ':hi': { N: '5' } }, {}, /The BETWEEN operator requires upper bound to be greater than or equal to lower bound/],
  ['#s IN (:a, :b)', { ':a': { S: 'gone' }, ':b': { S: 'active' } }, { '#s': 'state' }, true],
  ['#s IN (:a)', { ':a': { S: 'gone' } }, { '#s': 'state' }, false],
  ['n = :a AND s = :b', { ':a': { N: '10' }, ':b': { S: 'hello world' } }, {}, true],
  ['n = :a AND s = :b', { ':a': { N: '10' }, ':b': { S: 'nope' } }, {}, false],
  ['n = :a OR s = :b', { ':a': { N: '1' }, ':b': { S: 'hello world' } }, {}, true],
  ['NOT n = :a', { ':a': { N: '1' } }, {}, true],
  ['NOT (n = :a OR attribute_exists(s))', { ':a': { N: '1' } }, {}, false],
  ['n = :a OR n = :b AND s = :c', { ':a': { N: '10' }, ':b': { N: '0' }, ':c': { S: '?' } }, {}, true],
  ['(n = :a OR n = :b) AND s = :c', { ':a': { N: '10' }, ':b': { N: '0' }, ':c': { S: '?' } }, {}, false],
  ['flag = :t', { ':t': { BOOL: true } }, {}, true],
  ['ss = :set', { ':set': { SS: ['b', 'a'] } }, {}, true],
  ['m.a = :one', { ':one': { N: '1' } }, {}, true],
  ['#st = :v', { ':v': { S: 'active' } }, { '#st': 'state' }, true],
  ['status = :v', { ':v': { S: 'x' } }, {}, /^Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status$/],
  ['n = :undefined', {}, {}, /^Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :undefined$/],
  ['#x = :v', { ':v': { N: '1' } }, {}, /^Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x$/],
  ['n = :v', { ':v': { N: '1' }, ':extra': { N: '2' } }, {}, /^Value provided in ExpressionAttributeValues unused in expressions: keys: \{:extra\}$/],
  ['n = :v', { ':v': { N: '10' } }, { '#unused': 'x' }, /^Value provided in ExpressionAttributeNames unused in expressions: keys: \{#unused\}$/],
  ['n = = :v', { ':v': { N: '10' } }, {}, /^Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"$/],
  ['first-name = :v', { ':v': { N: '10' } }, {}, /^Invalid ConditionExpression: Syntax error; token: "-", near: "first-name"$/],
  ['size(n) = :v', { ':v': { N: '1' } }, {}, /Incorrect operand type for operator or function; operator or function: size, operand type: N/],
];

/** update cases: [expression, values, names, attribute to read, expected value (or RegExp for ValidationException, or undefined when removed)] */
const UPDATES: [string, Values, Names, string, AttributeValue | RegExp | undefined][] = [
  ['SET n = n + :d', { ':d': { N: '5' } }, {}, 'n', { N: '15' }],
  ['SET n = n - :d', { ':d': { N: '10.5' } }, {}, 'n', { N: '-0.5' }],
  ['SET big = big + :d', { ':d': { N: '1' } }, {}, 'big', { N: '12345678901234567890123456789012345679' }],
  ['SET frac = frac + :d', { ':d': { N: '0.2' } }, {}, 'frac', { N: '0.3' }],
  ['SET newn = if_not_exists(newn, :z) + :one', { ':z': { N: '0' }, ':one': { N: '1' } }, {}, 'newn', { N: '1' }],
  ['SET n = if_not_exists(n, :z)', { ':z': { N: '0' } }, {}, 'n', { N: '10' }],
  ['SET l = list_append(l, :more)', { ':more': { L: [{ S: 'y' }] } }, {}, 'l', { L: [{ N: '1' }, { S: 'x' }, { M: { k: { S: 'v' } } }, { S: 'y' }] }],
  ['SET l = list_append(:front, l)', { ':front': { L: [{ S: 'first' }] } }, {}, 'l', { L: [{ S: 'first' }, { N: '1' }, { S: 'x' }, { M: { k: { S: 'v' } } }] }],
  ['SET m.nested.deep = :v', { ':v': { S: 'changed' } }, {}, 'm', { M: { a: { N: '1' }, nested: { M: { deep: { S: 'changed' } } } } }],
  ['SET l[1] = :v', { ':v': { S: 'X' } }, {}, 'l', { L: [{ N: '1' }, { S: 'X' }, { M: { k: { S: 'v' } } }] }],
  ['SET l[10] = :v', { ':v': { S: 'end' } }, {}, 'l', { L: [{ N: '1' }, { S: 'x' }, { M: { k: { S: 'v' } } }, { S: 'end' }] }],
  ['SET dup = s', {}, {}, 'dup', { S: 'hello world' }],
  ['REMOVE s', {}, {}, 's', undefined],
  ['REMOVE l[0], m.a', {}, {}, 'l', { L: [{ S: 'x' }, { M: { k: { S: 'v' } } }] }],
  ['ADD n :d', { ':d': { N: '-3' } }, {}, 'n', { N: '7' }],
  ['ADD fresh :d', { ':d': { N: '3' } }, {}, 'fresh', { N: '3' }],
  ['ADD ss :more', { ':more': { SS: ['b', 'c'] } }, {}, 'ss', { SS: ['a', 'b', 'c'] }],
  ['DELETE ss :gone', { ':gone': { SS: ['a'] } }, {}, 'ss', { SS: ['b'] }],
  ['DELETE ss :gone', { ':gone': { SS: ['a', 'b'] } }, {}, 'ss', undefined],
  ['SET #st = :v REMOVE nothing ADD ns :one', { ':v': { S: 'done' }, ':one': { NS: ['3'] } }, { '#st': 'state' }, 'ns', { NS: ['1', '2', '3'] }],
  ['SET s = s + :d', { ':d': { N: '1' } }, {}, 's', /An operand in the update expression has an incorrect data type/],
  ['SET x = absent + :d', { ':d': { N: '1' } }, {}, 'x', /The provided expression refers to an attribute that does not exist in the item/],
  ['SET l = list_append(s, :x)', { ':x': { L: [] } }, {}, 'l', /operator or function: list_append, operand type: S/],
  ['ADD s :d', { ':d': { S: 'x' } }, {}, 's', /^Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND$/],
  ['DELETE ns :one', { ':one': { N: '1' } }, {}, 'ns', /^Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND$/],
  ['DELETE ss :other', { ':other': { NS: ['1'] } }, {}, 'ss', /^An operand in the update expression has an incorrect data type$/],
  ['SET n = :a, n = :b', { ':a': { N: '1' }, ':b': { N: '2' } }, {}, 'n', /Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \[n\], path two: \[n\]/],
  ['SET a = :a SET b = :a', { ':a': { N: '1' } }, {}, 'a', /The "SET" section can only be used once in an update expression;/],
  ['SET pk = :a', { ':a': { S: 'other' } }, {}, 'pk', /Cannot update attribute pk. This attribute is part of the key/],
  ['SET absent.child = :a', { ':a': { S: 'x' } }, {}, 'absent', /The document path provided in the update expression is invalid for update/],
  ['SET name = :a', { ':a': { S: 'x' } }, {}, 'name', /^Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name$/],
  ['SET n = :a', { ':a': { N: '123456789012345678901234567890123456789' } }, {}, 'n', /38 significant digits/],
];

/** filter cases over the items pk=f, sk=1..6 with n = sk: [expression, values, expected count] */
const FILTERS: [string, Values, number][] = [
  ['n > :v', { ':v': { N: '3' } }, 3],
  ['n BETWEEN :a AND :b', { ':a': { N: '2' }, ':b': { N: '4' } }, 3],
  ['attribute_exists(even)', {}, 3],
  ['NOT attribute_exists(even) AND n <> :one', { ':one': { N: '1' } }, 2],
  ['n IN (:a, :b, :c)', { ':a': { N: '1' }, ':b': { N: '6' }, ':c': { N: '9' } }, 2],
  ['contains(tags, :t)', { ':t': { S: 'odd' } }, 3],
];

/** key-condition cases over pk=f, sk=1..6: [expression, values, expected sort keys, forward] */
const KEYS: [string, Values, string[] | RegExp, boolean][] = [
  ['pk = :p', { ':p': { S: 'f' } }, ['1', '2', '3', '4', '5', '6'], true],
  ['pk = :p', { ':p': { S: 'f' } }, ['6', '5', '4', '3', '2', '1'], false],
  ['pk = :p AND sk = :s', { ':p': { S: 'f' }, ':s': { S: '3' } }, ['3'], true],
  ['pk = :p AND sk < :s', { ':p': { S: 'f' }, ':s': { S: '3' } }, ['1', '2'], true],
  ['pk = :p AND sk <= :s', { ':p': { S: 'f' }, ':s': { S: '3' } }, ['1', '2', '3'], true],
  ['pk = :p AND sk > :s', { ':p': { S: 'f' }, ':s': { S: '4' } }, ['5', '6'], true],
  ['pk = :p AND sk >= :s', { ':p': { S: 'f' }, ':s': { S: '5' } }, ['5', '6'], true],
  ['pk = :p AND sk BETWEEN :a AND :b', { ':p': { S: 'f' }, ':a': { S: '2' }, ':b': { S: '4' } }, ['2', '3', '4'], true],
  ['pk = :p AND begins_with(sk, :b)', { ':p': { S: 'f' }, ':b': { S: '5' } }, ['5'], true],
  ['sk = :s AND pk = :p', { ':p': { S: 'f' }, ':s': { S: '1' } }, ['1'], true],
  ['pk = :p', { ':p': { S: 'none' } }, [], true],
  ['sk = :s', { ':s': { S: '1' } }, /^Query condition missed key schema element: pk$/, true],
  ['pk = :p OR sk = :s', { ':p': { S: 'f' }, ':s': { S: '1' } }, /Invalid operator used in KeyConditionExpression: OR/, true],
  ['pk = :p AND sk <> :s', { ':p': { S: 'f' }, ':s': { S: '1' } }, /Unsupported operator on KeyConditionExpression: operator: <>/, true],
  ['pk > :p', { ':p': { S: 'f' } }, /Query key condition not supported/, true],
  ['pk = :p AND n = :s', { ':p': { S: 'f' }, ':s': { N: '1' } }, /Query condition missed key schema element/, true],
  ['pk = :p AND sk > :s', { ':p': { S: 'f' }, ':s': { N: '1' } }, /^One or more parameter values were invalid: Condition parameter type does not match schema type$/, true],
  ['pk = :p', { ':p': { N: '1' } }, /^One or more parameter values were invalid: Condition parameter type does not match schema type$/, true],
];

describe('DynamoDB expressions (table of cases)', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let c: DynamoDBClient;
  before(async () => {
    ({ cloud, root } = await startDynamoCloud());
    c = ddb(cloud.endpoint, root);
    await createActiveTable(c, simpleTable('expr'));
    for (let i = 1; i <= 6; i += 1) {
      await c.send(new PutItemCommand({
        TableName: 'expr',
        Item: { pk: { S: 'f' }, sk: { S: String(i) }, n: { N: String(i) }, tags: { SS: [i % 2 === 0 ? 'even' : 'odd'] }, ...(i % 2 === 0 ? { even: { BOOL: true } } : {}) },
      }));
    }
  });
  after(async () => {
    c.destroy();
    await cloud.stop();
  });

  it('has at least 60 cases', () => {
    assert.ok(CONDITIONS.length + UPDATES.length + FILTERS.length + KEYS.length >= 60);
  });

  for (const [i, [expr, values, names, expected]] of CONDITIONS.entries()) {
    it(`condition ${String(i)}: ${expr} → ${String(expected)}`, async () => {
      const sk = `c${String(i)}`;
      const item = { ...BASE, sk: { S: sk } };
      await c.send(new PutItemCommand({ TableName: 'expr', Item: item }));
      const run = c.send(new PutItemCommand({
        TableName: 'expr', Item: item, ConditionExpression: expr,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      }));
      if (expected === true) await run;
      else if (expected === false) await assert.rejects(run, { name: 'ConditionalCheckFailedException', message: 'The conditional request failed' });
      else await assert.rejects(run, (e: Error) => { assert.equal(e.name, 'ValidationException'); assert.match(e.message, expected); return true; });
    });
  }

  for (const [i, [expr, values, names, attr, expected]] of UPDATES.entries()) {
    it(`update ${String(i)}: ${expr} → ${attr}`, async () => {
      const sk = `u${String(i)}`;
      await c.send(new PutItemCommand({ TableName: 'expr', Item: { ...BASE, sk: { S: sk } } }));
      const run = c.send(new UpdateItemCommand({
        TableName: 'expr', Key: { pk: { S: 'base' }, sk: { S: sk } }, UpdateExpression: expr, ReturnValues: 'ALL_NEW',
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      }));
      if (expected instanceof RegExp) {
        await assert.rejects(run, (e: Error) => { assert.equal(e.name, 'ValidationException'); assert.match(e.message, expected); return true; });
        return;
      }
      const out = await run;
      const got = out.Attributes?.[attr];
      if (expected && 'SS' in expected && got && 'SS' in got) assert.deepEqual([...(got.SS ?? [])].sort(), [...(expected.SS ?? [])].sort());
      else if (expected && 'NS' in expected && got && 'NS' in got) assert.deepEqual([...(got.NS ?? [])].sort(), [...(expected.NS ?? [])].sort());
      else assert.deepEqual(got, expected);
    });
  }

  for (const [i, [expr, values, count]] of FILTERS.entries()) {
    it(`filter ${String(i)}: ${expr} → ${String(count)}`, async () => {
      const out = await c.send(new QueryCommand({
        TableName: 'expr', KeyConditionExpression: 'pk = :pk', FilterExpression: expr,
        ExpressionAttributeValues: { ':pk': { S: 'f' }, ...values },
      }));
      assert.equal(out.Count, count);
      assert.equal(out.ScannedCount, 6);
      const scan = await c.send(new ScanCommand({
        TableName: 'expr', FilterExpression: `pk = :pk AND (${expr})`, ExpressionAttributeValues: { ':pk': { S: 'f' }, ...values },
      }));
      assert.equal(scan.Count, count);
    });
  }

  for (const [i, [expr, values, expected, forward]] of KEYS.entries()) {
    it(`key condition ${String(i)}: ${expr}${forward ? '' : ' (backward)'}`, async () => {
      const run = c.send(new QueryCommand({ TableName: 'expr', KeyConditionExpression: expr, ExpressionAttributeValues: values, ScanIndexForward: forward }));
      if (expected instanceof RegExp) {
        await assert.rejects(run, (e: Error) => { assert.equal(e.name, 'ValidationException'); assert.match(e.message, expected); return true; });
        return;
      }
      const out = await run;
      assert.deepEqual(out.Items?.map((x) => x.sk?.S), expected);
    });
  }
});
