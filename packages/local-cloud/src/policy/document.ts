/**
 * IAM policy documents: parsing and AWS's structural checks. Pure: no I/O, no clock.
 * Single values are normalised to arrays so evaluation never has to care.
 */

export type ConditionBlock = Record<string, Record<string, string[]>>;

/** `"*"` or a map such as `{ AWS: [...], Service: [...], Federated: [...] }`. */
export type PrincipalBlock = '*' | Record<string, string[]>;

export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly action?: string[];
  readonly notAction?: string[];
  readonly resource?: string[];
  readonly notResource?: string[];
  readonly principal?: PrincipalBlock;
  readonly notPrincipal?: PrincipalBlock;
  readonly condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly version: string;
  readonly statements: Statement[];
}

/** identity: user/role/session policies; trust: a role's assume-role policy. */
/** identity: no Principal, Resource required; trust: Principal, no Resource; resource (bucket policies): both. */
export type PolicyKind = 'identity' | 'trust' | 'resource';

export class PolicyError extends Error {}

const KNOWN_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);

function strings(value: unknown, what: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value as string[];
  throw new PolicyError(`Syntax errors in policy: ${what} must be a string or a non-empty list of strings.`);
}

function conditionValues(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    throw new PolicyError('Syntax errors in policy: condition values must be strings, numbers or booleans.');
  });
}

function principalBlock(value: unknown): PrincipalBlock {
  if (value === '*') return '*';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyError('Invalid principal in policy.');
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(k)) throw new PolicyError(`Invalid principal in policy: "${k}"`);
    out[k] = strings(v, `Principal.${k}`);
  }
  return out;
}

function condition(value: unknown): ConditionBlock {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyError('Syntax errors in policy: Condition must be an object.');
  }
  const out: ConditionBlock = {};
  for (const [op, keys] of Object.entries(value)) {
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      throw new PolicyError(`Syntax errors in policy: condition operator ${op} must map keys to values.`);
    }
    const block: Record<string, string[]> = {};
    for (const [key, v] of Object.entries(keys)) block[key] = conditionValues(v);
    out[op] = block;
  }
  return out;
}

function statement(raw: unknown, kind: PolicyKind): Statement {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PolicyError('Syntax errors in policy.');
  const s = raw as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!KNOWN_KEYS.has(key)) throw new PolicyError(`Syntax errors in policy: unknown field ${key}.`);
  }
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new PolicyError('Syntax errors in policy: Effect must be Allow or Deny.');
  if ((s.Action === undefined) === (s.NotAction === undefined)) {
    throw new PolicyError('Syntax errors in policy: a statement needs exactly one of Action or NotAction.');
  }
  const hasResource = s.Resource !== undefined || s.NotResource !== undefined;
  const hasPrincipal = s.Principal !== undefined || s.NotPrincipal !== undefined;
  if (kind === 'identity') {
    if (hasPrincipal) throw new PolicyError('Policy document should not specify a principal.');
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      throw new PolicyError('Syntax errors in policy: a statement needs exactly one of Resource or NotResource.');
    }
  } else if (kind === 'trust') {
    if (hasResource) throw new PolicyError('Has prohibited field Resource');
    if (!hasPrincipal) throw new PolicyError('Missing required field Principal');
  } else {
    if (!hasPrincipal) throw new PolicyError('Missing required field Principal');
    if ((s.Resource === undefined) === (s.NotResource === undefined)) throw new PolicyError('Missing required field Resource');
  }
  return {
    sid: typeof s.Sid === 'string' ? s.Sid : undefined,
    effect: s.Effect,
    action: s.Action === undefined ? undefined : strings(s.Action, 'Action'),
    notAction: s.NotAction === undefined ? undefined : strings(s.NotAction, 'NotAction'),
    resource: s.Resource === undefined ? undefined : strings(s.Resource, 'Resource'),
    notResource: s.NotResource === undefined ? undefined : strings(s.NotResource, 'NotResource'),
    principal: s.Principal === undefined ? undefined : principalBlock(s.Principal),
    notPrincipal: s.NotPrincipal === undefined ? undefined : principalBlock(s.NotPrincipal),
    condition: s.Condition === undefined ? undefined : condition(s.Condition),
  };
}

/** Parses a JSON policy document; throws PolicyError with AWS's MalformedPolicyDocument wording. */
export function parsePolicy(json: string, kind: PolicyKind): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new PolicyError('This policy contains invalid Json');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PolicyError('This policy contains invalid Json');
  const doc = raw as Record<string, unknown>;
  const version = doc.Version === undefined ? '2008-10-17' : doc.Version;
  if (version !== '2012-10-17' && version !== '2008-10-17') {
    throw new PolicyError('The policy failed legacy parsing');
  }
  for (const key of Object.keys(doc)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) throw new PolicyError(`Syntax errors in policy: unknown field ${key}.`);
  }
  if (doc.Statement === undefined) throw new PolicyError('Syntax errors in policy: missing Statement.');
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return { version, statements: list.map((s) => statement(s, kind)) };
}
