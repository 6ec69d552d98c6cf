export { createFsBlobStore, listFsBlobs, BlobMissingError, isBlobMissing, type BlobStore } from './blob-store.js';
export { createS3BlobStore, parseS3BlobUrl, type S3BlobStoreOptions } from './s3-blob-store.js';
export { createBlobStore, createBlobStores } from './blob-store-of.js';
export { createSourceCache, type SourceCache, type SourceCacheDeps } from './source-cache.js';
export { buildZip } from './zip.js';
export { registerSourceRoutes } from './routes.js';
export { sourceMigrations } from './tables.js';
export { checkEntries, checkTotals, checkDeletes, type SourceLimits } from './manifest-rules.js';
