/** Hash the project's source with the local caches, send it, and remember what the engine accepted. */
import type { ResolvedProject, SourceInput } from '@hangar/core';
import type { CommandContext } from '../context.js';
import type { Ui } from '../output.js';
import type { Session } from '../session.js';
import { hashCachePath, loadHashCache, saveHashCache } from './hash-cache-file.js';
import { hashTree } from './hash-tree.js';
import { manifestStatePath, openLastManifest, saveLastManifest } from './manifest-state.js';
import { checkFolder, planSource, runHook } from './prepare.js';
import { uploadSource } from './upload.js';

export interface SourceSummary {
  readonly files: number;
  readonly bytes: number;
  readonly uploadedFiles: number;
  readonly uploadedBytes: number;
  /** Every request body sent to the engine for this deploy, manifest included. */
  readonly sentBytes: number;
  readonly hashedFiles: number;
  readonly manifestKind: 'full' | 'delta' | 'none';
}

export interface SourceTimings {
  /** Walking, stat-ing and hashing the tree (plus the build hook, if any). */
  readonly hashMs: number;
  /** The manifest request and the blob uploads. */
  readonly uploadMs: number;
}

export async function sendSource(ctx: CommandContext, session: Session, project: ResolvedProject, dir: string, src: SourceInput, ui: Ui): Promise<{ manifestId: string; summary: SourceSummary; timings: SourceTimings }> {
  const t0 = performance.now();
  const plan = planSource(dir, src);
  if (plan.hook) {
    ui.step(`Running the build hook: ${plan.hook.command}`);
    await runHook(plan.hook, ctx.env as Record<string, string>, ctx.stderr);
  }
  checkFolder(plan.root, typeof src === 'string' ? 'inputs.src' : 'inputs.src.dist');
  const cacheFile = hashCachePath(session.home, plan.root);
  const startedAt = Date.now();
  const hashed = hashTree(plan.root, { cache: loadHashCache(cacheFile), startedAt });
  if (hashed.cacheChanged) saveHashCache(cacheFile, hashed.cache);
  ui.step(`Source: ${hashed.files} files, ${formatBytes(hashed.bytes)} (${hashed.hashedFiles} hashed, the rest unchanged)`);
  const stateFile = manifestStatePath(session.home, { url: session.url, orgId: session.orgId, app: project.app, stage: project.stage, name: project.name });
  const before = session.client.sentBytes();
  const t1 = performance.now();
  const up = await uploadSource({
    client: session.client, orgId: session.orgId, root: plan.root, entries: hashed.entries,
    last: openLastManifest(stateFile), onProgress: (t) => ui.info(t),
  });
  saveLastManifest(stateFile, up.manifestId, hashed.entries);
  const sentBytes = session.client.sentBytes() - before;
  ui.info(`sent ${formatBytes(sentBytes)} (${up.kind} manifest), uploaded ${up.uploadedFiles} file${up.uploadedFiles === 1 ? '' : 's'} (${formatBytes(up.uploadedBytes)})`);
  const t2 = performance.now();
  return {
    manifestId: up.manifestId,
    timings: { hashMs: Math.round(t1 - t0), uploadMs: Math.round(t2 - t1) },
    summary: { files: hashed.files, bytes: hashed.bytes, uploadedFiles: up.uploadedFiles, uploadedBytes: up.uploadedBytes, sentBytes, hashedFiles: hashed.hashedFiles, manifestKind: up.kind },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
