export { startEmbedded } from './start.js';
export type { Embedded, EmbeddedOptions } from './start.js';
