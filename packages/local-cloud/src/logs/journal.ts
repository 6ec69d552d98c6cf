/**
 * Logs persist in their own append-only journal (`<dataDir>/logs.ndjson`) rather than in the
 * cloud's state document: every invocation writes log lines, and rewriting the whole state for
 * each would make a warm request cost more than the request. Appends are batched (100 ms) and
 * flushed at close; at start the journal is replayed and compacted.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { appendEvents, ensureGroup, ensureStream, purgeExpired, type LogsState } from './store.js';

export type JournalRecord =
  | { op: 'group'; k: string; g: string; t: number }
  | { op: 'stream'; k: string; g: string; s: string; t: number }
  | { op: 'events'; k: string; g: string; s: string; i: number; e: [number, string][] }
  | { op: 'delete-group'; k: string; g: string }
  | { op: 'delete-stream'; k: string; g: string; s: string }
  | { op: 'retention'; k: string; g: string; d: number }
  | { op: 'delete-retention'; k: string; g: string }
  | { op: 'tags'; k: string; g: string; tags: Record<string, string> };

export interface Journal {
  append(rec: JournalRecord): void;
  flush(): void;
}

const scopeOf = (k: string) => {
  const [accountId = '', region = ''] = k.split('/');
  return { accountId, region };
};

export function applyRecord(state: LogsState, r: JournalRecord): void {
  const scope = scopeOf(r.k);
  switch (r.op) {
    case 'group': ensureGroup(state, scope, r.g, r.t); break;
    case 'stream': ensureStream(ensureGroup(state, scope, r.g, r.t), r.s, r.t); break;
    case 'events': {
      const t = r.e[0]?.[0] ?? r.i;
      appendEvents(ensureStream(ensureGroup(state, scope, r.g, t), r.s, t), r.e.map(([timestamp, message]) => ({ timestamp, message })), r.i);
      break;
    }
    case 'delete-group': delete state.scopes[r.k]?.[r.g]; break;
    case 'delete-stream': delete state.scopes[r.k]?.[r.g]?.streams[r.s]; break;
    case 'retention': { const g = state.scopes[r.k]?.[r.g]; if (g) g.retentionInDays = r.d; break; }
    case 'delete-retention': { const g = state.scopes[r.k]?.[r.g]; if (g) delete g.retentionInDays; break; }
    case 'tags': { const g = state.scopes[r.k]?.[r.g]; if (g) g.tags = { ...r.tags }; break; }
  }
}

/** The records that rebuild `state` (used to compact the journal). */
function recordsOf(state: LogsState): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (const [k, groups] of Object.entries(state.scopes)) {
    for (const g of Object.values(groups)) {
      out.push({ op: 'group', k, g: g.name, t: g.creationTime });
      if (g.retentionInDays) out.push({ op: 'retention', k, g: g.name, d: g.retentionInDays });
      if (g.tags && Object.keys(g.tags).length) out.push({ op: 'tags', k, g: g.name, tags: g.tags });
      for (const s of Object.values(g.streams)) {
        out.push({ op: 'stream', k, g: g.name, s: s.name, t: s.creationTime });
        if (s.events.length) out.push({ op: 'events', k, g: g.name, s: s.name, i: s.lastIngestionTime ?? s.creationTime, e: s.events.map((e) => [e.timestamp, e.message]) });
      }
    }
  }
  return out;
}

/**
 * Replays and compacts the journal in `file` (when given) into `state`; returns the writer.
 * Events past their group's retention at `now` are left out of the compacted journal.
 */
export function openJournal(file: string | undefined, state: LogsState, now = Date.now()): Journal {
  if (!file) return { append: () => undefined, flush: () => undefined };
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        applyRecord(state, JSON.parse(line) as JournalRecord);
      } catch {
        // A torn last line from a crash: everything before it is kept.
      }
    }
    for (const groups of Object.values(state.scopes)) for (const g of Object.values(groups)) purgeExpired(g, now);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, recordsOf(state).map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
    renameSync(tmp, file);
  }
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    // Owner-only, like the state file: functions may log anything.
    appendFileSync(file, text, { mode: 0o600 });
  };
  return {
    append(rec) {
      pending.push(`${JSON.stringify(rec)}\n`);
      timer ??= setTimeout(flush, 100);
    },
    flush,
  };
}
