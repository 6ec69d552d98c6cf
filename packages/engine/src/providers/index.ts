/**
 * Providers: the roles an org registers, the proof that they enforce the engine's external ID,
 * the OIDC issuer for web-identity roles, and the broker that turns a provider into short
 * per-deployment sessions. Wired by createEngine (engine.ts).
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { HangarError } from '@hangar/core';
import type { CoreDeps, CredentialBroker, Feature } from '../types.js';
import type { Keyring } from '../keys/index.js';
import { createBroker } from './broker.js';
import { createOidcIssuer } from './oidc.js';
import { createRepo } from './repo.js';
import { registerProviderRoutes } from './routes.js';
import { principalFromCallerArn } from './setup.js';
import { awsErrorFacts, stsClient, withSts } from './sts.js';
import { providersMigrations } from './tables.js';

export function createProvidersFeature(deps: CoreDeps & { keyring: Keyring }): Feature & { broker: CredentialBroker } {
  const repo = createRepo(deps.db, deps.clock);
  const oidc = createOidcIssuer({ db: deps.db, clock: deps.clock, config: deps.config, keyring: deps.keyring });
  let principal: Promise<string> | undefined;

  /** The engine's own IAM principal, asked of STS once and cached (a failure is not cached). */
  function enginePrincipal(): Promise<string> {
    principal ??= withSts(stsClient(deps.config.aws, deps.config.aws.region), (c) => c.send(new GetCallerIdentityCommand({})))
      .then((r) => principalFromCallerArn(r.Arn!))
      .catch((err) => {
        principal = undefined;
        const f = awsErrorFacts(err);
        throw new HangarError('PROVIDER_ENGINE_IDENTITY_FAILED',
          `The engine's own AWS identity was refused by STS (${f.awsCode}${f.requestId ? `, request id ${f.requestId}` : ''}). ` +
          (deps.config.aws.credentials
            ? 'Check HANGAR_ENGINE_ACCESS_KEY_ID / HANGAR_ENGINE_SECRET_ACCESS_KEY (aws.credentials) and HANGAR_AWS_ENDPOINT, then restart the engine.'
            : "No engine key is configured, so the AWS SDK's default chain was used (task role, instance profile, web identity): give the engine's host an IAM role, or set HANGAR_ENGINE_ACCESS_KEY_ID and HANGAR_ENGINE_SECRET_ACCESS_KEY, then restart the engine. `hangar-engine check` tests it."),
          { details: { awsCode: f.awsCode, requestId: f.requestId } });
      });
    return principal;
  }

  return {
    name: 'providers',
    migrations: providersMigrations,
    async register(app) { registerProviderRoutes(app, { ...deps, repo, oidc, enginePrincipal }); },
    broker: createBroker({ ...deps, repo, oidc }),
  };
}
