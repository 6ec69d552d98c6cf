import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so the same facts always hash the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export interface ChainedFields {
  readonly orgId: string;
  readonly seq: number;
  readonly id: string;
  readonly ts: string;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string | null;
  /** canonical JSON text, exactly as stored */
  readonly data: string;
  readonly prevHash: string;
}

/** The event's hash: sha256 over its fields (as a JSON array, so no field can bleed into the next) and the previous hash. */
export function eventHash(e: ChainedFields): string {
  const material = JSON.stringify(['hangar-audit-v1', e.orgId, e.seq, e.id, e.ts, e.kind, e.actor, e.subject, e.data, e.prevHash]);
  return createHash('sha256').update(material).digest('hex');
}
