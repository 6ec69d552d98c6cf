import { createHash } from 'node:crypto';
import type { InstanceRef } from './component.js';

/**
 * The name every built-in component gives its main resources, the same every time:
 * `hangar-<app>-<stage>-<name>-<8 hex of sha256(instanceId)>`, characters outside
 * `[A-Za-z0-9_-]` replaced by `-`, trimmed to `maxLength`. The hash of the immutable instance id
 * keeps two instances sharing an account from ever adopting each other's resources; the readable
 * part lets a session policy name the resources of one app and stage.
 */
export function instanceResourceName(instance: Pick<InstanceRef, 'app' | 'stage' | 'name' | 'instanceId'>, maxLength = 64): string {
  const hash = createHash('sha256').update(instance.instanceId).digest('hex').slice(0, 8);
  const readable = ['hangar', instance.app, instance.stage, instance.name]
    .map((part) => part.replace(/[^A-Za-z0-9_-]+/g, '-'))
    .join('-')
    .replace(/-{2,}/g, '-');
  return `${readable.slice(0, maxLength - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** Tags on everything a component creates; values limited to the characters AWS allows in tags. */
export function instanceTags(instance: Pick<InstanceRef, 'app' | 'stage' | 'instanceId'>): Record<string, string> {
  const clean = (v: string) => v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+@-]/gu, '_').slice(0, 256);
  return { 'hangar:instance': clean(instance.instanceId), 'hangar:app': clean(instance.app), 'hangar:stage': clean(instance.stage) };
}
