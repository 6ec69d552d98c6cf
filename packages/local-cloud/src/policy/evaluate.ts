/**
 * Policy evaluation, as IAM documents it for a single account: an explicit Deny anywhere wins,
 * otherwise the identity policies must allow and, when the session carries session policies,
 * those must allow too (the intersection). Nothing allows by default. Pure.
 */
import { conditionsHold, substituteVariables, type ConditionContext } from './conditions.js';
import type { PolicyDocument, PrincipalBlock, Statement } from './document.js';
import { actionMatches, arnMatches } from './match.js';

export type Decision = 'allow' | 'deny' | 'implicit-deny';

export interface RequestContext {
  readonly action: string;
  readonly resource: string;
  readonly context: ConditionContext;
}

function statementApplies(s: Statement, req: RequestContext, variables: boolean): boolean {
  const actionHit = s.action ? s.action.some((p) => actionMatches(p, req.action)) : !s.notAction!.some((p) => actionMatches(p, req.action));
  if (!actionHit) return false;
  if (s.resource || s.notResource) {
    const sub = (p: string): string => (variables ? substituteVariables(p, req.context) : p);
    const resourceHit = s.resource
      ? s.resource.some((p) => arnMatches(sub(p), req.resource))
      : !s.notResource!.some((p) => arnMatches(sub(p), req.resource));
    if (!resourceHit) return false;
  }
  return conditionsHold(s.condition, req.context, variables);
}

/** Deny if any statement denies, allow if any allows, else implicit deny. */
export function evaluatePolicies(policies: readonly PolicyDocument[], req: RequestContext): Decision {
  let allowed = false;
  for (const policy of policies) {
    const variables = policy.version === '2012-10-17';
    for (const s of policy.statements) {
      if (!statementApplies(s, req, variables)) continue;
      if (s.effect === 'Deny') return 'deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}

export type DenyReason = 'explicit-identity' | 'explicit-session' | 'no-identity-allow' | 'no-session-allow';

export type IdentityDecision = { allowed: true } | { allowed: false; reason: DenyReason };

/**
 * Identity policies intersected with session policies. `session` undefined means the session
 * has no session policy (so it is not narrowed); an empty list is treated the same way.
 */
export function evaluateIdentity(identity: readonly PolicyDocument[], session: readonly PolicyDocument[] | undefined, req: RequestContext): IdentityDecision {
  const id = evaluatePolicies(identity, req);
  const narrowed = session !== undefined && session.length > 0;
  const sess = narrowed ? evaluatePolicies(session, req) : 'allow';
  if (id === 'deny') return { allowed: false, reason: 'explicit-identity' };
  if (sess === 'deny') return { allowed: false, reason: 'explicit-session' };
  if (id !== 'allow') return { allowed: false, reason: 'no-identity-allow' };
  if (sess !== 'allow') return { allowed: false, reason: 'no-session-allow' };
  return { allowed: true };
}

/** Who is asking to assume a role, in the forms a trust policy can name. */
export interface TrustCaller {
  /** ARNs that name this caller directly: user ARN, role ARN and assumed-role session ARN. */
  readonly arns?: readonly string[];
  /** The caller's account, matched by `"123456789012"` or `arn:aws:iam::123456789012:root`. */
  readonly accountId?: string;
  /** e.g. lambda.amazonaws.com */
  readonly service?: string;
  /** OIDC provider ARN for AssumeRoleWithWebIdentity. */
  readonly federated?: string;
}

export type PrincipalMatch = 'none' | 'direct' | 'account';

function normaliseAwsPrincipal(p: string): string {
  return /^\d{12}$/.test(p) ? `arn:aws:iam::${p}:root` : p;
}

export function principalMatches(block: PrincipalBlock, caller: TrustCaller): PrincipalMatch {
  if (block === '*') return 'direct';
  let best: PrincipalMatch = 'none';
  for (const p of block.AWS ?? []) {
    if (p === '*') return 'direct';
    const want = normaliseAwsPrincipal(p);
    if (caller.arns?.includes(want)) return 'direct';
    if (caller.accountId && want === `arn:aws:iam::${caller.accountId}:root`) best = 'account';
  }
  if (caller.service && (block.Service ?? []).includes(caller.service)) return 'direct';
  if (caller.federated && (block.Federated ?? []).includes(caller.federated)) return 'direct';
  return best;
}

export interface TrustDecision {
  readonly decision: Decision;
  /**
   * True when the only Allow that matched named the caller's whole account: then the caller's
   * own identity policies must also allow the action.
   */
  readonly viaAccount: boolean;
}

/** Evaluates a role's trust policy for one sts action (sts:AssumeRole, sts:TagSession, …). */
export function evaluateTrust(trust: PolicyDocument, action: string, caller: TrustCaller, context: ConditionContext): TrustDecision {
  let allowDirect = false;
  let allowAccount = false;
  const variables = trust.version === '2012-10-17';
  for (const s of trust.statements) {
    let match: PrincipalMatch;
    if (s.principal) match = principalMatches(s.principal, caller);
    else match = principalMatches(s.notPrincipal!, caller) === 'none' ? 'direct' : 'none';
    if (match === 'none') continue;
    if (!statementApplies(s, { action, resource: '*', context }, variables)) continue;
    if (s.effect === 'Deny') return { decision: 'deny', viaAccount: false };
    if (match === 'direct') allowDirect = true;
    else allowAccount = true;
  }
  if (allowDirect) return { decision: 'allow', viaAccount: false };
  if (allowAccount) return { decision: 'allow', viaAccount: true };
  return { decision: 'implicit-deny', viaAccount: false };
}

/**
 * A resource-based policy (an S3 bucket policy) for one request: 'allow' only when a statement
 * names the caller directly (or `*`); a statement naming the caller's account delegates to the
 * account's own IAM policies and so grants nothing by itself. An anonymous caller has no ARNs.
 */
export function evaluateResourcePolicy(policy: PolicyDocument, caller: TrustCaller, req: RequestContext): Decision {
  let allowed = false;
  const variables = policy.version === '2012-10-17';
  for (const s of policy.statements) {
    let match: PrincipalMatch;
    if (s.principal) match = principalMatches(s.principal, caller);
    else match = principalMatches(s.notPrincipal!, caller) === 'none' ? 'direct' : 'none';
    if (match === 'none' || !statementApplies(s, req, variables)) continue;
    if (s.effect === 'Deny') return 'deny';
    if (match === 'direct') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
