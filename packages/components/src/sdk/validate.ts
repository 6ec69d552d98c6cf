import { HangarError } from '@hangar/core';
import type { z } from 'zod';
import type { Component } from './component.js';

/**
 * Validates raw project-file inputs against a component's schema and returns the typed, frozen
 * result. Failures throw COMPONENT_INPUTS_INVALID naming every offending dotted path:
 * `inputs.memory: expected a whole number from 128 to 10240 (MB), got "big"`.
 */
export function validateInputs<I>(component: Pick<Component<I>, 'name' | 'inputs'>, raw: unknown): I {
  const result = component.inputs.safeParse(raw ?? {}, { reportInput: true });
  if (result.success) return deepFreeze(result.data);
  const lines = result.error.issues.map((issue) => describeIssue(issue, component));
  throw new HangarError('COMPONENT_INPUTS_INVALID', `${component.name} inputs are not valid:\n  ${lines.join('\n  ')}`, {
    details: { component: component.name, issues: result.error.issues.map((i) => ({ path: dotted(i.path), message: i.message })) },
  });
}

function describeIssue(issue: z.core.$ZodIssue, component: Pick<Component<unknown>, 'name' | 'inputs'>): string {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(component.inputs);
    return issue.keys.map((k) => `${dotted([...issue.path, k])}: ${component.name} has no input "${k}"${known ? `; it accepts ${known}` : ''}`).join('\n  ');
  }
  if (issue.code === 'invalid_key' || issue.code === 'invalid_element') {
    const inner = issue.issues.map((i) => i.message).join('; ');
    return `${dotted(issue.path)}: ${issue.code === 'invalid_key' ? 'the name ' : ''}${inner}`;
  }
  const got = 'input' in issue ? `, got ${render(issue.input)}` : '';
  return `${dotted(issue.path)}: ${issue.message}${got}`;
}

function dotted(path: readonly PropertyKey[]): string {
  return ['inputs', ...path.map(String)].join('.');
}

function render(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function knownKeys(schema: unknown): string | undefined {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape).join(', ') : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
