/** Hash the project's source with the local caches, send it, and remember what the engine accepted. */
import { homedir } from 'node:os';
import { checkHandlerFile, type ResolvedProject, type SourceInput } from '@hangar/core';
import type { CommandContext } from '../context.js';
import type { Ui } from '../output.js';
import type { Session } from '../session.js';
import { hashCachePath, loadHashCache, saveHashCache } from './hash-cache-file.js';
import { hashTree } from './hash-tree.js';
import { manifestStatePath, openLastManifest, saveLastManifest } from './manifest-state.js';
import { hangarHome } from '../config.js';
import { checkSourceRoot, describeLeftOut, type GuardPlaces, type SourceGuard } from './guard.js';
import { checkFolder, planSource, runHook, type SourcePlan } from './prepare.js';
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

/** The source as planned and checked before the CLI talks to the engine at all. */
export interface CheckedSource {
  readonly plan: SourcePlan;
  /** Set when the folder was fully checked already (no build hook has to create it first). */
  readonly guard?: SourceGuard;
}

function places(ctx: CommandContext): GuardPlaces {
  return { home: ctx.env.HOME || ctx.env.USERPROFILE || homedir(), hangarHome: hangarHome(ctx.env, ctx.cwd) };
}

function fieldOf(src: SourceInput): string {
  return typeof src === 'string' || src.dist === undefined ? 'inputs.src' : 'inputs.src.dist';
}

/**
 * Plan the source and refuse a folder of credentials before any engine call. With a build hook
 * the folder may not exist yet: its path is checked now, and the whole folder after the hook.
 */
export function checkSourceEarly(ctx: CommandContext, dir: string, src: SourceInput): CheckedSource {
  const plan = planSource(dir, src);
  if (plan.hook) {
    checkSourceRoot(plan.root, places(ctx), fieldOf(src));
    return { plan };
  }
  const guard = checkSourceRoot(plan.root, places(ctx), fieldOf(src)); // first: it never touches ~/.aws, checkFolder would stat it
  checkFolder(plan.root, fieldOf(src));
  return { plan, guard };
}

export async function sendSource(ctx: CommandContext, session: Session, project: ResolvedProject, dir: string, src: SourceInput, ui: Ui, checked?: CheckedSource): Promise<{ manifestId: string; summary: SourceSummary; timings: SourceTimings }> {
  const t0 = performance.now();
  const plan = checked?.plan ?? planSource(dir, src);
  let guard = checked?.guard;
  if (plan.hook) {
    ui.step(`Running the build hook: ${plan.hook.command}`);
    await runHook(plan.hook, ctx.env as Record<string, string>, ctx.stderr);
  }
  if (guard === undefined) {
    guard = checkSourceRoot(plan.root, places(ctx), fieldOf(src));
    checkFolder(plan.root, fieldOf(src));
  }
  const cacheFile = hashCachePath(session.home, plan.root);
  const startedAt = Date.now();
  // The bytes of small files read for hashing are kept for the upload (a first deploy reads each file once).
  const keep = { maxFileBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 };
  const hashed = hashTree(plan.root, { cache: loadHashCache(cacheFile), startedAt, excludeDirs: new Set(guard.excludeDirs.keys()), field: fieldOf(src), keep });
  if (hashed.cacheChanged) saveHashCache(cacheFile, hashed.cache);
  ui.step(`Source: ${hashed.files} files, ${formatBytes(hashed.bytes)} (${hashed.hashedFiles} hashed, the rest unchanged)`);
  for (const line of describeLeftOut(hashed.notes, guard)) ui.info(line);
  checkHandlerBeforeUpload(project, hashed.entries.map((e) => e.path));
  const stateFile = manifestStatePath(session.home, { url: session.url, orgId: session.orgId, app: project.app, stage: project.stage, name: project.name });
  const before = session.client.sentBytes();
  const t1 = performance.now();
  const up = await uploadSource({
    client: session.client, orgId: session.orgId, root: plan.root, entries: hashed.entries,
    last: openLastManifest(stateFile), onProgress: (t) => ui.info(t), component: project.component, kept: hashed.kept,
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

/**
 * An http-function whose handler file is not in the source would deploy and then answer 500:
 * refuse it before anything is uploaded. The engine checks again (the component's checkSource).
 */
export function checkHandlerBeforeUpload(project: ResolvedProject, paths: readonly string[]): void {
  if (project.component !== 'http-function') return;
  const handler = project.inputs.handler ?? 'index.handler'; // the component's default
  // A malformed handler, or one whose file would lie outside the source (absolute, or with a `..`
  // segment), is left to the engine's input validation, which names the expected shape and the
  // escape (COMPONENT_INPUTS_INVALID) instead of looking for a file that must never be used.
  const escapes = (h: string) => h.startsWith('/') || h.split('/').includes('..');
  if (typeof handler === 'string' && /^[^\s]+\.[^\s./]+$/.test(handler) && !escapes(handler)) checkHandlerFile(handler, paths);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
