// The chain's hashing lives in @hangar/core/audit so the CLI verifies with the very same code.
export { canonicalJson, eventHash } from '@hangar/core/audit';
export type { ChainedFields } from '@hangar/core/audit';
