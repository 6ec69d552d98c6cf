/**
 * Signed checkpoints of each org's audit log, in the style of CloudTrail's digest files: every
 * `every` events (checked after each append) or every `intervalMs` (a sweep, for orgs whose head
 * moved), and on demand before an export, the engine signs the org's head (event count, head
 * hash, time) with its Ed25519 key and chains the checkpoint to the previous one's signature. A
 * rewrite that recomputes every later hash, or a deleted tail, then no longer matches a signature
 * that only the key in the data dir can make.
 */
import { AUDIT_EXPORT_FORMAT, checkpointMaterial, checkpointSignatureValid, type AuditExport, type AuditPublicKey, type ExportedCheckpoint, type ExportedEvent } from '@hangar/core/audit';
import type { Clock, Db, Logger } from '../types.js';
import { dialectOf } from '../store/db.js';
import { newId } from '../store/ids.js';
import type { CheckpointSigner } from './checkpoint-key.js';
import type { AuditCheckpointsTable } from './checkpoint-tables.js';
import './checkpoint-tables.js';
import type { VerifyResult } from './audit.js';
import './tables.js';

export interface CheckpointSettings {
  /** Sign after this many new events (default 100). */
  readonly every: number;
  /** Sign orgs with new events at least this often, in ms (default 15 minutes). */
  readonly intervalMs: number;
}
export const defaultCheckpointSettings: CheckpointSettings = Object.freeze({ every: 100, intervalMs: 15 * 60_000 });

export interface Checkpoints {
  /** After an append committed: sign when `every` events have gathered since the newest checkpoint. Never throws. */
  afterAppend(orgId: string, seq: number): Promise<void>;
  /** Sign the org's head now unless the newest checkpoint already covers it; the newest checkpoint (null: no events yet). */
  checkpoint(orgId: string): Promise<ExportedCheckpoint | null>;
  /** Oldest first. */
  list(orgId: string): Promise<ExportedCheckpoint[]>;
  /** Every checkpoint key's public half (the engine's own first). */
  keys(): Promise<AuditPublicKey[]>;
  /** Events + checkpoints + keys, after signing a checkpoint of the head. */
  exportOrg(orgId: string, engineUrl: string): Promise<AuditExport>;
  /** For verifyChain: the event counts checkpoints were signed at (the hashes there are needed). */
  countsOf(orgId: string): Promise<Set<number>>;
  /** For verifyChain, once the chain of `count` events verified: signatures, the checkpoint chain, and each signed head. */
  check(orgId: string, count: number, hashAt: ReadonlyMap<number, string>): Promise<VerifyResult | undefined>;
  /** Load the key (fail fast at start-up) and start the sweep. */
  start(): Promise<void>;
  /** Stop the sweep and wait for one in flight. */
  stop(): Promise<void>;
}

const PAGE = 500;

export function createCheckpoints(deps: {
  db: Db; clock: Clock; logger: Logger; settings: CheckpointSettings;
  loadSigner: () => Promise<CheckpointSigner>;
  /** The keys to trust and publish (the keyring's, which only HANGAR_SECRET_KEY authenticates, and the data dir's). */
  trustedKeys: (current: CheckpointSigner) => Promise<AuditPublicKey[]>;
}): Checkpoints {
  const { db, clock, logger, settings } = deps;
  const postgres = dialectOf(db) === 'postgres';
  /** The newest signed count per org this process knows of (a hint only: `sign` re-reads under the lock). */
  const covered = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;

  /** Read on each use (cheap): a rotation made by another process takes effect at the next checkpoint. */
  function key(): Promise<CheckpointSigner> {
    return deps.loadSigner();
  }

  async function sign(orgId: string): Promise<ExportedCheckpoint | null> {
    const k = await key();
    const made = await db.transaction().execute(async (trx) => {
      const q = trx.selectFrom('audit_heads').selectAll().where('org_id', '=', orgId);
      const head = await (postgres ? q.forUpdate() : q).executeTakeFirst(); // appends lock this row too
      if (!head) return null;
      const last = await trx.selectFrom('audit_checkpoints').selectAll().where('org_id', '=', orgId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (last) {
        // Never sign over a log that no longer holds what the newest checkpoint vouched for.
        const count = Number(last.event_count);
        const at = count === 0 ? { hash: '' } : await trx.selectFrom('audit_events').select('hash').where('org_id', '=', orgId).where('seq', '=', count).executeTakeFirst();
        if (Number(head.seq) < count || at?.hash !== last.head_hash) {
          logger.error('the audit log no longer matches its newest signed checkpoint (truncated or rewritten); no new checkpoint is signed over it — run `hangar audit verify`', { orgId, checkpoint: last.id });
          return toExported(last);
        }
        if (count === Number(head.seq)) return toExported(last);
      }
      const fields = {
        orgId, seq: (last ? Number(last.seq) : 0) + 1, id: newId('ckp'), ts: clock.now().toISOString(),
        eventCount: Number(head.seq), headHash: head.hash, prevSignature: last?.signature ?? '', keyId: k.keyId,
      };
      const signature = k.sign(checkpointMaterial(fields));
      await trx.insertInto('audit_checkpoints').values({
        org_id: orgId, seq: fields.seq, id: fields.id, ts: fields.ts, event_count: fields.eventCount, head_hash: fields.headHash,
        prev_signature: fields.prevSignature, key_id: fields.keyId, signature,
      }).execute();
      const { orgId: _o, ...rest } = fields;
      return { ...rest, signature };
    });
    if (made) covered.set(orgId, Math.max(covered.get(orgId) ?? 0, made.eventCount));
    return made;
  }

  async function coveredCount(orgId: string): Promise<number> {
    const known = covered.get(orgId);
    if (known !== undefined) return known;
    const r = await db.selectFrom('audit_checkpoints').select((eb) => eb.fn.max('event_count').as('n')).where('org_id', '=', orgId).executeTakeFirst();
    const n = Number(r?.n ?? 0);
    covered.set(orgId, n);
    return n;
  }

  async function list(orgId: string): Promise<ExportedCheckpoint[]> {
    const rows = await db.selectFrom('audit_checkpoints').selectAll().where('org_id', '=', orgId).orderBy('seq', 'asc').execute();
    return rows.map(toExported);
  }

  async function keys(): Promise<AuditPublicKey[]> {
    return deps.trustedKeys(await key());
  }

  async function sweep(): Promise<void> {
    const heads = await db.selectFrom('audit_heads as h')
      .leftJoin('audit_checkpoints as c', 'c.org_id', 'h.org_id')
      .select((eb) => ['h.org_id as orgId', 'h.seq as seq', eb.fn.max('c.event_count').as('covered')])
      .groupBy(['h.org_id', 'h.seq'])
      .execute();
    for (const h of heads) {
      if (Number(h.seq) > Number(h.covered ?? 0)) await sign(h.orgId);
    }
  }

  return {
    async afterAppend(orgId, seq) {
      try {
        if (seq - (await coveredCount(orgId)) >= settings.every) await sign(orgId);
      } catch (err) {
        logger.warn('could not sign an audit checkpoint; the next append or sweep tries again', { orgId, err });
      }
    },
    checkpoint: sign,
    list,
    keys,
    async exportOrg(orgId, engineUrl) {
      await sign(orgId);
      const events: ExportedEvent[] = [];
      for (let after = 0; ;) {
        const rows = await db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).where('seq', '>', after).orderBy('seq', 'asc').limit(PAGE).execute();
        for (const r of rows) {
          events.push({ seq: Number(r.seq), id: r.id, ts: r.ts, kind: r.kind, actor: r.actor, subject: r.subject, data: r.data, prevHash: r.prev_hash, hash: r.hash });
        }
        if (rows.length < PAGE) break;
        after = Number(rows.at(-1)!.seq);
      }
      return { format: AUDIT_EXPORT_FORMAT, orgId, exportedAt: clock.now().toISOString(), engine: engineUrl, keys: await keys(), events, checkpoints: await list(orgId) };
    },
    async countsOf(orgId) {
      const rows = await db.selectFrom('audit_checkpoints').select('event_count').where('org_id', '=', orgId).execute();
      return new Set(rows.map((r) => Number(r.event_count)));
    },
    async check(orgId, count, hashAt) {
      const trusted = new Map((await keys()).map((k) => [k.keyId, k.publicKey]));
      let prevSignature = '';
      let lastCount = 0;
      let expected = 1;
      for (const c of await list(orgId)) {
        const name = `checkpoint ${c.seq} (${c.id})`;
        const bad = (reason: string): VerifyResult => ({ ok: false, count, brokenAt: { seq: c.eventCount, id: c.id, reason: `${name} ${reason}` } });
        if (c.seq !== expected) return bad(`is out of place: expected checkpoint ${expected} (one was removed or inserted)`);
        if (c.prevSignature !== prevSignature) return bad(`does not link to checkpoint ${c.seq - 1} (that one was replaced or removed)`);
        const pem = trusted.get(c.keyId);
        if (!pem) return bad(`is signed by an unknown key ${c.keyId}`);
        if (!checkpointSignatureValid({ orgId, ...c }, c.signature, pem)) return bad('has a signature that does not verify (it was altered or forged)');
        if (c.eventCount > count) {
          return { ok: false, count, brokenAt: { seq: count + 1, id: null, reason: `events ${count + 1} to ${c.eventCount} are missing (removed from the end of the log): ${name} counts ${c.eventCount} events but ${count} are present` } };
        }
        if (c.eventCount < lastCount) return bad(`counts ${c.eventCount} events, fewer than the checkpoint before it (${lastCount})`);
        if ((c.eventCount === 0 ? '' : hashAt.get(c.eventCount)) !== c.headHash) {
          return { ok: false, count, brokenAt: { seq: lastCount + 1, id: null, reason: `an event from ${lastCount + 1} to ${c.eventCount} was rewritten and the chain recomputed: event ${c.eventCount}'s hash no longer matches the head hash signed in ${name} at ${c.ts}` } };
        }
        prevSignature = c.signature;
        lastCount = c.eventCount;
        expected += 1;
      }
      return undefined;
    },
    async start() {
      await key();
      // Several engines on one store must share the key; say so at start, not at the first verify.
      const trusted = new Set((await keys()).map((k) => k.keyId));
      const used = await db.selectFrom('audit_checkpoints').select('key_id').distinct().execute();
      const unknown = used.map((r) => r.key_id).filter((id) => !trusted.has(id));
      if (unknown.length > 0) {
        logger.warn('audit checkpoints in the store are signed by keys this engine does not trust, so they will not verify: give this engine the HANGAR_SECRET_KEY of the engines that signed them, or put their public key into audit/trusted-keys/ in its data dir', { keyIds: unknown });
      }
      timer = setInterval(() => {
        sweeping ??= sweep()
          .catch((err: unknown) => logger.warn('audit checkpoint sweep failed; it runs again at the next interval', { err }))
          .finally(() => { sweeping = undefined; });
      }, settings.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeping;
    },
  };
}

function toExported(r: AuditCheckpointsTable): ExportedCheckpoint {
  return {
    seq: Number(r.seq), id: r.id, ts: r.ts, eventCount: Number(r.event_count), headHash: r.head_hash,
    prevSignature: r.prev_signature, keyId: r.key_id, signature: r.signature,
  };
}
