import type { ComponentPermissions, InstanceRef, PermissionStatement } from './component.js';

/** An IAM policy document (session policy) built from a component's permissions. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly { readonly Effect: 'Allow'; readonly Action: readonly string[]; readonly Resource: readonly string[] }[];
}

/** The statements a component declares for one instance; bare actions become one statement on `*`. */
export function permissionStatements(permissions: ComponentPermissions, instance: InstanceRef): PermissionStatement[] {
  if (typeof permissions === 'function') return permissions(instance).map((s) => ({ actions: [...s.actions], resources: [...s.resources] }));
  return permissions.length ? [{ actions: [...permissions], resources: ['*'] }] : [];
}

/**
 * The smallest document allowing exactly the statements: duplicates dropped, statements with the
 * same resources merged, actions and resources sorted (so equal declarations give equal text).
 * Undefined when nothing is declared. STS limits a session policy to 2048 characters of plain
 * text; `compactPolicyJson` is what is sent.
 */
export function sessionPolicyDocument(statements: readonly PermissionStatement[]): PolicyDocument | undefined {
  const byResources = new Map<string, { actions: Set<string>; resources: string[] }>();
  for (const s of statements) {
    if (s.actions.length === 0 || s.resources.length === 0) continue;
    const resources = [...new Set(s.resources)].sort();
    const key = resources.join('\n');
    const entry = byResources.get(key) ?? { actions: new Set<string>(), resources };
    for (const a of s.actions) entry.actions.add(a);
    byResources.set(key, entry);
  }
  // Statements with the same actions on different resources merge too (one Action list, the resources joined).
  const byActions = new Map<string, { actions: string[]; resources: Set<string> }>();
  for (const { actions, resources } of byResources.values()) {
    const sorted = [...actions].sort();
    const key = sorted.join('\n');
    const entry = byActions.get(key) ?? { actions: sorted, resources: new Set<string>() };
    for (const r of resources) entry.resources.add(r);
    byActions.set(key, entry);
  }
  if (byActions.size === 0) return undefined;
  return {
    Version: '2012-10-17',
    Statement: [...byActions.values()].map((e) => ({ Effect: 'Allow' as const, Action: e.actions, Resource: [...e.resources].sort() }))
      .sort((a, b) => (a.Action[0]! < b.Action[0]! ? -1 : 1)),
  };
}

/** STS limits a session policy's plain text to 2048 characters. */
export const maxSessionPolicyChars = 2048;

/** The document as STS receives it: compact JSON. */
export function compactPolicyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
