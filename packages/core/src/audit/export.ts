/** The audit export document (`hangar audit export`): docs/audit-export.md describes it. */

export const AUDIT_EXPORT_FORMAT = 'hangar-audit-export-v1';

export interface AuditPublicKey {
  /** sha256 fingerprint of the key (see `keyIdOf`). */
  readonly keyId: string;
  readonly algorithm: 'Ed25519';
  /** SubjectPublicKeyInfo, PEM. */
  readonly publicKey: string;
  readonly createdAt: string;
}

export interface ExportedEvent {
  readonly seq: number;
  readonly id: string;
  readonly ts: string;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string | null;
  /** The event's facts as the canonical JSON text that was hashed (parse it to read them). */
  readonly data: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface ExportedCheckpoint {
  readonly seq: number;
  readonly id: string;
  readonly ts: string;
  readonly eventCount: number;
  readonly headHash: string;
  readonly prevSignature: string;
  readonly keyId: string;
  /** Ed25519 over `checkpointMaterial`, base64. */
  readonly signature: string;
}

export interface AuditExport {
  readonly format: typeof AUDIT_EXPORT_FORMAT;
  readonly orgId: string;
  readonly exportedAt: string;
  /** The engine's public URL. */
  readonly engine: string;
  readonly keys: AuditPublicKey[];
  /** Oldest first, every event of the org. */
  readonly events: ExportedEvent[];
  /** Oldest first; the last one was signed for this export, so it covers every event in it. */
  readonly checkpoints: ExportedCheckpoint[];
}

/** Reads an export document; throws a plain Error naming what is wrong (callers wrap it in their error code). */
export function parseAuditExport(text: string): AuditExport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`it is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const d = doc as Partial<AuditExport> | null;
  if (!d || typeof d !== 'object' || d.format !== AUDIT_EXPORT_FORMAT) throw new Error(`"format" is not "${AUDIT_EXPORT_FORMAT}"`);
  if (typeof d.orgId !== 'string') throw new Error('"orgId" is missing');
  for (const field of ['keys', 'events', 'checkpoints'] as const) {
    if (!Array.isArray(d[field])) throw new Error(`"${field}" is not a list`);
  }
  return d as AuditExport;
}
