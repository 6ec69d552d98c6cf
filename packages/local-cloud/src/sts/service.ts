/** STS over the query protocol: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity. */
import { AwsError, type Principal, type Service, type ServiceRequest, type ServiceResponse } from '../internal/contract.js';
import { invalidAction, queryParams, queryResponse, type QueryParams } from '../internal/query.js';
import type { Identity } from '../iam/identity.js';
import { parsePolicy } from '../policy/document.js';
import { evaluateTrust, type TrustCaller } from '../policy/evaluate.js';
import {
  durationParam, externalIdParam, packedPolicySize, roleArnParam, sessionNameParam, sessionPolicyParams, sourceIdentityParam, tagParams,
} from './params.js';
import { credentialsShape } from './shapes.js';
import { assumeRoleWithWebIdentity, createJwksCache } from './web-identity.js';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** Actions STS serves without a signature. */
export const UNSIGNED_STS_ACTIONS: ReadonlySet<string> = new Set(['AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML']);

function notAuthorized(p: Principal, roleArn: string): AwsError {
  return new AwsError('AccessDenied', `User: ${p.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
}

function assumeRole(identity: Identity, params: QueryParams, caller: Principal): Record<string, unknown> {
  const roleArn = roleArnParam(params);
  const sessionName = sessionNameParam(params);
  const externalId = externalIdParam(params);
  const requestedSource = sourceIdentityParam(params);
  const policy = sessionPolicyParams(params);
  const { tags, transitiveTagKeys } = tagParams(params);
  const callerSession = caller.kind === 'assumed-role' ? identity.state.sessions[caller.accessKeyId] : undefined;
  const chained = caller.kind === 'assumed-role';

  const found = identity.findRoleByArn(roleArn);
  if (!found) throw notAuthorized(caller, roleArn);
  const { role, account } = found;
  const duration = durationParam(params, role, chained);

  // Transitive tags of the calling session carry over (role chaining) and cannot be overridden.
  const inheritedTags: Record<string, string> = {};
  for (const k of callerSession?.transitiveTagKeys ?? []) {
    const v = callerSession?.tags[k];
    if (v !== undefined) inheritedTags[k] = v;
  }
  const sessionTags = { ...tags, ...inheritedTags };
  const sourceIdentity = callerSession?.sourceIdentity ?? requestedSource;

  const context: Record<string, string[]> = { ...identity.callerContext(caller), 'sts:rolesessionname': [sessionName] };
  if (externalId !== undefined) context['sts:externalid'] = [externalId];
  if (sourceIdentity !== undefined) context['sts:sourceidentity'] = [sourceIdentity];
  if (Object.keys(tags).length > 0) {
    context['aws:tagkeys'] = Object.keys(tags);
    for (const [k, v] of Object.entries(tags)) context[`aws:requesttag/${k.toLowerCase()}`] = [v];
    if (transitiveTagKeys.length > 0) context['sts:transitivetagkeys'] = transitiveTagKeys;
  }

  const trust = parsePolicy(role.assumeRolePolicyDocument, 'trust');
  const who: TrustCaller = { arns: [caller.arn, ...(caller.roleArn ? [caller.roleArn] : [])], accountId: caller.accountId };
  const actions = ['sts:AssumeRole'];
  if (Object.keys(tags).length > 0) actions.push('sts:TagSession');
  if (requestedSource !== undefined) actions.push('sts:SetSourceIdentity');
  for (const action of actions) {
    const decision = evaluateTrust(trust, action, who, context);
    if (decision.decision !== 'allow') throw new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`, 403);
    // Naming only the account, or trusting another account, also needs the caller's own permission.
    const needsIdentity = decision.viaAccount || caller.accountId !== account.accountId;
    if (needsIdentity && !identity.isAllowed(caller, action, roleArn, context)) {
      throw new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`, 403);
    }
  }

  const packed = packedPolicySize(policy, tags);
  const { record, principal } = identity.issueSession({
    accountId: account.accountId, roleName: role.roleName, roleId: role.roleId, roleArn, sessionName, sourceIdentity,
    tags: sessionTags, transitiveTagKeys: [...new Set([...transitiveTagKeys, ...Object.keys(inheritedTags)])],
    sessionPolicies: policy.documents, chained, durationSeconds: duration,
  });
  return {
    Credentials: credentialsShape(record),
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: principal.arn },
    PackedPolicySize: packed,
    SourceIdentity: sourceIdentity,
  };
}

export function createStsService(identity: Identity): Service {
  const jwks = createJwksCache();
  return {
    signingName: 'sts',
    protocol: 'query',
    async handle(req: ServiceRequest): Promise<ServiceResponse> {
      const params = queryParams(req);
      const action = params.get('Action');
      let result: Record<string, unknown> | undefined;
      if (action === 'AssumeRoleWithWebIdentity') {
        result = await assumeRoleWithWebIdentity(identity, jwks, params);
      } else if (action === 'GetCallerIdentity' || action === 'AssumeRole') {
        const p = req.principal;
        if (!p) throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
        result = action === 'AssumeRole' ? assumeRole(identity, params, p) : { UserId: p.userId, Account: p.accountId, Arn: p.arn };
      } else {
        throw invalidAction(action, '2011-06-15');
      }
      return queryResponse(action, STS_XMLNS, req.requestId, result);
    },
  };
}
