import type { InstanceRef } from './component.js';

/** Tags on everything a component creates; values limited to the characters AWS allows in tags. */
export function instanceTags(instance: InstanceRef): Record<string, string> {
  const clean = (v: string) => v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+@-]/gu, '_').slice(0, 256);
  return { 'hangar:instance': clean(instance.instanceId), 'hangar:app': clean(instance.app), 'hangar:stage': clean(instance.stage) };
}
