/**
 * CloudWatch Logs filter patterns (FilterLogEvents' `filterPattern`), in their three forms:
 *
 * - Unstructured: terms that must all occur (`ERROR timeout`), quoted phrases (`"Task timed
 *   out"`), `?term` alternatives (at least one of them), `-term` exclusions, `%regex%` terms.
 *   Case-sensitive, as in CloudWatch. Unquoted terms may not contain pattern syntax
 *   (`{ } [ ] ( ) " & | < > = ! %`), and `""` is no term: both are refused with CloudWatch's
 *   `Invalid character(s) in term '…'`.
 * - JSON, for events whose message is a JSON object: `{ $.level = "ERROR" }`, `!=`, `<`, `<=`,
 *   `>`, `>=` on numbers, `*` wildcards in strings, `%regex%` values, `IS NULL`, `IS TRUE`,
 *   `IS FALSE`, `NOT EXISTS`, `&&`, `||` and parentheses; selectors `$.a.b` and `$.a[0]`.
 * - Space-delimited, for events made of space-separated fields (`"…"` and `[…]` count as one
 *   field): `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]`, one name per field,
 *   `...` for any number of fields, conditions as in JSON patterns (`=`/`!=` with `*` wildcards
 *   or numbers, `<`, `<=`, `>`, `>=`), joined by `&&` / `||`.
 */

export type FilterPattern =
  | { readonly kind: 'terms'; readonly all: readonly Term[]; readonly any: readonly Term[]; readonly none: readonly Term[] }
  | { readonly kind: 'json'; readonly expr: JsonExpr }
  | { readonly kind: 'fields'; readonly fields: readonly FieldSpec[] };

/** One field of a space-delimited pattern: `...`, or a name with an optional condition. */
type FieldSpec = { readonly any: true } | { readonly cond?: FieldCond };
type FieldCond =
  | { readonly op: '&&' | '||'; readonly left: FieldCond; readonly right: FieldCond }
  | { readonly op: '=' | '!=' | '<' | '<=' | '>' | '>='; readonly value: JsonValue };

type Term = { readonly text: string } | { readonly re: RegExp };

type Selector = readonly (string | number)[];
type JsonValue = { readonly num: number } | { readonly str: string } | { readonly re: RegExp };
type JsonExpr =
  | { readonly op: '&&' | '||'; readonly left: JsonExpr; readonly right: JsonExpr }
  | { readonly op: '=' | '!=' | '<' | '<=' | '>' | '>='; readonly sel: Selector; readonly value: JsonValue }
  | { readonly op: 'IS NULL' | 'IS TRUE' | 'IS FALSE' | 'NOT EXISTS'; readonly sel: Selector };

const INVALID = 'Invalid filter pattern';
const badTerm = (t: string) => ({ error: `${INVALID}: Invalid character(s) in term '${t}'` });

/** Parses a pattern; `{ error }` carries the InvalidParameterException message CloudWatch gives. */
export function parseFilterPattern(pattern: string): FilterPattern | { error: string } {
  const p = pattern.trim();
  if (p.startsWith('{')) {
    if (!p.endsWith('}')) return { error: "If a filter pattern starts with '{' it must end with '}'" };
    try {
      return { kind: 'json', expr: parseJson(p.slice(1, -1)) };
    } catch (e) {
      return { error: e instanceof PatternError ? e.message : INVALID };
    }
  }
  if (p.startsWith('[')) {
    if (!p.endsWith(']')) return { error: INVALID };
    try {
      return { kind: 'fields', fields: parseFields(p.slice(1, -1)) };
    } catch (e) {
      return { error: e instanceof PatternError ? e.message : INVALID };
    }
  }
  const all: Term[] = [];
  const any: Term[] = [];
  const none: Term[] = [];
  let i = 0;
  while (i < p.length) {
    while (i < p.length && /\s/.test(p[i] as string)) i++;
    if (i >= p.length) break;
    let sign = '';
    if (p[i] === '?' || p[i] === '-') sign = p[i++] as string;
    let term: Term;
    if (p[i] === '"') {
      let j = i + 1;
      let text = '';
      while (j < p.length && p[j] !== '"') {
        if (p[j] === '\\' && j + 1 < p.length) j++;
        text += p[j++];
      }
      if (j >= p.length) return { error: INVALID };
      if (text === '') return badTerm('""');
      term = { text };
      i = j + 1;
    } else {
      let j = i;
      while (j < p.length && !/\s/.test(p[j] as string)) j++;
      const word = p.slice(i, j);
      i = j;
      if (word.length > 1 && word.startsWith('%') && word.endsWith('%')) {
        const re = regexOf(word.slice(1, -1));
        if (!re) return badTerm(word);
        term = { re };
      } else {
        if (word === '' || /["{}[\]()&|<>=!%]/.test(word)) return badTerm(word || sign);
        term = { text: word };
      }
    }
    (sign === '?' ? any : sign === '-' ? none : all).push(term);
  }
  return { kind: 'terms', all, any, none };
}

export function matchesFilter(f: FilterPattern, message: string): boolean {
  if (f.kind === 'fields') return matchFields(f.fields, splitFields(message));
  if (f.kind === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(message);
    } catch {
      return false;
    }
    return doc !== null && typeof doc === 'object' && evalJson(f.expr, doc);
  }
  const has = (t: Term) => ('text' in t ? message.includes(t.text) : t.re.test(message));
  if (!f.all.every(has)) return false;
  if (f.none.some(has)) return false;
  return f.any.length === 0 || f.any.some(has);
}

function regexOf(body: string): RegExp | undefined {
  // CloudWatch's regex dialect: no groups; '(' and ')' are refused.
  if (body === '' || /[()]/.test(body)) return undefined;
  try {
    return new RegExp(body);
  } catch {
    return undefined;
  }
}

class PatternError extends Error {}

function tokenize(src: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) { i++; continue; }
    const two = src.slice(i, i + 2);
    if (['&&', '||', '!=', '<=', '>='].includes(two)) { out.push(two); i += 2; continue; }
    if ('()=<>'.includes(c)) { out.push(c); i++; continue; }
    if (c === '"' || c === '%') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' && c === '"' ? 2 : 1;
      if (j >= src.length) throw new PatternError(INVALID);
      out.push(src.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < src.length && !/[\s()=<>!&|"]/.test(src[j] as string)) j++;
    if (j === i) throw new PatternError(INVALID);
    out.push(src.slice(i, j));
    i = j;
  }
  return out;
}

function parseJson(src: string): JsonExpr {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => {
    const t = toks[pos++];
    if (t === undefined) throw new PatternError(INVALID);
    return t;
  };
  const orExpr = (): JsonExpr => {
    let left = andExpr();
    while (peek() === '||') { pos++; left = { op: '||', left, right: andExpr() }; }
    return left;
  };
  const andExpr = (): JsonExpr => {
    let left = unary();
    while (peek() === '&&') { pos++; left = { op: '&&', left, right: unary() }; }
    return left;
  };
  const unary = (): JsonExpr => {
    if (peek() === '(') {
      pos++;
      const e = orExpr();
      if (next() !== ')') throw new PatternError(INVALID);
      return e;
    }
    const sel = selector(next());
    const t = next();
    if (t === 'IS') {
      const what = next();
      if (what === 'NULL' || what === 'TRUE' || what === 'FALSE') return { op: `IS ${what}`, sel };
      throw new PatternError(INVALID);
    }
    if (t === 'NOT') {
      if (next() !== 'EXISTS') throw new PatternError(INVALID);
      return { op: 'NOT EXISTS', sel };
    }
    if (t === '=' || t === '!=' || t === '<' || t === '<=' || t === '>' || t === '>=') {
      const value = jsonValue(next());
      if (t !== '=' && t !== '!=' && !('num' in value)) throw new PatternError(INVALID);
      return { op: t, sel, value };
    }
    throw new PatternError(INVALID);
  };
  const e = orExpr();
  if (pos !== toks.length) throw new PatternError(INVALID);
  return e;
}

function selector(t: string): Selector {
  if (!t.startsWith('$')) throw new PatternError(INVALID);
  const path: (string | number)[] = [];
  const re = /\.([A-Za-z0-9_@$-]+)|\[(\d+)\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < t.length) {
    const m = re.exec(t);
    if (!m) throw new PatternError(INVALID);
    path.push(m[1] !== undefined ? m[1] : Number(m[2]));
  }
  if (path.length === 0) throw new PatternError(INVALID);
  return path;
}

function jsonValue(t: string): JsonValue {
  if (t.startsWith('"')) return { str: t.slice(1, -1).replace(/\\(.)/g, '$1') };
  if (t.length > 1 && t.startsWith('%') && t.endsWith('%')) {
    const re = regexOf(t.slice(1, -1));
    if (!re) throw new PatternError(`${INVALID}: Invalid character(s) in term '${t}'`);
    return { re };
  }
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return { num: Number(t) };
  if (/^[A-Za-z0-9_.:/@*+-]+$/.test(t)) return { str: t };
  throw new PatternError(`${INVALID}: Invalid character(s) in term '${t}'`);
}

const MISSING = Symbol('missing');

function pick(doc: unknown, sel: Selector): unknown {
  let v: unknown = doc;
  for (const k of sel) {
    if (v === null || typeof v !== 'object') return MISSING;
    if (typeof k === 'number') {
      if (!Array.isArray(v) || k >= v.length) return MISSING;
      v = v[k];
    } else {
      if (Array.isArray(v) || !Object.hasOwn(v, k)) return MISSING;
      v = (v as Record<string, unknown>)[k];
    }
  }
  return v;
}

const wildcard = (s: string) => new RegExp(`^${s.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');

function equals(v: unknown, value: JsonValue): boolean {
  if (v === MISSING || v === null || typeof v === 'object') return false;
  if ('num' in value) return (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '')) && Number(v) === value.num;
  const s = String(v);
  if ('re' in value) return value.re.test(s);
  return value.str.includes('*') ? wildcard(value.str).test(s) : s === value.str;
}

function evalJson(e: JsonExpr, doc: unknown): boolean {
  switch (e.op) {
    case '&&': return evalJson(e.left, doc) && evalJson(e.right, doc);
    case '||': return evalJson(e.left, doc) || evalJson(e.right, doc);
    case 'IS NULL': return pick(doc, e.sel) === null;
    case 'IS TRUE': return pick(doc, e.sel) === true;
    case 'IS FALSE': return pick(doc, e.sel) === false;
    case 'NOT EXISTS': return pick(doc, e.sel) === MISSING;
    case '=': return equals(pick(doc, e.sel), e.value);
    case '!=': {
      const v = pick(doc, e.sel);
      return v !== MISSING && !equals(v, e.value);
    }
    default: {
      const v = pick(doc, e.sel);
      const n = typeof v === 'number' ? v : NaN;
      const want = (e.value as { num: number }).num;
      if (Number.isNaN(n)) return false;
      return e.op === '<' ? n < want : e.op === '<=' ? n <= want : e.op === '>' ? n > want : n >= want;
    }
  }
}

function parseFields(src: string): FieldSpec[] {
  return src.split(',').map((raw) => {
    const item = raw.trim();
    if (item === '...') return { any: true } as const;
    const toks = tokenize(item);
    const name = toks[0];
    if (name === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new PatternError(INVALID);
    let pos = 1;
    const comparison = (): FieldCond => {
      if (toks[pos] === name) pos++; // `status = 4* || status = 5*` names the field again
      const op = toks[pos++];
      const value = toks[pos++];
      if (op === undefined || value === undefined || !['=', '!=', '<', '<=', '>', '>='].includes(op)) throw new PatternError(INVALID);
      const v = jsonValue(value);
      if (op !== '=' && op !== '!=' && !('num' in v)) throw new PatternError(INVALID);
      return { op: op as '=', value: v };
    };
    if (pos >= toks.length) return {};
    let cond = comparison();
    while (pos < toks.length) {
      const join = toks[pos++];
      if (join !== '&&' && join !== '||') throw new PatternError(INVALID);
      cond = { op: join, left: cond, right: comparison() };
    }
    return { cond };
  });
}

/** A message's space-separated fields; `"…"` and `[…]` are one field each, without the marks. */
function splitFields(message: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|\[([^\]]*)\]|(\S+)/g;
  for (const m of message.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

function fieldMatches(c: FieldCond, v: string): boolean {
  switch (c.op) {
    case '&&': return fieldMatches(c.left, v) && fieldMatches(c.right, v);
    case '||': return fieldMatches(c.left, v) || fieldMatches(c.right, v);
    case '=': return equals(v, c.value);
    case '!=': return !equals(v, c.value);
    default: {
      const n = v.trim() === '' ? NaN : Number(v);
      const want = (c.value as { num: number }).num;
      if (Number.isNaN(n)) return false;
      return c.op === '<' ? n < want : c.op === '<=' ? n <= want : c.op === '>' ? n > want : n >= want;
    }
  }
}

function matchFields(specs: readonly FieldSpec[], fields: readonly string[], i = 0, j = 0): boolean {
  if (i === specs.length) return j === fields.length;
  const spec = specs[i] as FieldSpec;
  if ('any' in spec) {
    for (let k = j; k <= fields.length; k++) if (matchFields(specs, fields, i + 1, k)) return true;
    return false;
  }
  if (j >= fields.length) return false;
  return (!spec.cond || fieldMatches(spec.cond, fields[j] as string)) && matchFields(specs, fields, i + 1, j + 1);
}
