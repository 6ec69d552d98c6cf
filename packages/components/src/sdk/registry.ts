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
        throw new HangarError('COMPONENT_NOT_FOUND', `There is no component "${name}". Available: ${[...byName.keys()].join(', ')}.`, {
          details: { component: name, available: [...byName.keys()] },
        });
      }
      return c;
    },
    list: () => list,
  };
}
