import type { FastifyInstance } from 'fastify';
import type { CoreDeps, Feature } from '../types.js';
import type { Authenticator } from '../http/auth.js';
import { createIssuerKeys } from './issuer.js';
import { ciTrustMigration } from './tables.js';
import { createCiTrusts, type CiTrusts } from './trusts.js';
import { registerCiTrustRoutes } from './routes.js';

export interface CiTrustFeature extends Feature {
  readonly trusts: CiTrusts;
  /** Recognises `Bearer hgc_…` CI tokens; install it before the API-token authenticator. */
  readonly authenticator: Authenticator;
}

/** CI without a long-lived Hangar token: OIDC trusts and the exchange for short-lived, scoped tokens. */
export function createCiTrustFeature(deps: CoreDeps): CiTrustFeature {
  const allowInsecureIssuers = deps.config.ci?.allowInsecureIssuers ?? false;
  const keys = createIssuerKeys({ allowInsecure: allowInsecureIssuers, now: () => deps.clock.now().getTime() });
  const trusts = createCiTrusts({ ...deps, keys, allowInsecureIssuers });
  return {
    name: 'ci-trust',
    migrations: { '0041_ci_trusts': ciTrustMigration },
    async register(app: FastifyInstance) { registerCiTrustRoutes(app, trusts); },
    trusts,
    authenticator: trusts.authenticator,
  };
}
