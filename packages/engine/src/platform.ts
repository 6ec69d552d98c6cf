import type { FastifyInstance } from 'fastify';
import type { CoreDeps, Feature, Role } from './types.js';
import type { Audit } from './audit/audit.js';
import { auditMigration } from './audit/tables.js';
import { registerAuditRoutes } from './audit/routes.js';
import { createOrgs, type Member, type Org, type Orgs, type User } from './orgs/orgs.js';
import { orgsMigration } from './orgs/tables.js';
import { registerOrgRoutes } from './orgs/routes.js';
import { createTokens, type CreatedToken, type Tokens } from './tokens/tokens.js';
import { tokensMigration } from './tokens/tables.js';
import { registerTokenRoutes } from './tokens/routes.js';

/** Programmatic setup (used by `hangar up` and tests), not reachable over HTTP. Audited as actor "engine". */
export interface Bootstrap {
  /** A new org with its owner (an existing user is reused by email) and an owner API token, shown once. */
  createOrg(input: { name: string; owner: { email: string; name?: string }; tokenName?: string }): Promise<{ org: Org; user: User; token: CreatedToken }>;
  createUser(input: { email: string; name?: string }): Promise<User>;
  addMember(orgId: string, userId: string, role: Role): Promise<Member>;
  createToken(orgId: string, userId: string, name: string): Promise<CreatedToken>;
}

export interface PlatformFeature extends Feature {
  readonly orgs: Orgs;
  readonly tokens: Tokens;
  readonly bootstrap: Bootstrap;
}

const ENGINE_ACTOR = 'engine';

export function createPlatformFeature(deps: CoreDeps & { audit: Audit }): PlatformFeature {
  const orgs = createOrgs(deps);
  const tokens = createTokens(deps);
  const bootstrap: Bootstrap = {
    async createOrg({ name, owner, tokenName }) {
      const user = await orgs.ensureUser(owner);
      const org = await orgs.createOrg(name, ENGINE_ACTOR);
      await orgs.addMember(org.id, user.id, 'owner', ENGINE_ACTOR);
      const token = await tokens.create(org.id, user.id, tokenName ?? 'owner', ENGINE_ACTOR);
      return { org, user, token };
    },
    createUser: (input) => orgs.ensureUser(input),
    addMember: (orgId, userId, role) => orgs.addMember(orgId, userId, role, ENGINE_ACTOR),
    createToken: (orgId, userId, name) => tokens.create(orgId, userId, name, ENGINE_ACTOR),
  };
  return {
    name: 'platform',
    migrations: {
      '0001_platform_orgs_users': orgsMigration,
      '0002_platform_api_tokens': tokensMigration,
      '0003_platform_audit': auditMigration,
    },
    async register(app: FastifyInstance) {
      registerOrgRoutes(app, orgs, tokens);
      registerTokenRoutes(app, tokens);
      registerAuditRoutes(app, deps.audit);
    },
    orgs,
    tokens,
    bootstrap,
  };
}
