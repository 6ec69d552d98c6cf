export { createFsBlobStore, type BlobStore } from './blob-store.js';
export { createSourceCache, type SourceCache, type SourceCacheDeps } from './source-cache.js';
export { buildZip } from './zip.js';
export { registerSourceRoutes } from './routes.js';
export { sourceMigrations } from './tables.js';
export { checkEntries, checkTotals, checkDeletes, type SourceLimits } from './manifest-rules.js';
