import type { AuditApi, AuditEventInput, Clock, Db } from '../types.js';
import { dialectOf } from '../store/db.js';
import { newId } from '../store/ids.js';
import { canonicalJson, eventHash } from './chain.js';
import './tables.js';
import './checkpoint-tables.js'; // so every user of the audit (and its .d.ts) sees the checkpoint table too

export interface AuditEvent {
  readonly seq: number;
  readonly id: string;
  readonly ts: string;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string | null;
  readonly data: Record<string, unknown>;
}

export type VerifyResult =
  | { readonly ok: true; readonly count: number }
  | { readonly ok: false; readonly count: number; readonly brokenAt: { readonly seq: number; readonly id: string | null; readonly reason: string } };

export interface AuditQuery {
  readonly kind?: string;
  readonly actor?: string;
  /** e.g. "provider:prv_…": everything that happened to one thing. */
  readonly subject?: string;
  readonly limit?: number;
  /** Only events with a smaller seq (paging backwards). */
  readonly before?: number;
}

export interface Audit extends AuditApi {
  /** Newest first. */
  list(orgId: string, query?: AuditQuery): Promise<AuditEvent[]>;
  /** Recompute the org's chain; names the first event that does not verify. */
  verifyChain(orgId: string): Promise<VerifyResult>;
}

const PAGE = 500;

/**
 * The append-only audit log. Each org's events form a chain: event n stores the hash of event n-1,
 * and its own hash covers its fields and that link. Appends lock the org's head row (FOR UPDATE on
 * PostgreSQL; SQLite serialises writers), so concurrent appends, even from several engine
 * processes, queue up instead of forking the chain.
 *
 * Call `append` after your own transaction commits, never inside `db.transaction()` (on SQLite the
 * store has one connection, so an append inside another transaction would wait for it forever),
 * unless the audit itself was created on that transaction.
 */
export interface AuditOptions {
  /** Applied to each event's subject and data before it is chained and stored: the engine passes its
   * logger's scrubber, so a secret registered with the logger can never land in the audit log either. */
  readonly scrub?: (text: string) => string;
  /** Called after each append commits (the signed checkpoints use it); must not throw. */
  readonly onAppended?: (orgId: string, seq: number) => Promise<void>;
  /** Signed checkpoints, checked by verifyChain once the hash chain itself verifies. */
  readonly checkpoints?: {
    countsOf(orgId: string): Promise<Set<number>>;
    check(orgId: string, count: number, hashAt: ReadonlyMap<number, string>): Promise<VerifyResult | undefined>;
  };
}

export function createAudit(db: Db, clock: Clock, options: AuditOptions = {}): Audit {
  const postgres = dialectOf(db) === 'postgres';
  const scrub = options.scrub ?? ((text: string) => text);

  async function append(event: AuditEventInput): Promise<void> {
    const data = scrub(canonicalJson(event.data ?? {}));
    const subject = event.subject === undefined ? null : scrub(event.subject);
    // Given a transaction (e.g. `hangar-engine bootstrap` writes an org and its audit trail all or
    // nothing), append inside it; otherwise in a transaction of its own.
    const inTx = <T>(body: (trx: Db) => Promise<T>): Promise<T> => (db.isTransaction ? body(db) : db.transaction().execute(body));
    const seq = await inTx(async (trx) => {
      await trx.insertInto('audit_heads').values({ org_id: event.orgId, seq: 0, hash: '' })
        .onConflict((oc) => oc.column('org_id').doNothing()).execute();
      const q = trx.selectFrom('audit_heads').selectAll().where('org_id', '=', event.orgId);
      const head = await (postgres ? q.forUpdate() : q).executeTakeFirstOrThrow();
      const fields = {
        orgId: event.orgId, seq: Number(head.seq) + 1, id: newId('aud'), ts: clock.now().toISOString(),
        kind: event.kind, actor: event.actor, subject, data, prevHash: head.hash,
      };
      const hash = eventHash(fields);
      await trx.insertInto('audit_events').values({
        org_id: fields.orgId, seq: fields.seq, id: fields.id, ts: fields.ts, kind: fields.kind, actor: fields.actor,
        subject: fields.subject, data, prev_hash: fields.prevHash, hash,
      }).execute();
      await trx.updateTable('audit_heads').set({ seq: fields.seq, hash }).where('org_id', '=', event.orgId).execute();
      return fields.seq;
    });
    await options.onAppended?.(event.orgId, seq);
  }

  async function list(orgId: string, query: AuditQuery = {}): Promise<AuditEvent[]> {
    let q = db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId);
    if (query.kind) q = q.where('kind', '=', query.kind);
    if (query.actor) q = q.where('actor', '=', query.actor);
    if (query.subject) q = q.where('subject', '=', query.subject);
    if (query.before !== undefined) q = q.where('seq', '<', query.before);
    const rows = await q.orderBy('seq', 'desc').limit(Math.min(Math.max(query.limit ?? 50, 1), 500)).execute();
    return rows.map((r) => ({ seq: Number(r.seq), id: r.id, ts: r.ts, kind: r.kind, actor: r.actor, subject: r.subject, data: parseData(r.data) }));
  }

  async function verifyChain(orgId: string): Promise<VerifyResult> {
    const signedAt = (await options.checkpoints?.countsOf(orgId)) ?? new Set<number>();
    const hashAt = new Map<number, string>();
    let expected = 1;
    let prevHash = '';
    let after = 0;
    for (;;) {
      const rows = await db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId)
        .where('seq', '>', after).orderBy('seq', 'asc').limit(PAGE).execute();
      for (const r of rows) {
        const seq = Number(r.seq);
        const count = expected - 1;
        if (seq !== expected) {
          return broken(count, expected, r.id, `event ${expected} is missing (removed); the log jumps from event ${expected - 1} to event ${seq} (${r.id})`);
        }
        if (r.prev_hash !== prevHash) {
          return broken(count, seq, r.id, `event ${seq} does not link to event ${seq - 1}: its prev_hash differs from that event's hash (event ${seq - 1} was altered or replaced, or events were reordered)`);
        }
        const hash = eventHash({ orgId, seq, id: r.id, ts: r.ts, kind: r.kind, actor: r.actor, subject: r.subject, data: r.data, prevHash: r.prev_hash });
        if (hash !== r.hash) {
          return broken(count, seq, r.id, `event ${seq} (${r.kind}) was altered: its content does not match its hash`);
        }
        prevHash = r.hash;
        if (signedAt.has(seq)) hashAt.set(seq, r.hash);
        expected += 1;
      }
      if (rows.length < PAGE) break;
      after = expected - 1;
    }
    const count = expected - 1;
    const head = await db.selectFrom('audit_heads').selectAll().where('org_id', '=', orgId).executeTakeFirst();
    if (head && Number(head.seq) > count) {
      return broken(count, count + 1, null, `events ${count + 1} to ${Number(head.seq)} are missing (removed from the end of the log)`);
    }
    if (head && Number(head.seq) === count && head.hash !== prevHash) {
      return broken(count, count, null, `the newest event ${count} does not match the recorded head of the log (it was replaced)`);
    }
    const signed = await options.checkpoints?.check(orgId, count, hashAt);
    if (signed) return signed;
    return { ok: true, count };
  }

  return { append, list, verifyChain };
}

function broken(count: number, seq: number, id: string | null, reason: string): VerifyResult {
  return { ok: false, count, brokenAt: { seq, id, reason } };
}

function parseData(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { unparseable: text };
  }
}
