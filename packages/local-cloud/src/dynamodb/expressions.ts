/**
 * DynamoDB expressions: a tokenizer and a recursive-descent parser for condition (and filter, key
 * condition), update and projection expressions, and their evaluation against an item.
 *
 *   condition := or;  or := and (OR and)*;  and := not (AND not)*;  not := NOT not | primary
 *   primary   := '(' condition ')' | fn '(' operand, … ')' | operand comparator operand
 *              | operand BETWEEN operand AND operand | operand IN '(' operand, … ')'
 *   operand   := path | :value | size '(' path ')'
 *   path      := (name | #name) ('.' (name | #name) | '[' digits ']')*
 *   update    := (SET a = v, … | REMOVE p, … | ADD p :v, … | DELETE p :v, …)+
 *   v         := operand' (('+' | '-') operand')?;  operand' := path | :value | if_not_exists(p, v) | list_append(v, v)
 */
import { RESERVED_WORDS } from './reserved.js';
import {
  addDecimal, compare, equals, numberValue, formatDecimal, typeOf, validation, TYPES,
  type AttributeValue, type Item,
} from './values.js';

export type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

export type PathElement = { name: string } | { index: number };
export type Path = PathElement[];

export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; value: AttributeValue; ref: string }
  | { kind: 'size'; path: Path };

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; inner: Condition }
  | { kind: 'cmp'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { kind: 'between'; subject: Operand; low: Operand; high: Operand }
  | { kind: 'in'; subject: Operand; list: Operand[] }
  | { kind: 'fn'; name: 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains'; args: Operand[] };

export type SetValue =
  | { kind: 'operand'; operand: Operand }
  | { kind: 'if_not_exists'; path: Path; fallback: SetValue }
  | { kind: 'list_append'; a: SetValue; b: SetValue }
  | { kind: 'arith'; op: '+' | '-'; a: SetValue; b: SetValue };

export interface UpdateActions {
  set: { path: Path; value: SetValue }[];
  remove: Path[];
  add: { path: Path; value: AttributeValue }[];
  delete: { path: Path; value: AttributeValue }[];
}

/** Names and values of one request, and which of them its expressions used. */
export class ExpressionContext {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();
  constructor(
    readonly names: Readonly<Record<string, string>> = {},
    readonly values: Readonly<Record<string, AttributeValue>> = {},
  ) {}

  /** AWS: every name and value given must be used by one of the request's expressions. */
  checkAllUsed(): void {
    const names = Object.keys(this.names).filter((n) => !this.usedNames.has(n));
    if (names.length > 0) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${names.join(', ')}}`);
    const values = Object.keys(this.values).filter((v) => !this.usedValues.has(v));
    if (values.length > 0) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${values.join(', ')}}`);
  }
}

type Token = { t: 'name' | 'alias' | 'value' | 'num' | 'op' | 'eof'; v: string; at: number };

const OPS = ['<>', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '+', '-'];

function tokenize(text: string, kind: ExpressionKind): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) { i += 1; continue; }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) { out.push({ t: 'op', v: op, at: i }); i += op.length; continue; }
    const m = /^(#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*|[0-9]+)/.exec(text.slice(i));
    if (!m) throw validation(`Invalid ${kind}: Syntax error; token: "${ch}", near: "${text.slice(Math.max(0, i - 3), i + 3).trim()}"`);
    const v = m[1] as string;
    const t: Token['t'] = v.startsWith('#') ? 'alias' : v.startsWith(':') ? 'value' : /^[0-9]/.test(v) ? 'num' : 'name';
    out.push({ t, v, at: i });
    i += v.length;
  }
  out.push({ t: 'eof', v: '<EOF>', at: text.length });
  return out;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  private pending: string | undefined;
  constructor(private readonly text: string, readonly kind: ExpressionKind, private readonly ctx: ExpressionContext) {
    if (text.trim() === '') throw validation(`Invalid ${kind}: The expression can not be empty;`);
    this.tokens = tokenize(text, kind);
  }

  peek(offset = 0): Token { return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token; }
  next(): Token { const t = this.peek(); this.pos += 1; return t; }
  isKeyword(word: string, offset = 0): boolean { const t = this.peek(offset); return t.t === 'name' && t.v.toUpperCase() === word; }
  isOp(op: string): boolean { const t = this.peek(); return t.t === 'op' && t.v === op; }

  /** AWS quotes the offending token with its neighbours: `token: "-", near: "first-name"`. */
  syntax(t: Token = this.peek()): never {
    const i = this.tokens.indexOf(t);
    const from = this.tokens[Math.max(0, t.t === 'eof' ? i - 2 : i - 1)] as Token;
    const to = t.t === 'eof' ? undefined : this.tokens[i + 1];
    const end = to && to.t !== 'eof' ? to.at + to.v.length : t.t === 'eof' ? this.text.length : t.at + t.v.length;
    const near = this.text.slice(from.at, end);
    throw validation(`Invalid ${this.kind}: Syntax error; token: "${t.v}", near: "${near}"`);
  }
  fail(message: string): never { throw validation(`Invalid ${this.kind}: ${message}`); }
  expectOp(op: string): void { if (!this.isOp(op)) this.syntax(); this.pos += 1; }
  end(): void {
    if (this.peek().t !== 'eof') this.syntax();
    if (this.pending !== undefined) this.fail(this.pending);
  }

  value(t: Token): AttributeValue {
    const v = this.ctx.values[t.v];
    if (v === undefined) this.fail(`An expression attribute value used in expression is not defined; attribute value: ${t.v}`);
    this.ctx.usedValues.add(t.v);
    return v;
  }

  nameElement(): string {
    const t = this.next();
    if (t.t === 'alias') {
      const n = this.ctx.names[t.v];
      if (n === undefined) this.fail(`An expression attribute name used in the document path is not defined; attribute name: ${t.v}`);
      this.ctx.usedNames.add(t.v);
      return n;
    }
    if (t.t !== 'name') this.syntax(t);
    // A syntax error is reported before a reserved word, as AWS parses first and checks after.
    if (RESERVED_WORDS.has(t.v.toUpperCase())) this.pending ??= `Attribute name is a reserved keyword; reserved keyword: ${t.v}`;
    return t.v;
  }

  path(): Path {
    const p: Path = [{ name: this.nameElement() }];
    for (;;) {
      if (this.isOp('.')) { this.pos += 1; p.push({ name: this.nameElement() }); continue; }
      if (this.isOp('[')) {
        this.pos += 1;
        const n = this.next();
        if (n.t !== 'num') this.syntax(n);
        this.expectOp(']');
        p.push({ index: Number(n.v) });
        continue;
      }
      return p;
    }
  }

  operand(): Operand {
    const t = this.peek();
    if (t.t === 'value') { this.pos += 1; return { kind: 'value', value: this.value(t), ref: t.v }; }
    if (t.t === 'name' && this.peek(1).t === 'op' && this.peek(1).v === '(') {
      if (t.v !== 'size') {
        if (FUNCTIONS.has(t.v)) this.fail(`The function is not allowed to be used this way in an expression; function: ${t.v}`);
        this.fail(`Invalid function name; function: ${t.v}`);
      }
      this.pos += 2;
      const inner = this.operand();
      this.expectOp(')');
      if (inner.kind !== 'path') this.fail('Operator or function requires a document path; operator or function: size');
      return { kind: 'size', path: inner.path };
    }
    if (t.t === 'name' || t.t === 'alias') return { kind: 'path', path: this.path() };
    return this.syntax(t);
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) { this.pos += 1; left = { kind: 'or', left, right: this.conjunction() }; }
    return left;
  }

  conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) { this.pos += 1; left = { kind: 'and', left, right: this.negation() }; }
    return left;
  }

  negation(): Condition {
    if (this.isKeyword('NOT')) { this.pos += 1; return { kind: 'not', inner: this.negation() }; }
    return this.primary();
  }

  primary(): Condition {
    const t = this.peek();
    if (t.t === 'op' && t.v === '(') {
      this.pos += 1;
      const inner = this.condition();
      this.expectOp(')');
      return inner;
    }
    if (t.t === 'name' && FUNCTIONS.has(t.v) && this.peek(1).t === 'op' && this.peek(1).v === '(') {
      this.pos += 2;
      const args: Operand[] = [this.operand()];
      while (this.isOp(',')) { this.pos += 1; args.push(this.operand()); }
      this.expectOp(')');
      return this.checkFunction(t.v as FunctionName, args);
    }
    const subject = this.operand();
    const op = this.peek();
    if (op.t === 'op' && ['=', '<>', '<', '<=', '>', '>='].includes(op.v)) {
      this.pos += 1;
      return { kind: 'cmp', op: op.v as '=', left: subject, right: this.operand() };
    }
    if (this.isKeyword('BETWEEN')) {
      this.pos += 1;
      const low = this.operand();
      if (!this.isKeyword('AND')) this.syntax();
      this.pos += 1;
      const high = this.operand();
      if (low.kind === 'value' && high.kind === 'value') {
        const c = compare(low.value, high.value);
        if (c !== undefined && c > 0) {
          this.fail(`The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${show(low.value)}, upper bound operand: AttributeValue: ${show(high.value)}`);
        }
      }
      return { kind: 'between', subject, low, high };
    }
    if (this.isKeyword('IN')) {
      this.pos += 1;
      this.expectOp('(');
      const list = [this.operand()];
      while (this.isOp(',')) { this.pos += 1; list.push(this.operand()); }
      this.expectOp(')');
      if (list.length > 100) this.fail('The IN operator is provided with too many operands; number of operands: ' + String(list.length));
      return { kind: 'in', subject, list };
    }
    return this.syntax(op);
  }

  checkFunction(name: FunctionName, args: Operand[]): Condition {
    const arity = name === 'attribute_exists' || name === 'attribute_not_exists' ? 1 : 2;
    if (args.length !== arity) this.fail(`Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${String(args.length)}`);
    if (name !== 'contains' && (args[0] as Operand).kind !== 'path') this.fail(`Operator or function requires a document path; operator or function: ${name}`);
    if (name === 'attribute_type') {
      const t = args[1] as Operand;
      if (t.kind === 'value' && !('S' in t.value && (TYPES as string[]).includes(t.value.S))) {
        this.fail(`Invalid attribute type name found; type: ${'S' in t.value ? t.value.S : show(t.value)}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`);
      }
    }
    if (name === 'begins_with') {
      const v = args[1] as Operand;
      if (v.kind === 'value' && !('S' in v.value || 'B' in v.value)) {
        this.fail(`Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${typeOf(v.value)}`);
      }
    }
    return { kind: 'fn', name, args };
  }

  setValue(): SetValue {
    const a = this.setOperand();
    if (this.isOp('+') || this.isOp('-')) {
      const op = this.next().v as '+' | '-';
      return { kind: 'arith', op, a, b: this.setOperand() };
    }
    return a;
  }

  setOperand(): SetValue {
    const t = this.peek();
    if (t.t === 'name' && this.peek(1).t === 'op' && this.peek(1).v === '(') {
      if (t.v === 'if_not_exists') {
        this.pos += 2;
        const p = this.operand();
        if (p.kind !== 'path') this.fail('Operator or function requires a document path; operator or function: if_not_exists');
        this.expectOp(',');
        const fallback = this.setValue();
        this.expectOp(')');
        return { kind: 'if_not_exists', path: p.path, fallback };
      }
      if (t.v === 'list_append') {
        this.pos += 2;
        const a = this.setValue();
        this.expectOp(',');
        const b = this.setValue();
        this.expectOp(')');
        return { kind: 'list_append', a, b };
      }
      if (FUNCTIONS.has(t.v) || t.v === 'size') this.fail(`The function is not allowed in an update expression; function: ${t.v}`);
      this.fail(`Invalid function name; function: ${t.v}`);
    }
    return { kind: 'operand', operand: this.operand() };
  }

  update(): UpdateActions {
    const out: UpdateActions = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<string>();
    while (this.peek().t !== 'eof') {
      const kw = this.next();
      const word = kw.t === 'name' ? kw.v.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(word)) this.syntax(kw);
      if (seen.has(word)) this.fail(`The "${word}" section can only be used once in an update expression;`);
      seen.add(word);
      do {
        if (word === 'SET') {
          const path = this.path();
          this.expectOp('=');
          out.set.push({ path, value: this.setValue() });
        } else if (word === 'REMOVE') {
          out.remove.push(this.path());
        } else {
          const path = this.path();
          const v = this.peek();
          if (v.t !== 'value') this.syntax(v);
          this.pos += 1;
          const value = this.value(v);
          const t = typeOf(value);
          const allowed = word === 'ADD' ? ['N', 'SS', 'NS', 'BS'] : ['SS', 'NS', 'BS'];
          if (!allowed.includes(t)) {
            this.fail(`Incorrect operand type for operator or function; operator: ${word}, operand type: ${LONG_TYPE[t]}, typeSet: ALLOWED_FOR_${word}_OPERAND`);
          }
          (word === 'ADD' ? out.add : out.delete).push({ path, value });
        }
        if (!this.isOp(',')) break;
        this.pos += 1;
      } while (this.peek().t !== 'eof');
    }
    return out;
  }
}

type FunctionName = 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains';
const FUNCTIONS = new Set<string>(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);

/** The type names AWS uses in ADD/DELETE operand messages. */
const LONG_TYPE: Record<string, string> = {
  S: 'STRING', N: 'NUMBER', B: 'BINARY', BOOL: 'BOOLEAN', NULL: 'NULL', SS: 'STRING_SET', NS: 'NUMBER_SET', BS: 'BINARY_SET', L: 'LIST', M: 'MAP',
};

function show(v: AttributeValue): string {
  const t = typeOf(v);
  return `{${t}:${String((v as Record<string, unknown>)[t])}}`;
}

export function parseCondition(text: string, kind: ExpressionKind, ctx: ExpressionContext): Condition {
  const p = new Parser(text, kind, ctx);
  const c = p.condition();
  p.end();
  return c;
}

export function parseUpdate(text: string, ctx: ExpressionContext): UpdateActions {
  const p = new Parser(text, 'UpdateExpression', ctx);
  const u = p.update();
  p.end();
  checkOverlap([...u.set.map((s) => s.path), ...u.remove, ...u.add.map((a) => a.path), ...u.delete.map((d) => d.path)]);
  return u;
}

export function parseProjection(text: string, ctx: ExpressionContext): Path[] {
  const p = new Parser(text, 'ProjectionExpression', ctx);
  const out = [p.path()];
  while (p.isOp(',')) { p.next(); out.push(p.path()); }
  p.end();
  checkOverlap(out, 'ProjectionExpression');
  return out;
}

export function pathText(p: Path): string {
  return p.map((e, i) => ('index' in e ? `[${String(e.index)}]` : i === 0 ? e.name : `.${e.name}`)).join('');
}

function checkOverlap(paths: Path[], kind: ExpressionKind = 'UpdateExpression'): void {
  for (let i = 0; i < paths.length; i += 1) {
    for (let j = i + 1; j < paths.length; j += 1) {
      const a = paths[i] as Path; const b = paths[j] as Path;
      const n = Math.min(a.length, b.length);
      let same = true;
      for (let k = 0; k < n && same; k += 1) same = JSON.stringify(a[k]) === JSON.stringify(b[k]);
      if (same) {
        const fmt = (p: Path): string => `[${p.map((e) => ('index' in e ? `[${String(e.index)}]` : e.name)).join(', ')}]`;
        throw validation(`Invalid ${kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${fmt(a)}, path two: ${fmt(b)}`);
      }
    }
  }
}

// ---------------------------------------------------------------- evaluation

export function getPath(item: Item | undefined, path: Path): AttributeValue | undefined {
  let cur: AttributeValue | undefined = item === undefined ? undefined : { M: item };
  for (const e of path) {
    if (cur === undefined) return undefined;
    if ('name' in e) cur = 'M' in cur ? cur.M[e.name] : undefined;
    else cur = 'L' in cur ? cur.L[e.index] : undefined;
  }
  return cur;
}

function operandValue(item: Item | undefined, o: Operand, kind: ExpressionKind): AttributeValue | undefined {
  if (o.kind === 'value') return o.value;
  const v = getPath(item, o.path);
  if (o.kind === 'path' || v === undefined) return v;
  let n: number;
  if ('S' in v) n = Buffer.byteLength(v.S, 'utf8');
  else if ('B' in v) n = Buffer.from(v.B, 'base64').length;
  else if ('SS' in v) n = v.SS.length;
  else if ('NS' in v) n = v.NS.length;
  else if ('BS' in v) n = v.BS.length;
  else if ('L' in v) n = v.L.length;
  else if ('M' in v) n = Object.keys(v.M).length;
  else throw validation(`Invalid ${kind}: Incorrect operand type for operator or function; operator or function: size, operand type: ${typeOf(v)}`);
  return { N: String(n) };
}

export function evaluate(c: Condition, item: Item | undefined, kind: ExpressionKind = 'ConditionExpression'): boolean {
  switch (c.kind) {
    case 'and': return evaluate(c.left, item, kind) && evaluate(c.right, item, kind);
    case 'or': return evaluate(c.left, item, kind) || evaluate(c.right, item, kind);
    case 'not': return !evaluate(c.inner, item, kind);
    case 'cmp': {
      const a = operandValue(item, c.left, kind);
      const b = operandValue(item, c.right, kind);
      if (c.op === '<>') return a === undefined || b === undefined ? a !== b : !equals(a, b);
      if (a === undefined || b === undefined) return false;
      if (c.op === '=') return equals(a, b);
      const r = compare(a, b);
      if (r === undefined) return false;
      return c.op === '<' ? r < 0 : c.op === '<=' ? r <= 0 : c.op === '>' ? r > 0 : r >= 0;
    }
    case 'between': {
      const v = operandValue(item, c.subject, kind);
      const lo = operandValue(item, c.low, kind);
      const hi = operandValue(item, c.high, kind);
      if (v === undefined || lo === undefined || hi === undefined) return false;
      const a = compare(v, lo); const b = compare(v, hi);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case 'in': {
      const v = operandValue(item, c.subject, kind);
      if (v === undefined) return false;
      return c.list.some((o) => { const x = operandValue(item, o, kind); return x !== undefined && equals(v, x); });
    }
    case 'fn': {
      const first = c.args[0] as Operand;
      const v = operandValue(item, first, kind);
      switch (c.name) {
        case 'attribute_exists': return v !== undefined;
        case 'attribute_not_exists': return v === undefined;
        case 'attribute_type': {
          const t = operandValue(item, c.args[1] as Operand, kind);
          return v !== undefined && t !== undefined && 'S' in t && typeOf(v) === t.S;
        }
        case 'begins_with': {
          const p = operandValue(item, c.args[1] as Operand, kind);
          if (v === undefined || p === undefined) return false;
          if ('S' in v && 'S' in p) return v.S.startsWith(p.S);
          if ('B' in v && 'B' in p) { const x = Buffer.from(v.B, 'base64'); const y = Buffer.from(p.B, 'base64'); return x.subarray(0, y.length).equals(y); }
          return false;
        }
        case 'contains': {
          const x = operandValue(item, c.args[1] as Operand, kind);
          if (v === undefined || x === undefined) return false;
          if ('S' in v) return 'S' in x && v.S.includes(x.S);
          if ('B' in v) return 'B' in x && Buffer.from(v.B, 'base64').includes(Buffer.from(x.B, 'base64'));
          if ('SS' in v) return 'S' in x && v.SS.includes(x.S);
          if ('BS' in v) return 'B' in x && v.BS.includes(x.B);
          if ('NS' in v) return 'N' in x && v.NS.some((n) => equals({ N: n }, x));
          if ('L' in v) return v.L.some((e) => equals(e, x));
          return false;
        }
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------- updates

function invalidPath(): never {
  throw validation('The document path provided in the update expression is invalid for update');
}

function setValueOf(item: Item, v: SetValue): AttributeValue {
  switch (v.kind) {
    case 'operand': {
      const o = v.operand;
      const r = operandValue(item, o, 'UpdateExpression');
      if (r === undefined) throw validation('The provided expression refers to an attribute that does not exist in the item');
      return r;
    }
    case 'if_not_exists': return getPath(item, v.path) ?? setValueOf(item, v.fallback);
    case 'list_append': {
      const a = setValueOf(item, v.a); const b = setValueOf(item, v.b);
      for (const x of [a, b]) if (!('L' in x)) throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: ${typeOf(x)}`);
      return { L: [...(a as { L: AttributeValue[] }).L, ...(b as { L: AttributeValue[] }).L] };
    }
    case 'arith': {
      const a = setValueOf(item, v.a); const b = setValueOf(item, v.b);
      for (const x of [a, b]) if (!('N' in x)) throw validation(`An operand in the update expression has an incorrect data type`);
      return { N: formatDecimal(addDecimal(numberValue((a as { N: string }).N), numberValue((b as { N: string }).N), v.op === '-')) };
    }
  }
}

function parentOf(item: Item, path: Path): { container: AttributeValue; last: PathElement } | undefined {
  const parent = path.length === 1 ? { M: item } : getPath(item, path.slice(0, -1));
  if (parent === undefined) return undefined;
  return { container: parent, last: path[path.length - 1] as PathElement };
}

function put(item: Item, path: Path, value: AttributeValue): void {
  const p = parentOf(item, path);
  if (!p) invalidPath();
  const { container, last } = p;
  if ('name' in last) {
    if (!('M' in container)) invalidPath();
    container.M[last.name] = value;
  } else {
    if (!('L' in container)) invalidPath();
    if (last.index >= container.L.length) container.L.push(value);
    else container.L[last.index] = value;
  }
}

function removePath(item: Item, path: Path): void {
  const p = parentOf(item, path);
  if (!p) return;
  const { container, last } = p;
  if ('name' in last) {
    if ('M' in container) delete container.M[last.name];
    else invalidPath();
  } else if ('L' in container) {
    if (last.index < container.L.length) container.L.splice(last.index, 1);
  } else invalidPath();
}

/** Applies update actions to a copy of `item` (evaluated against the original, as DynamoDB does). */
export function applyUpdate(original: Item, u: UpdateActions): Item {
  const item = structuredClone(original);
  const sets = u.set.map((s) => ({ path: s.path, value: setValueOf(original, s.value) }));
  for (const s of sets) put(item, s.path, structuredClone(s.value));
  const removals = [...u.remove].sort((a, b) => {
    const x = a[a.length - 1]; const y = b[b.length - 1];
    return x && y && 'index' in x && 'index' in y ? y.index - x.index : 0;
  });
  for (const r of removals) removePath(item, r);
  for (const a of u.add) {
    const cur = getPath(item, a.path);
    const v = a.value;
    if ('N' in v) {
      if (cur === undefined) { put(item, a.path, v); continue; }
      if (!('N' in cur)) throw validation('An operand in the update expression has an incorrect data type');
      put(item, a.path, { N: formatDecimal(addDecimal(numberValue(cur.N), numberValue(v.N))) });
    } else if ('SS' in v || 'NS' in v || 'BS' in v) {
      const t = typeOf(v) as 'SS' | 'NS' | 'BS';
      if (cur === undefined) { put(item, a.path, v); continue; }
      if (typeOf(cur) !== t) throw validation('An operand in the update expression has an incorrect data type');
      const members = [...(cur as Record<string, string[]>)[t] as string[]];
      for (const m of (v as Record<string, string[]>)[t] as string[]) if (!members.some((x) => equals({ [t[0] as string]: x } as AttributeValue, { [t[0] as string]: m } as AttributeValue))) members.push(m);
      put(item, a.path, { [t]: members } as AttributeValue);
    } else {
      throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: ADD, operand type: ${typeOf(v)}`);
    }
  }
  for (const d of u.delete) {
    const v = d.value;
    const t = typeOf(v);
    if (t !== 'SS' && t !== 'NS' && t !== 'BS') throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: DELETE, operand type: ${t}`);
    const cur = getPath(item, d.path);
    if (cur === undefined) continue;
    if (typeOf(cur) !== t) throw validation('An operand in the update expression has an incorrect data type');
    const scalar = t[0] as string;
    const drop = (v as Record<string, string[]>)[t] as string[];
    const left = ((cur as Record<string, string[]>)[t] as string[]).filter((m) => !drop.some((x) => equals({ [scalar]: x } as AttributeValue, { [scalar]: m } as AttributeValue)));
    if (left.length === 0) removePath(item, d.path);
    else put(item, d.path, { [t]: left } as AttributeValue);
  }
  return item;
}

/** The paths an update touches at the top level (for the key-attribute rule). */
export function topLevelNames(u: UpdateActions): string[] {
  return [...u.set.map((s) => s.path), ...u.remove, ...u.add.map((a) => a.path), ...u.delete.map((d) => d.path)]
    .map((p) => (p[0] as { name: string }).name);
}

/** Builds the projection of `item` on `paths`. */
export function project(item: Item, paths: Path[]): Item {
  const out: Item = {};
  for (const p of paths) {
    const v = getPath(item, p);
    if (v === undefined) continue;
    let target: AttributeValue = { M: out };
    for (let i = 0; i < p.length; i += 1) {
      const e = p[i] as PathElement;
      const last = i === p.length - 1;
      const nextEl = p[i + 1];
      const fresh = (): AttributeValue => (nextEl && 'index' in nextEl ? { L: [] } : { M: {} });
      if ('name' in e && 'M' in target) {
        if (last) { target.M[e.name] = structuredClone(v); break; }
        target.M[e.name] ??= fresh();
        target = target.M[e.name] as AttributeValue;
      } else if ('L' in target) {
        if (last) { target.L.push(structuredClone(v)); break; }
        const n = fresh();
        target.L.push(n);
        target = n;
      }
    }
  }
  return out;
}
