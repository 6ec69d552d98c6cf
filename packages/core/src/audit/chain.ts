/**
 * The audit log's hashes and checkpoint signatures, shared by the engine (which writes them) and
 * the CLI (which checks them on its own, so a tampered database cannot vouch for itself).
 * Only `node:crypto`; no zod, so the CLI pays nothing at start-up.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';

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

/** What a checkpoint signs (CloudTrail digest-file style): the org's head at a moment, chained to the previous checkpoint's signature. */
export interface CheckpointFields {
  readonly orgId: string;
  /** 1, 2, 3… per organisation. */
  readonly seq: number;
  readonly id: string;
  /** When it was signed (engine clock, ISO 8601). */
  readonly ts: string;
  /** How many events the log held: the seq of the head event (0 for an empty log). */
  readonly eventCount: number;
  /** The hash of event `eventCount` ('' for an empty log). */
  readonly headHash: string;
  /** The previous checkpoint's signature ('' for the first). */
  readonly prevSignature: string;
  /** Which key signed it (see `keyIdOf`). */
  readonly keyId: string;
}

/** The exact bytes a checkpoint's Ed25519 signature covers. */
export function checkpointMaterial(c: CheckpointFields): Buffer {
  return Buffer.from(JSON.stringify(['hangar-audit-checkpoint-v1', c.orgId, c.seq, c.id, c.ts, c.eventCount, c.headHash, c.prevSignature, c.keyId]), 'utf8');
}

/** A key id: the first 32 hex digits of sha256 over the public key's DER (SubjectPublicKeyInfo), like CloudTrail's key fingerprint. */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 32);
}

/** Whether `signature` (base64) is an Ed25519 signature of the checkpoint by `publicKeyPem`. Never throws. */
export function checkpointSignatureValid(c: CheckpointFields, signature: string, publicKeyPem: string): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verifySignature(null, checkpointMaterial(c), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
