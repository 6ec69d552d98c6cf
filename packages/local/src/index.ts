export { startEmbedded } from './start.js';
export type { Embedded, EmbeddedOptions } from './start.js';
export { up, bundledExample } from './up.js';
export type { UpOptions } from './up.js';
export type { UpCli, UpContext, UpLogin } from './up-cli.js';
export { createLocalAccounts, ensureDeployerRole, iamClient } from './local-accounts.js';
export type { AccessKey, LocalAccounts } from './local-accounts.js';
/** The lock `hangar up` takes on its data dir (one `hangar up` per data dir). */
export { lockDataDir } from '@hangar/engine';
