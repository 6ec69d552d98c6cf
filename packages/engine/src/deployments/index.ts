// Placeholder until the deployments feature lands: same signature, no behaviour.
import type { CoreDeps, CredentialBroker, Feature } from '../types.js';

export function createDeploymentsFeature(_deps: CoreDeps & { broker: CredentialBroker }): Feature {
  return { name: 'deployments', migrations: {}, register: async () => {} };
}
