import { HangarError } from '@hangar/core';
import type { Component } from './component.js';

export interface ComponentRegistry {
  get(name: string): Component<unknown> | undefined;
  /** Like `get`, but throws COMPONENT_NOT_FOUND listing the components that exist. */
  require(name: string): Component<unknown>;
  list(): readonly Component<unknown>[];
}

/** A lookup over a fixed set of components (the built-ins, or a test's own). */
export function createComponentRegistry(components: readonly Component<unknown>[]): ComponentRegistry {
  const byName = new Map(components.map((c) => [c.name, c] as const));
  if (byName.size !== components.length) throw new Error('two components share a name');
  const list = Object.freeze([...components]);
  return {
    get: (name) => byName.get(name),
    require(name) {
      const c = byName.get(name);
      if (!c) {
        throw componentNotFound(name, [...byName.keys()]);
      }
      return c;
    },
    list: () => list,
  };
}

/** Edit distance (insertions, deletions, substitutions) between two short names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The available name closest to `name`, if it is close enough to be a typo (case ignored). */
export function nearestName(name: string, available: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const n of available) {
    const d = distance(wanted, n.toLowerCase());
    if (!best || d < best.d) best = { name: n, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/** COMPONENT_NOT_FOUND naming the components that exist and, for a likely typo, the one meant. */
export function componentNotFound(name: string, available: readonly string[]): HangarError {
  const suggestion = nearestName(name, available);
  const message = [
    `There is no component "${name}".`,
    suggestion ? `Did you mean "${suggestion}"?` : '',
    available.length ? `Available: ${available.join(', ')}.` : '',
  ].filter(Boolean).join(' ');
  return new HangarError('COMPONENT_NOT_FOUND', message, { details: { component: name, available: [...available], ...(suggestion ? { suggestion } : {}) } });
}
