/** The identity state of the local cloud: plain JSON, persisted as one document. */

export interface Tag { readonly Key: string; readonly Value: string }

export interface UserRecord {
  userName: string;
  userId: string;
  path: string;
  createDate: string;
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
  tags: Tag[];
}

export interface RoleRecord {
  roleName: string;
  roleId: string;
  path: string;
  createDate: string;
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
  tags: Tag[];
}

export interface OidcProviderRecord {
  arn: string;
  /** Issuer without its scheme: host[:port][/path]. */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  createDate: string;
  tags: Tag[];
}

export interface AccountRecord {
  accountId: string;
  users: Record<string, UserRecord>;
  roles: Record<string, RoleRecord>;
  oidcProviders: Record<string, OidcProviderRecord>;
}

/** A long-term key of the account root or of a user. */
export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  userName?: string;
  status: 'Active' | 'Inactive';
  createDate: string;
}

/** A live STS session. */
export interface SessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms on the server clock. */
  expiration: number;
  accountId: string;
  roleName: string;
  roleId: string;
  roleArn: string;
  sessionName: string;
  sourceIdentity?: string;
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  sessionPolicies: string[];
  /** True when this session was itself obtained with a session's credentials (role chaining). */
  chained: boolean;
}

export interface IdentityState {
  accounts: Record<string, AccountRecord>;
  accessKeys: Record<string, AccessKeyRecord>;
  sessions: Record<string, SessionRecord>;
}

export function emptyIdentityState(): IdentityState {
  return { accounts: {}, accessKeys: {}, sessions: {} };
}

export function roleArn(accountId: string, role: Pick<RoleRecord, 'path' | 'roleName'>): string {
  return `arn:aws:iam::${accountId}:role${role.path}${role.roleName}`;
}

export function userArn(accountId: string, user: Pick<UserRecord, 'path' | 'userName'>): string {
  return `arn:aws:iam::${accountId}:user${user.path}${user.userName}`;
}

export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}
