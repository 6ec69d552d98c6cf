/**
 * Checks an audit export on its own: the hash chain of the events, each checkpoint's Ed25519
 * signature and its link to the previous checkpoint, that each checkpoint's signed head still
 * matches the event at that count (catches an event rewritten with every later hash recomputed),
 * and that no signed count exceeds the events present (catches a deleted tail). Against an earlier
 * export it also catches any event or checkpoint that changed or disappeared since.
 */
import { checkpointSignatureValid, eventHash } from './chain.js';
import type { AuditExport, AuditPublicKey, ExportedCheckpoint } from './export.js';

export interface AuditProblem {
  /** What is bad: an event (seq = event seq) or a checkpoint (seq = checkpoint seq). */
  readonly kind: 'event' | 'checkpoint';
  readonly seq: number;
  readonly id: string | null;
  readonly reason: string;
}

export interface AuditVerifyReport {
  readonly ok: boolean;
  readonly orgId: string;
  readonly events: number;
  readonly checkpoints: number;
  /** The newest checkpoint whose signature verifies with a trusted key. */
  readonly latestCheckpoint: { readonly seq: number; readonly id: string; readonly ts: string; readonly eventCount: number } | null;
  /** Every problem found, the first one (the one to report) first. */
  readonly problems: readonly AuditProblem[];
}

export interface VerifyExportOptions {
  /** Keys whose signatures are believed. With `against`, only the earlier export's keys should be passed. */
  readonly trustedKeys: readonly AuditPublicKey[];
  /** An earlier export of the same org: everything in it must still be there, unchanged. */
  readonly against?: AuditExport;
}

export function verifyAuditExport(doc: AuditExport, options: VerifyExportOptions): AuditVerifyReport {
  const problems: AuditProblem[] = [];
  const keys = new Map(options.trustedKeys.map((k) => [k.keyId, k.publicKey]));
  const events = [...doc.events].sort((a, b) => a.seq - b.seq);
  const checkpoints = [...doc.checkpoints].sort((a, b) => a.seq - b.seq);

  // 1. Against the earlier export: the first event that changed or vanished.
  if (options.against) {
    const earlier = options.against;
    if (earlier.orgId !== doc.orgId) {
      problems.push({ kind: 'event', seq: 0, id: null, reason: `the earlier export is of organisation ${earlier.orgId}, not ${doc.orgId}` });
    } else {
      const bySeq = new Map(events.map((e) => [e.seq, e]));
      for (const old of [...earlier.events].sort((a, b) => a.seq - b.seq)) {
        const now = bySeq.get(old.seq);
        if (!now) {
          problems.push({ kind: 'event', seq: old.seq, id: old.id, reason: `event ${old.seq} (${old.id}, ${old.kind}) is in the earlier export but no longer in the log (removed)` });
          break;
        }
        const same = now.id === old.id && now.ts === old.ts && now.kind === old.kind && now.actor === old.actor && now.subject === old.subject &&
          now.data === old.data && now.prevHash === old.prevHash && now.hash === old.hash;
        if (!same) {
          problems.push({ kind: 'event', seq: old.seq, id: old.id, reason: `event ${old.seq} (${old.id}, ${old.kind}) differs from the earlier export (rewritten${now.hash === old.hash ? '' : ', and its hash recomputed'})` });
          break;
        }
      }
    }
  }

  // 2. The hash chain.
  let prevHash = '';
  const hashAt = new Map<number, string>([[0, '']]);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const expected = i + 1;
    if (e.seq !== expected) {
      problems.push({ kind: 'event', seq: expected, id: null, reason: `event ${expected} is missing (removed); the log jumps from event ${expected - 1} to event ${e.seq} (${e.id})` });
      break;
    }
    if (e.prevHash !== prevHash) {
      problems.push({ kind: 'event', seq: e.seq, id: e.id, reason: `event ${e.seq} does not link to event ${e.seq - 1} (altered, replaced or reordered)` });
      break;
    }
    const h = eventHash({ orgId: doc.orgId, seq: e.seq, id: e.id, ts: e.ts, kind: e.kind, actor: e.actor, subject: e.subject, data: e.data, prevHash: e.prevHash });
    if (h !== e.hash) {
      problems.push({ kind: 'event', seq: e.seq, id: e.id, reason: `event ${e.seq} (${e.kind}) was altered: its content does not match its hash` });
      break;
    }
    hashAt.set(e.seq, e.hash);
    prevHash = e.hash;
  }
  const eventCount = events.length;

  // 3. Checkpoints: signature, chain, and the head each one signed.
  let prevSignature = '';
  let lastGoodCount = 0;
  let latest: AuditVerifyReport['latestCheckpoint'] = null;
  for (let i = 0; i < checkpoints.length; i++) {
    const c = checkpoints[i]!;
    const name = `checkpoint ${c.seq} (${c.id})`;
    const bad = (reason: string) => problems.push({ kind: 'checkpoint', seq: c.seq, id: c.id, reason: `${name} ${reason}` });
    if (c.seq !== i + 1) { bad(`is out of place: expected checkpoint ${i + 1} (one was removed or inserted)`); break; }
    if (c.prevSignature !== prevSignature) { bad(`does not link to checkpoint ${c.seq - 1} (that one was replaced or removed)`); break; }
    const pem = keys.get(c.keyId);
    if (!pem) {
      bad(`is signed by key ${c.keyId}, which is not a trusted key${options.against ? ' (the earlier export does not list it; if the engine\'s key was rotated since, verify against a newer export)' : ''}`);
      break;
    }
    if (!checkpointSignatureValid({ orgId: doc.orgId, ...c }, c.signature, pem)) { bad('has a signature that does not verify (it was altered or forged)'); break; }
    if (c.eventCount > eventCount) {
      problems.push({
        kind: 'event', seq: eventCount + 1, id: null,
        reason: `events ${eventCount + 1} to ${c.eventCount} are missing (removed from the end of the log): ${name}, signed ${c.ts}, counts ${c.eventCount} events but ${eventCount} are present`,
      });
      break;
    }
    if (c.eventCount < lastGoodCount) { bad(`counts ${c.eventCount} events, fewer than the checkpoint before it (${lastGoodCount})`); break; }
    if (hashAt.get(c.eventCount) !== c.headHash) {
      problems.push({
        kind: 'event', seq: lastGoodCount + 1, id: events[lastGoodCount]?.id ?? null,
        reason: `an event from ${lastGoodCount + 1} to ${c.eventCount} was rewritten and the chain recomputed: event ${c.eventCount}'s hash no longer matches the head hash signed in ${name} at ${c.ts}`,
      });
      break;
    }
    prevSignature = c.signature;
    lastGoodCount = c.eventCount;
    latest = { seq: c.seq, id: c.id, ts: c.ts, eventCount: c.eventCount };
  }

  // 4. Against the earlier export: every checkpoint it holds is still here, byte for byte.
  if (options.against && options.against.orgId === doc.orgId) {
    const bySeq = new Map(checkpoints.map((c) => [c.seq, c]));
    for (const old of [...options.against.checkpoints].sort((a, b) => a.seq - b.seq)) {
      const now = bySeq.get(old.seq);
      if (!now) {
        problems.push({ kind: 'checkpoint', seq: old.seq, id: old.id, reason: `checkpoint ${old.seq} (${old.id}) is in the earlier export but no longer in the log (removed)` });
        break;
      }
      if (!sameCheckpoint(now, old)) {
        problems.push({ kind: 'checkpoint', seq: old.seq, id: old.id, reason: `checkpoint ${old.seq} (${old.id}) differs from the earlier export (replaced)` });
        break;
      }
    }
  }

  return { ok: problems.length === 0, orgId: doc.orgId, events: eventCount, checkpoints: checkpoints.length, latestCheckpoint: latest, problems };
}

function sameCheckpoint(a: ExportedCheckpoint, b: ExportedCheckpoint): boolean {
  return a.id === b.id && a.ts === b.ts && a.eventCount === b.eventCount && a.headHash === b.headHash &&
    a.prevSignature === b.prevSignature && a.keyId === b.keyId && a.signature === b.signature;
}
