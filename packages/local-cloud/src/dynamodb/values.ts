/**
 * DynamoDB attribute values: validation as DynamoDB does it, numbers as exact decimals (kept as
 * strings, 38 significant digits, compared and added with BigInt, never JS floats), ordering,
 * equality and item size.
 */
import { AwsError } from '../internal/contract.js';

export type AttributeValue =
  | { S: string } | { N: string } | { B: string } | { BOOL: boolean } | { NULL: true }
  | { SS: string[] } | { NS: string[] } | { BS: string[] }
  | { L: AttributeValue[] } | { M: Item };
export type Item = Record<string, AttributeValue>;
export type TypeName = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'BS' | 'L' | 'M';

export const TYPES: readonly TypeName[] = ['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M'];

export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

/** A decimal: value = c × 10^e, c without trailing zeros (zero is c = 0, e = 0). */
export interface Decimal { c: bigint; e: number }

const NUM = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

export function parseDecimal(text: string): Decimal | undefined {
  const m = NUM.exec(text);
  if (!m) return undefined;
  const [, sign, int = '', frac = '', exp] = m;
  if (int === '' && frac === '') return undefined;
  let c = BigInt((int + frac) || '0');
  let e = (exp ? Number(exp) : 0) - frac.length;
  if (c === 0n) return { c: 0n, e: 0 };
  while (c % 10n === 0n) { c /= 10n; e += 1; }
  return { c: sign === '-' ? -c : c, e };
}

function digits(c: bigint): number {
  return (c < 0n ? -c : c).toString().length;
}

/** Checks DynamoDB's number rules; returns the decimal. */
export function checkDecimal(d: Decimal): Decimal {
  if (d.c === 0n) return d;
  if (digits(d.c) > 38) throw validation('Attempting to store more than 38 significant digits in a Number');
  const adjusted = digits(d.c) - 1 + d.e;
  if (adjusted > 125) throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (adjusted < -130) throw validation('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  return d;
}

export function numberValue(text: string): Decimal {
  const d = parseDecimal(text);
  if (!d) throw validation(`The parameter cannot be converted to a numeric value: ${text}`);
  return checkDecimal(d);
}

export function formatDecimal(d: Decimal): string {
  if (d.c === 0n) return '0';
  const neg = d.c < 0n;
  const s = (neg ? -d.c : d.c).toString();
  let out: string;
  if (d.e >= 0) out = s + '0'.repeat(d.e);
  else if (-d.e >= s.length) out = `0.${'0'.repeat(-d.e - s.length)}${s}`;
  else out = `${s.slice(0, s.length + d.e)}.${s.slice(s.length + d.e)}`;
  return neg ? `-${out}` : out;
}

export function normalizeNumber(text: string): string {
  return formatDecimal(numberValue(text));
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const e = Math.min(a.e, b.e);
  const x = a.c * 10n ** BigInt(a.e - e);
  const y = b.c * 10n ** BigInt(b.e - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addDecimal(a: Decimal, b: Decimal, negateB = false): Decimal {
  const e = Math.min(a.e, b.e);
  const x = a.c * 10n ** BigInt(a.e - e);
  const y = b.c * 10n ** BigInt(b.e - e);
  let c = negateB ? x - y : x + y;
  let ee = e;
  if (c === 0n) return { c: 0n, e: 0 };
  while (c % 10n === 0n) { c /= 10n; ee += 1; }
  return checkDecimal({ c, e: ee });
}

export function typeOf(v: AttributeValue): TypeName {
  return Object.keys(v)[0] as TypeName;
}

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}

/**
 * Validates one attribute value from a request and returns it normalised (numbers canonical).
 * `where` names the value in messages.
 */
export function checkValue(raw: unknown): AttributeValue {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  const keys = Object.keys(raw).filter((k) => (raw as Record<string, unknown>)[k] !== undefined && (raw as Record<string, unknown>)[k] !== null);
  if (keys.length === 0) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (keys.length > 1) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
  const t = keys[0] as string;
  const v = (raw as Record<string, unknown>)[t];
  switch (t) {
    case 'S':
      if (typeof v !== 'string') throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      return { S: v };
    case 'N':
      if (typeof v !== 'string') throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      return { N: normalizeNumber(v) };
    case 'B':
      if (typeof v !== 'string' || !isBase64(v)) throw validation('Invalid Binary value: expected base64');
      return { B: v };
    case 'BOOL':
      if (typeof v !== 'boolean') throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      return { BOOL: v };
    case 'NULL':
      if (v !== true) throw validation('One or more parameter values were invalid: Null attribute value types must have the value of true');
      return { NULL: true };
    case 'SS': case 'NS': case 'BS': {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      const label = t === 'SS' ? 'string' : t === 'NS' ? 'number' : 'binary';
      if (v.length === 0) throw validation(`One or more parameter values were invalid: An ${label} set  may not be empty`);
      const members = (v as string[]).map((x) => (t === 'NS' ? normalizeNumber(x) : x));
      if (new Set(members).size !== members.length) throw validation(`One or more parameter values were invalid: Input collection [${(v as string[]).join(', ')}] contains duplicates.`);
      return { [t]: members } as AttributeValue;
    }
    case 'L':
      if (!Array.isArray(v)) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      return { L: v.map((x) => checkValue(x)) };
    case 'M': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      const m: Item = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) m[k] = checkValue(x);
      return { M: m };
    }
    default:
      throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
}

export function checkItem(raw: unknown, what = 'Item'): Item {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw validation(`1 validation error detected: Value null at '${what.toLowerCase()}' failed to satisfy constraint: Member must not be null`);
  const out: Item = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k.length === 0) throw validation('One or more parameter values were invalid: An AttributeValue may not contain an empty attribute name');
    out[k] = checkValue(v);
  }
  return out;
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function numberSize(n: string): number {
  const d = parseDecimal(n);
  if (!d || d.c === 0n) return 1;
  return Math.ceil(digits(d.c) / 2) + 1;
}

export function valueSize(v: AttributeValue): number {
  if ('S' in v) return bytes(v.S);
  if ('N' in v) return numberSize(v.N);
  if ('B' in v) return Buffer.from(v.B, 'base64').length;
  if ('BOOL' in v || 'NULL' in v) return 1;
  if ('SS' in v) return v.SS.reduce((a, s) => a + bytes(s), 0);
  if ('NS' in v) return v.NS.reduce((a, s) => a + numberSize(s), 0);
  if ('BS' in v) return v.BS.reduce((a, s) => a + Buffer.from(s, 'base64').length, 0);
  if ('L' in v) return 3 + v.L.reduce((a, x) => a + 1 + valueSize(x), 0);
  return 3 + Object.entries(v.M).reduce((a, [k, x]) => a + bytes(k) + 1 + valueSize(x), 0);
}

export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += bytes(k) + valueSize(v);
  return n;
}

export const MAX_ITEM_BYTES = 400 * 1024;

function sameSet(a: string[], b: string[], key: (s: string) => string): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(key));
  return b.every((x) => s.has(key(x)));
}

/** DynamoDB equality: same type and value (numbers by value, sets unordered). */
export function equals(a: AttributeValue, b: AttributeValue): boolean {
  const t = typeOf(a);
  if (t !== typeOf(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  switch (t) {
    case 'N': return compareDecimal(numberValue(x.N as string), numberValue(y.N as string)) === 0;
    case 'NS': return sameSet(x.NS as string[], y.NS as string[], normalizeNumber);
    case 'SS': case 'BS': return sameSet(x[t] as string[], y[t] as string[], (s) => s);
    case 'L': {
      const l = x.L as AttributeValue[]; const r = y.L as AttributeValue[];
      return l.length === r.length && l.every((v, i) => equals(v, r[i] as AttributeValue));
    }
    case 'M': {
      const l = x.M as Item; const r = y.M as Item;
      const lk = Object.keys(l);
      return lk.length === Object.keys(r).length && lk.every((k) => r[k] !== undefined && equals(l[k] as AttributeValue, r[k] as AttributeValue));
    }
    default: return x[t] === y[t];
  }
}

/** Order for S, N, B (the comparable scalar types); undefined when not comparable. */
export function compare(a: AttributeValue, b: AttributeValue): number | undefined {
  const t = typeOf(a);
  if (t !== typeOf(b)) return undefined;
  if ('N' in a && 'N' in b) return compareDecimal(numberValue(a.N), numberValue(b.N));
  if ('S' in a && 'S' in b) return Buffer.compare(Buffer.from(a.S, 'utf8'), Buffer.from(b.S, 'utf8'));
  if ('B' in a && 'B' in b) return Buffer.compare(Buffer.from(a.B, 'base64'), Buffer.from(b.B, 'base64'));
  return undefined;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}
