/**
 * A function's resource-based policy: the statements AddPermission builds, and the check that
 * decides whether an AWS service (API Gateway) may invoke the function. Pure.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*' | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface AddPermissionInput {
  StatementId?: string;
  Action?: string;
  Principal?: string;
  SourceArn?: string;
  SourceAccount?: string;
  PrincipalOrgID?: string;
  FunctionUrlAuthType?: string;
}

/** Builds the statement AWS stores for AddPermission, or an error message (InvalidParameterValue). */
export function statementFor(input: AddPermissionInput, resourceArn: string): PolicyStatement | { error: string } {
  const { StatementId: sid, Action: action, Principal: principal } = input;
  if (!sid || !/^[a-zA-Z0-9\-_.]{1,100}$/.test(sid)) {
    return { error: `1 validation error detected: Value '${sid ?? 'null'}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)` };
  }
  if (!action || !/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(action)) {
    return { error: `1 validation error detected: Value '${action ?? 'null'}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])` };
  }
  if (!principal) return { error: '1 validation error detected: Value null at \'principal\' failed to satisfy constraint: Member must not be null' };
  let p: PolicyStatement['Principal'];
  if (principal === '*') p = '*';
  else if (/^\d{12}$/.test(principal)) p = { AWS: `arn:aws:iam::${principal}:root` };
  else if (principal.startsWith('arn:')) p = { AWS: principal };
  else if (/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(principal)) p = { Service: principal };
  else return { error: `The provided principal was invalid. Please check the principal and try again.` };
  const condition: Record<string, Record<string, string>> = {};
  if (input.SourceArn) condition.ArnLike = { 'AWS:SourceArn': input.SourceArn };
  if (input.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': input.SourceAccount };
  if (input.PrincipalOrgID) condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': input.PrincipalOrgID };
  if (input.FunctionUrlAuthType) condition.StringEquals = { ...condition.StringEquals, 'lambda:FunctionUrlAuthType': input.FunctionUrlAuthType };
  return {
    Sid: sid, Effect: 'Allow', Principal: p, Action: action, Resource: resourceArn,
    ...(Object.keys(condition).length ? { Condition: condition } : {}),
  };
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements });
}

/** IAM-style glob: `*` any run of characters, `?` one character. */
export function globMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseInsensitive ? 'is' : 's').test(value);
}

export interface ServiceInvocation {
  readonly servicePrincipal: string;
  readonly action: string;
  readonly sourceArn: string;
  readonly sourceAccount: string;
}

function conditionHolds(op: string, key: string, expected: string, ctx: ServiceInvocation): boolean {
  const k = key.toLowerCase();
  const actual = k === 'aws:sourcearn' ? ctx.sourceArn : k === 'aws:sourceaccount' ? ctx.sourceAccount : undefined;
  if (actual === undefined) return false;
  switch (op) {
    case 'ArnLike': case 'StringLike': return globMatch(expected, actual);
    case 'ArnEquals': case 'StringEquals': return expected === actual;
    default: return false;
  }
}

/** Whether some statement lets the AWS service principal perform `action` (default deny). */
export function allowsService(statements: readonly PolicyStatement[], ctx: ServiceInvocation): boolean {
  return statements.some((s) => {
    if (s.Effect !== 'Allow') return false;
    const principalOk = s.Principal === '*' || ('Service' in s.Principal && s.Principal.Service === ctx.servicePrincipal);
    if (!principalOk || !globMatch(s.Action, ctx.action, true)) return false;
    return Object.entries(s.Condition ?? {}).every(([op, kv]) =>
      Object.entries(kv).every(([k, v]) => conditionHolds(op, k, v, ctx)));
  });
}
