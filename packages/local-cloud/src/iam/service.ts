/** IAM over the query protocol: users, keys, roles, policies, OIDC providers. */
import { AwsError, type Principal, type Service, type ServiceRequest, type ServiceResponse } from '../internal/contract.js';
import { isoSeconds, newEntityId } from '../internal/ids.js';
import { invalidAction, memberList, members, queryParams, queryResponse, required, validationError, type QueryParams } from '../internal/query.js';
import { parsePolicy, PolicyError, type PolicyKind } from '../policy/document.js';
import type { Identity } from './identity.js';
import { managedPolicies } from './managed-policies.js';
import { checkName, checkPath, mergeTags, parseTags, roleShape, userShape } from './shapes.js';
import { roleArn, userArn, type AccountRecord, type RoleRecord, type UserRecord } from './state.js';
import { oidcOps } from './oidc.js';

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export interface IamCall {
  readonly params: QueryParams;
  readonly principal: Principal;
  readonly account: AccountRecord;
  readonly identity: Identity;
  readonly arn: (resource: string) => string;
}

export type IamOperation = (call: IamCall) => Record<string, unknown> | undefined;

export function policyDocument(params: QueryParams, name: string, kind: PolicyKind): string {
  const doc = required(params, name);
  if (doc.length > 131072) throw validationError(name.charAt(0).toLowerCase() + name.slice(1), undefined, 'Member must have length less than or equal to 131072');
  try {
    parsePolicy(doc, kind);
  } catch (e) {
    if (e instanceof PolicyError) throw new AwsError('MalformedPolicyDocument', e.message, 400);
    throw e;
  }
  return doc;
}

function role(call: IamCall, action: string): RoleRecord {
  const name = checkName('roleName', required(call.params, 'RoleName'), 64);
  const r = call.account.roles[name];
  call.identity.authorize(call.principal, action, r ? roleArn(call.account.accountId, r) : call.arn(`role/${name}`));
  if (!r) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return r;
}

function user(call: IamCall, action: string, name: string): UserRecord {
  const u = call.account.users[name];
  call.identity.authorize(call.principal, action, u ? userArn(call.account.accountId, u) : call.arn(`user/${name}`));
  if (!u) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
  return u;
}

function policyName(params: QueryParams): string {
  return checkName('policyName', required(params, 'PolicyName'), 128);
}

const ops: Record<string, IamOperation> = {
  CreateUser(call) {
    const name = checkName('userName', required(call.params, 'UserName'), 64);
    const path = checkPath(call.params.get('Path'));
    call.identity.authorize(call.principal, 'iam:CreateUser', call.arn(`user${path}${name}`));
    if (call.account.users[name]) throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
    const u: UserRecord = {
      userName: name, userId: newEntityId('AIDA'), path, createDate: isoSeconds(call.identity.now()),
      inlinePolicies: {}, attachedPolicies: [], tags: parseTags(call.params),
    };
    call.account.users[name] = u;
    return { User: userShape(call.account.accountId, u) };
  },
  GetUser(call) {
    const name = call.params.get('UserName') ?? call.principal.userName;
    if (!name) {
      call.identity.authorize(call.principal, 'iam:GetUser', call.principal.arn);
      throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
    }
    return { User: userShape(call.account.accountId, user(call, 'iam:GetUser', name)) };
  },
  CreateAccessKey(call) {
    const name = call.params.get('UserName') ?? call.principal.userName;
    if (!name) {
      call.identity.authorize(call.principal, 'iam:CreateAccessKey', call.principal.arn);
      if (call.principal.kind !== 'root') throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
    } else {
      user(call, 'iam:CreateAccessKey', name);
    }
    if (call.identity.keysOf(call.account.accountId, name).length >= 2) {
      throw new AwsError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2', 409);
    }
    const key = call.identity.createAccessKey(call.account.accountId, name);
    return {
      AccessKey: { UserName: name ?? call.account.accountId, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: key.createDate },
    };
  },
  PutUserPolicy(call) {
    const u = user(call, 'iam:PutUserPolicy', checkName('userName', required(call.params, 'UserName'), 64));
    u.inlinePolicies[policyName(call.params)] = policyDocument(call.params, 'PolicyDocument', 'identity');
    return undefined;
  },
  AttachUserPolicy(call) {
    const u = user(call, 'iam:AttachUserPolicy', checkName('userName', required(call.params, 'UserName'), 64));
    const arn = attachable(call.params);
    if (!u.attachedPolicies.includes(arn)) u.attachedPolicies.push(arn);
    return undefined;
  },
  CreateRole(call) {
    const name = checkName('roleName', required(call.params, 'RoleName'), 64);
    const path = checkPath(call.params.get('Path'));
    call.identity.authorize(call.principal, 'iam:CreateRole', call.arn(`role${path}${name}`));
    const trust = policyDocument(call.params, 'AssumeRolePolicyDocument', 'trust');
    const max = maxSessionDuration(call.params.get('MaxSessionDuration'));
    const description = call.params.get('Description');
    if (description !== undefined && description.length > 1000) throw validationError('description', description, 'Member must have length less than or equal to 1000');
    if (call.account.roles[name]) throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    const r: RoleRecord = {
      roleName: name, roleId: newEntityId('AROA'), path, createDate: isoSeconds(call.identity.now()),
      assumeRolePolicyDocument: trust, description, maxSessionDuration: max ?? 3600,
      inlinePolicies: {}, attachedPolicies: [], tags: parseTags(call.params),
    };
    call.account.roles[name] = r;
    return { Role: roleShape(call.account.accountId, r) };
  },
  GetRole(call) {
    return { Role: roleShape(call.account.accountId, role(call, 'iam:GetRole')) };
  },
  ListRoles(call) {
    call.identity.authorize(call.principal, 'iam:ListRoles', call.arn('role/'));
    const prefix = call.params.get('PathPrefix') ?? '/';
    const list = Object.values(call.account.roles).filter((r) => r.path.startsWith(prefix)).sort((a, b) => a.roleName.localeCompare(b.roleName));
    return { Roles: members(list.map((r) => roleShape(call.account.accountId, r))), IsTruncated: false };
  },
  DeleteRole(call) {
    const r = role(call, 'iam:DeleteRole');
    if (Object.keys(r.inlinePolicies).length > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    if (r.attachedPolicies.length > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
    delete call.account.roles[r.roleName];
    return undefined;
  },
  UpdateAssumeRolePolicy(call) {
    const r = role(call, 'iam:UpdateAssumeRolePolicy');
    r.assumeRolePolicyDocument = policyDocument(call.params, 'PolicyDocument', 'trust');
    return undefined;
  },
  UpdateRole(call) {
    const r = role(call, 'iam:UpdateRole');
    const max = maxSessionDuration(call.params.get('MaxSessionDuration'));
    if (max !== undefined) r.maxSessionDuration = max;
    const d = call.params.get('Description');
    if (d !== undefined) r.description = d;
    return {};
  },
  PutRolePolicy(call) {
    const r = role(call, 'iam:PutRolePolicy');
    r.inlinePolicies[policyName(call.params)] = policyDocument(call.params, 'PolicyDocument', 'identity');
    return undefined;
  },
  GetRolePolicy(call) {
    const r = role(call, 'iam:GetRolePolicy');
    const name = policyName(call.params);
    const doc = r.inlinePolicies[name];
    if (doc === undefined) throw new AwsError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
    return { RoleName: r.roleName, PolicyName: name, PolicyDocument: encodeURIComponent(doc) };
  },
  DeleteRolePolicy(call) {
    const r = role(call, 'iam:DeleteRolePolicy');
    const name = policyName(call.params);
    if (r.inlinePolicies[name] === undefined) throw new AwsError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
    delete r.inlinePolicies[name];
    return undefined;
  },
  ListRolePolicies(call) {
    const r = role(call, 'iam:ListRolePolicies');
    return { PolicyNames: members(Object.keys(r.inlinePolicies).sort()), IsTruncated: false };
  },
  AttachRolePolicy(call) {
    const r = role(call, 'iam:AttachRolePolicy');
    const arn = attachable(call.params);
    if (!r.attachedPolicies.includes(arn)) {
      if (r.attachedPolicies.length >= 20) throw new AwsError('LimitExceeded', 'Cannot exceed quota for PoliciesPerRole: 20', 409);
      r.attachedPolicies.push(arn);
    }
    return undefined;
  },
  DetachRolePolicy(call) {
    const r = role(call, 'iam:DetachRolePolicy');
    const arn = required(call.params, 'PolicyArn');
    if (!r.attachedPolicies.includes(arn)) throw new AwsError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    r.attachedPolicies = r.attachedPolicies.filter((a) => a !== arn);
    return undefined;
  },
  ListAttachedRolePolicies(call) {
    const r = role(call, 'iam:ListAttachedRolePolicies');
    const list = r.attachedPolicies.map((arn) => ({ PolicyName: managedPolicies.get(arn)?.name ?? arn.split('/').pop(), PolicyArn: arn }));
    return { AttachedPolicies: members(list), IsTruncated: false };
  },
  TagRole(call) {
    const r = role(call, 'iam:TagRole');
    const tags = parseTags(call.params);
    if (tags.length === 0) throw validationError('tags', undefined, 'Member must not be null');
    r.tags = mergeTags(r.tags, tags);
    return undefined;
  },
  UntagRole(call) {
    const r = role(call, 'iam:UntagRole');
    const keys = memberList(call.params, 'TagKeys').map((k) => k.toLowerCase());
    r.tags = r.tags.filter((t) => !keys.includes(t.Key.toLowerCase()));
    return undefined;
  },
  ListRoleTags(call) {
    const r = role(call, 'iam:ListRoleTags');
    return { Tags: members(r.tags), IsTruncated: false };
  },
  ...oidcOps,
};

function attachable(params: QueryParams): string {
  const arn = required(params, 'PolicyArn');
  if (!/^arn:aws:iam::(aws|\d{12}):policy\//.test(arn)) throw new AwsError('InvalidInput', `ARN ${arn} is not valid.`, 400);
  if (!managedPolicies.has(arn)) throw new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
  return arn;
}

function maxSessionDuration(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 3600) throw validationError('maxSessionDuration', raw, 'Member must have value greater than or equal to 3600');
  if (n > 43200) throw validationError('maxSessionDuration', raw, 'Member must have value less than or equal to 43200');
  return n;
}

export function createIamService(identity: Identity): Service {
  return {
    signingName: 'iam',
    protocol: 'query',
    async handle(req: ServiceRequest): Promise<ServiceResponse> {
      const params = queryParams(req);
      const action = params.get('Action');
      const op = action ? ops[action] : undefined;
      if (!op || !action || !Object.hasOwn(ops, action)) throw invalidAction(action, '2010-05-08');
      const principal = req.principal;
      if (!principal) throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      const account = identity.requireAccount(principal.accountId);
      const result = op({ params, principal, account, identity, arn: (r) => `arn:aws:iam::${account.accountId}:${r}` });
      if (!/^(Get|List)/.test(action)) identity.changed();
      return queryResponse(action, IAM_XMLNS, req.requestId, result);
    },
  };
}
