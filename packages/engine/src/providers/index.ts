// Placeholder until the providers feature lands: same signature, no behaviour.
import { HangarError } from '@hangar/core';
import type { CoreDeps, CredentialBroker, Feature } from '../types.js';

export function createProvidersFeature(_deps: CoreDeps): Feature & { broker: CredentialBroker } {
  const missing = () => { throw new HangarError('INTERNAL', 'providers are not built yet'); };
  return { name: 'providers', migrations: {}, register: async () => {}, broker: { resolve: missing, open: missing } };
}
