/**
 * The identity core: accounts, keys, sessions, and the authorisation every service calls.
 * IAM and STS operate on it; the HTTP layer asks it who signed a request.
 */
import { AwsError, type IdentityApi, type Principal, type TemporaryCredentials } from '../internal/contract.js';
import { isoSeconds, newAccessKeyId, newAccountId, newSecretAccessKey, newSessionToken } from '../internal/ids.js';
import type { ConditionContext } from '../policy/conditions.js';
import { parsePolicy, type PolicyDocument } from '../policy/document.js';
import { evaluateIdentity, evaluateTrust, type DenyReason } from '../policy/evaluate.js';
import { managedPolicies } from './managed-policies.js';
import {
  assumedRoleArn, roleArn, userArn,
  type AccessKeyRecord, type AccountRecord, type IdentityState, type RoleRecord, type SessionRecord,
} from './state.js';

export interface IdentityDeps {
  readonly state: IdentityState;
  now(): Date;
  changed(): void;
}

/** What the HTTP layer needs to verify a signature and name the caller. */
export type KeyLookup =
  | { kind: 'unknown' }
  | { kind: 'expired' }
  | { kind: 'found'; secretAccessKey: string; sessionToken?: string; principal: Principal };

export interface AccountCredentials {
  readonly accountId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export type NewSession = Omit<SessionRecord, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration'> & { durationSeconds: number };

const DENY_TEXT: Record<DenyReason, (action: string) => string> = {
  'explicit-identity': () => 'with an explicit deny in an identity-based policy',
  'explicit-session': () => 'with an explicit deny in a session policy',
  'no-identity-allow': (a) => `because no identity-based policy allows the ${a} action`,
  'no-session-allow': (a) => `because no session policy allows the ${a} action`,
};

/** The AccessDenied code a service family uses: query services say AccessDenied. */
export function accessDeniedCode(action: string): string {
  const prefix = action.split(':')[0]?.toLowerCase();
  return prefix === 'iam' || prefix === 'sts' ? 'AccessDenied' : 'AccessDeniedException';
}

function arnAccount(resource: string): string | undefined {
  const parts = resource.split(':');
  return parts[0] === 'arn' && parts.length >= 6 && parts[4] ? parts[4] : undefined;
}

function parseStored(doc: string): PolicyDocument | undefined {
  try {
    return parsePolicy(doc, 'identity');
  } catch {
    return undefined;
  }
}

export function createIdentity(deps: IdentityDeps) {
  const { state } = deps;
  let lastPrune = 0;

  function account(accountId: string): AccountRecord | undefined {
    return state.accounts[accountId];
  }

  function requireAccount(accountId: string): AccountRecord {
    const a = account(accountId);
    if (!a) throw new AwsError('NoSuchEntity', `The account ${accountId} does not exist.`, 404);
    return a;
  }

  function createAccount(accountId = newAccountId()): AccountCredentials {
    if (!state.accounts[accountId]) state.accounts[accountId] = { accountId, users: {}, roles: {}, oidcProviders: {} };
    const key = createAccessKey(accountId, undefined);
    return { accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  }

  function createAccessKey(accountId: string, userName: string | undefined): AccessKeyRecord {
    const rec: AccessKeyRecord = {
      accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: newSecretAccessKey(), accountId, userName,
      status: 'Active', createDate: isoSeconds(deps.now()),
    };
    state.accessKeys[rec.accessKeyId] = rec;
    deps.changed();
    return rec;
  }

  function keysOf(accountId: string, userName: string | undefined): AccessKeyRecord[] {
    return Object.values(state.accessKeys).filter((k) => k.accountId === accountId && k.userName === userName);
  }

  function sessionPrincipal(s: SessionRecord): Principal {
    return {
      accountId: s.accountId, kind: 'assumed-role', arn: assumedRoleArn(s.accountId, s.roleName, s.sessionName),
      userId: `${s.roleId}:${s.sessionName}`, accessKeyId: s.accessKeyId, roleName: s.roleName, roleArn: s.roleArn,
      sessionName: s.sessionName, sourceIdentity: s.sourceIdentity, sessionTags: { ...s.tags },
      sessionPolicies: [...s.sessionPolicies],
    };
  }

  function lookupKey(accessKeyId: string, presentedToken: string | undefined): KeyLookup {
    const key = state.accessKeys[accessKeyId];
    if (key) {
      if (key.status !== 'Active') return { kind: 'unknown' };
      if (!account(key.accountId)) return { kind: 'unknown' };
      if (key.userName === undefined) {
        return {
          kind: 'found', secretAccessKey: key.secretAccessKey,
          principal: { accountId: key.accountId, kind: 'root', arn: `arn:aws:iam::${key.accountId}:root`, userId: key.accountId, accessKeyId },
        };
      }
      const user = account(key.accountId)?.users[key.userName];
      if (!user) return { kind: 'unknown' };
      return {
        kind: 'found', secretAccessKey: key.secretAccessKey,
        principal: { accountId: key.accountId, kind: 'user', arn: userArn(key.accountId, user), userId: user.userId, accessKeyId, userName: user.userName },
      };
    }
    const s = state.sessions[accessKeyId];
    if (!s || presentedToken !== s.sessionToken) return { kind: 'unknown' };
    if (deps.now().getTime() >= s.expiration) return { kind: 'expired' };
    return { kind: 'found', secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken, principal: sessionPrincipal(s) };
  }

  function managedDocument(arn: string): string | undefined {
    return managedPolicies.get(arn)?.document;
  }

  function identityPolicies(p: Principal): { policies: PolicyDocument[]; tags: Record<string, string> } | undefined {
    const acct = account(p.accountId);
    if (!acct) return undefined;
    const holder = p.kind === 'user' ? acct.users[p.userName ?? ''] : p.kind === 'assumed-role' ? acct.roles[p.roleName ?? ''] : undefined;
    if (!holder) return undefined;
    // A session outlives neither its role nor a same-named role created after it (new role id).
    if (p.kind === 'assumed-role') {
      const role = holder as RoleRecord;
      if (roleArn(p.accountId, role) !== p.roleArn || !p.userId.startsWith(`${role.roleId}:`)) return undefined;
    }
    const docs = [...Object.values(holder.inlinePolicies), ...holder.attachedPolicies.map((a) => managedDocument(a) ?? '')];
    const tags: Record<string, string> = {};
    for (const t of holder.tags) tags[t.Key] = t.Value;
    return { policies: docs.map(parseStored).filter((d): d is PolicyDocument => d !== undefined), tags };
  }

  function principalContext(p: Principal, tags: Record<string, string>): Record<string, string[]> {
    const now = deps.now();
    const ctx: Record<string, string[]> = {
      'aws:principalaccount': [p.accountId],
      'aws:principalarn': [p.kind === 'assumed-role' ? p.roleArn ?? p.arn : p.arn],
      'aws:principaltype': [p.kind === 'root' ? 'Account' : p.kind === 'user' ? 'User' : 'AssumedRole'],
      'aws:userid': [p.userId],
      'aws:currenttime': [isoSeconds(now)],
      'aws:epochtime': [String(Math.floor(now.getTime() / 1000))],
      'aws:securetransport': ['false'],
      'aws:multifactorauthpresent': ['false'],
    };
    if (p.userName) ctx['aws:username'] = [p.userName];
    if (p.sourceIdentity) ctx['aws:sourceidentity'] = [p.sourceIdentity];
    if (p.sessionName) ctx['aws:rolesessionname'] = [p.sessionName];
    const allTags = { ...tags, ...(p.sessionTags ?? {}) };
    for (const [k, v] of Object.entries(allTags)) ctx[`aws:principaltag/${k.toLowerCase()}`] = [v];
    return ctx;
  }

  function deny(p: Principal, action: string, resource: string, why: string): AwsError {
    return new AwsError(accessDeniedCode(action), `User: ${p.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 403);
  }

  /** See CloudContext.authorize in the contract. */
  function authorize(p: Principal, action: string, resource: string, conditionKeys: Record<string, string | string[]> = {}): void {
    const owner = arnAccount(resource);
    if (owner && owner !== p.accountId && owner !== 'aws') {
      // No resource-based policies here: another account's resources are out of reach.
      throw deny(p, action, resource, `because no resource-based policy allows the ${action} action`);
    }
    evaluateCaller(p, action, resource, conditionKeys);
  }

  /** The caller's identity policies ∩ session policies, whoever owns the resource. */
  function evaluateCaller(p: Principal, action: string, resource: string, conditionKeys: Record<string, string | string[]> = {}): void {
    if (p.kind === 'root') {
      if (!account(p.accountId)) throw deny(p, action, resource, 'because the account does not exist');
      return;
    }
    const found = identityPolicies(p);
    if (!found) throw deny(p, action, resource, `because no identity-based policy allows the ${action} action`);
    const ctx = principalContext(p, found.tags);
    for (const [k, v] of Object.entries(conditionKeys)) ctx[k.toLowerCase()] = Array.isArray(v) ? v : [v];
    const session = (p.sessionPolicies ?? []).map(parseStored).filter((d): d is PolicyDocument => d !== undefined);
    const decision = evaluateIdentity(found.policies, session, { action, resource, context: ctx as ConditionContext });
    if (!decision.allowed) throw deny(p, action, resource, DENY_TEXT[decision.reason](action));
  }

  /** Whether the caller's own policies let it do `action` on a resource of any account. */
  function isAllowed(p: Principal, action: string, resource: string, conditionKeys?: Record<string, string | string[]>): boolean {
    try {
      evaluateCaller(p, action, resource, conditionKeys);
      return true;
    } catch (e) {
      if (e instanceof AwsError) return false;
      throw e;
    }
  }

  function issueSession(s: NewSession): { record: SessionRecord; principal: Principal } {
    const now = deps.now().getTime();
    const { durationSeconds, ...rest } = s;
    const record: SessionRecord = {
      ...rest, accessKeyId: newAccessKeyId('ASIA'), secretAccessKey: newSecretAccessKey(), sessionToken: newSessionToken(),
      expiration: now + durationSeconds * 1000,
    };
    // Forget sessions that expired more than a day ago (checked once a minute), so the state
    // does not grow forever.
    if (now - lastPrune > 60_000) {
      lastPrune = now;
      for (const [id, old] of Object.entries(state.sessions)) if (old.expiration < now - 86_400_000) delete state.sessions[id];
    }
    state.sessions[record.accessKeyId] = record;
    deps.changed();
    return { record, principal: sessionPrincipal(record) };
  }

  function findRoleByArn(arn: string): { account: AccountRecord; role: RoleRecord } | undefined {
    const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
    if (!m) return undefined;
    const acct = account(m[1]!);
    const role = acct?.roles[m[2]!];
    if (!acct || !role || roleArn(acct.accountId, role) !== arn) return undefined;
    return { account: acct, role };
  }

  function canServiceAssume(arn: string, servicePrincipal: string): boolean {
    const found = findRoleByArn(arn);
    if (!found) return false;
    let trust: PolicyDocument;
    try {
      trust = parsePolicy(found.role.assumeRolePolicyDocument, 'trust');
    } catch {
      return false;
    }
    return evaluateTrust(trust, 'sts:AssumeRole', { service: servicePrincipal }, {}).decision === 'allow';
  }

  const identityApi: IdentityApi = {
    canServiceAssume,
    authorizeCaller: (p, action, resource) => evaluateCaller(p, action, resource),
    assumeRoleForService(arn: string, servicePrincipal: string, sessionName: string, durationSeconds = 3600): TemporaryCredentials {
      const found = findRoleByArn(arn);
      if (!found) throw new AwsError('NoSuchEntity', `The role with ARN ${arn} cannot be found.`, 404);
      if (!canServiceAssume(arn, servicePrincipal)) {
        throw new AwsError('AccessDenied', `${servicePrincipal} is not authorized to perform: sts:AssumeRole on resource: ${arn}`, 403);
      }
      const { record } = issueSession({
        accountId: found.account.accountId, roleName: found.role.roleName, roleId: found.role.roleId, roleArn: arn,
        sessionName, tags: {}, transitiveTagKeys: [], sessionPolicies: [], chained: false,
        durationSeconds: Math.min(Math.max(durationSeconds, 900), 43_200),
      });
      return {
        accessKeyId: record.accessKeyId, secretAccessKey: record.secretAccessKey, sessionToken: record.sessionToken,
        expiration: new Date(record.expiration),
      };
    },
  };

  return {
    state, now: deps.now, changed: deps.changed,
    callerContext: (p: Principal) => principalContext(p, identityPolicies(p)?.tags ?? {}),
    account, requireAccount, createAccount, createAccessKey, keysOf, lookupKey, authorize, isAllowed,
    issueSession, findRoleByArn, identityApi,
  };
}

export type Identity = ReturnType<typeof createIdentity>;
