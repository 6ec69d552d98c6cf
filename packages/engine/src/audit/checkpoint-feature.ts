/**
 * Signed audit checkpoints as an engine feature: their tables, routes, the signing key loaded at
 * start (so a missing or unreadable key fails the start, not the first append) and the sweep.
 */
import type { Feature } from '../types.js';
import { auditCheckpointsMigration } from './checkpoint-tables.js';
import { registerCheckpointRoutes } from './checkpoint-routes.js';
import type { Checkpoints } from './checkpoints.js';

export function createAuditCheckpointsFeature(deps: { checkpoints: Checkpoints; publicUrl: string }): Feature {
  return {
    name: 'audit-checkpoints',
    migrations: { '0004_platform_audit_checkpoints': auditCheckpointsMigration },
    async register(app) { registerCheckpointRoutes(app, deps.checkpoints, deps.publicUrl); },
    start: () => deps.checkpoints.start(),
    stop: () => deps.checkpoints.stop(),
  };
}
