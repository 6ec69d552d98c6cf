/**
 * Condition operators. A context maps lower-cased condition keys to their values (multi-valued
 * keys such as aws:TagKeys have several). Pure.
 */
import { arnMatches, globMatch } from './match.js';

export type ConditionContext = Readonly<Record<string, readonly string[]>>;

type Matcher = (policyValue: string, contextValue: string) => boolean;

const num = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));
const date = (s: string): number => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));

/** Positive base operators; the Not-forms are derived from them. */
const MATCHERS: Record<string, Matcher> = {
  stringequals: (p, c) => p === c,
  stringequalsignorecase: (p, c) => p.toLowerCase() === c.toLowerCase(),
  stringlike: (p, c) => globMatch(p, c),
  arnequals: (p, c) => p === c,
  arnlike: (p, c) => arnMatches(p, c),
  bool: (p, c) => p.toLowerCase() === c.toLowerCase(),
  numericequals: (p, c) => num(p) === num(c),
  numericlessthan: (p, c) => num(c) < num(p),
  numericlessthanequals: (p, c) => num(c) <= num(p),
  numericgreaterthan: (p, c) => num(c) > num(p),
  numericgreaterthanequals: (p, c) => num(c) >= num(p),
  dateequals: (p, c) => date(p) === date(c),
  datelessthan: (p, c) => date(c) < date(p),
  datelessthanequals: (p, c) => date(c) <= date(p),
  dategreaterthan: (p, c) => date(c) > date(p),
  dategreaterthanequals: (p, c) => date(c) >= date(p),
  ipaddress: (p, c) => p === c,
};

const NEGATED: Record<string, string> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
  numericnotequals: 'numericequals',
  datenotequals: 'dateequals',
  notipaddress: 'ipaddress',
};

interface ParsedOperator {
  set: 'single' | 'any' | 'all';
  base: string;
  negated: boolean;
  ifExists: boolean;
}

export function parseOperator(op: string): ParsedOperator | undefined {
  let rest = op.toLowerCase();
  let set: ParsedOperator['set'] = 'single';
  if (rest.startsWith('foranyvalue:')) { set = 'any'; rest = rest.slice(12); }
  else if (rest.startsWith('forallvalues:')) { set = 'all'; rest = rest.slice(13); }
  let ifExists = false;
  if (rest.endsWith('ifexists')) { ifExists = true; rest = rest.slice(0, -8); }
  if (rest === 'null') return { set, base: 'null', negated: false, ifExists };
  if (MATCHERS[rest]) return { set, base: rest, negated: false, ifExists };
  const positive = NEGATED[rest];
  if (positive) return { set, base: positive, negated: true, ifExists };
  return undefined;
}

/** Replaces ${aws:username}-style policy variables (policy version 2012-10-17 only). */
export function substituteVariables(value: string, ctx: ConditionContext): string {
  if (!value.includes('${')) return value;
  return value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === '*') return '*';
    if (name === '?') return '?';
    if (name === '$') return '$';
    const v = ctx[name.toLowerCase()];
    return v && v.length === 1 ? v[0]! : whole;
  });
}

/** Evaluates one operator/key pair; unknown operators never match. */
export function evaluateCondition(operator: string, key: string, policyValues: readonly string[], ctx: ConditionContext, variables: boolean): boolean {
  const op = parseOperator(operator);
  if (!op) return false;
  const values = variables ? policyValues.map((v) => substituteVariables(v, ctx)) : policyValues;
  const present = ctx[key.toLowerCase()];
  if (op.base === 'null') {
    const isNull = present === undefined || present.length === 0;
    return values.some((v) => (v.toLowerCase() === 'true') === isNull);
  }
  if (present === undefined || present.length === 0) {
    if (op.ifExists) return true;
    if (op.set === 'all') return true;
    return op.negated;
  }
  const matcher = MATCHERS[op.base]!;
  const matchesOne = (c: string): boolean => values.some((p) => matcher(p, c));
  if (op.set === 'all') {
    return present.every((c) => (op.negated ? !matchesOne(c) : matchesOne(c)));
  }
  if (op.negated) {
    // ForAnyValue:StringNotEquals is true when some value matches none; the single-valued
    // form is true when no value matches.
    return op.set === 'any' ? present.some((c) => !matchesOne(c)) : !present.some(matchesOne);
  }
  return present.some(matchesOne);
}

export function conditionsHold(block: Record<string, Record<string, string[]>> | undefined, ctx: ConditionContext, variables: boolean): boolean {
  if (!block) return true;
  for (const [operator, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      if (!evaluateCondition(operator, key, values, ctx, variables)) return false;
    }
  }
  return true;
}
