import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { FunctionError, FunctionHealth, FunctionLogEvent, instanceHealth } from '@hangar/core/api';
import { useSession } from '../session.js';
import { useFunctionLogs } from './use-function-logs.js';
import { useLoad } from './use-load.js';
import { usePoll } from './use-poll.js';
import { CopyButton, ErrorBanner, formatDuration, Time } from './ui.js';

/** The `since` choices of the live log view (the engine takes `30s`, `10m`, `2h`, `7d` or an ISO time). */
export const SINCE_CHOICES = [
  { value: '5m', label: 'Last 5 minutes' },
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '1d', label: 'Last day' },
  { value: '7d', label: 'Last 7 days' },
] as const;

/**
 * What the function did: a health summary for the last hour (from its REPORT lines and errors)
 * and its runtime log, followed live. Both are read by the engine with a short session limited to
 * reading this function's log group; the browser holds no AWS credentials.
 */
export function FunctionPanel({ orgId, instanceId }: { orgId: string; instanceId: string }) {
  const { api } = useSession();
  const health = useLoad(
    () => api.call<typeof instanceHealth>('GET', '/api/v1/orgs/:orgId/instances/:instanceId/health', { params: { orgId, instanceId }, query: { since: '1h' } }),
    [orgId, instanceId],
  );
  usePoll(health.reload, 15_000);
  const [since, setSince] = useState<string>('1h');
  const [filter, setFilter] = useState('');
  const logs = useFunctionLogs(orgId, instanceId, { since, filter, enabled: true });
  // A new error in the live view refreshes the summary at once, so both agree.
  const errorsSeen = logs.lines.filter((l) => l.kind === 'error').length;
  const reloadHealth = health.reload;
  useEffect(() => { if (errorsSeen > 0) reloadHealth(); }, [errorsSeen, reloadHealth]);

  return (
    <>
      <section className="card" aria-labelledby="health-h" data-testid="function-health">
        <div className="card-head">
          <h2 id="health-h">Function health</h2>
          <span className="small muted">{health.data ? <>last hour · <code>{health.data.logGroup}</code></> : 'last hour'}</span>
        </div>
        <div className="card-body">
          {health.error && !health.data ? <ErrorBanner error={health.error} title="Could not read the function's health" />
            : !health.data ? <div className="muted" role="status">Reading the function's log…</div>
              : <HealthSummary health={health.data} />}
        </div>
      </section>
      <FunctionLogCard logs={logs} since={since} onSince={setSince} filter={filter} onFilter={setFilter} />
    </>
  );
}

function HealthSummary({ health }: { health: FunctionHealth }) {
  const rate = health.invocations > 0 ? Math.round((health.errors / health.invocations) * 1000) / 10 : 0;
  return (
    <div className="stack" style={{ gap: 16 }}>
      <dl className="stats">
        <Stat label="Invocations" value={String(health.invocations)} id="invocations" />
        <Stat label="Errors" value={String(health.errors)} id="errors" tone={health.errors > 0 ? 'bad' : undefined} note={health.invocations > 0 ? `${rate}% of invocations` : undefined} />
        <Stat label="Duration p50" value={formatDuration(health.durationMs?.p50)} id="p50" />
        <Stat label="Duration p99" value={formatDuration(health.durationMs?.p99)} id="p99" />
        <Stat label="Cold starts" value={String(health.coldStarts)} id="cold-starts" />
      </dl>
      {health.lastError ? <LastError error={health.lastError} /> : (
        <div className="small muted" data-testid="no-errors">{health.invocations === 0 ? 'No invocations in the last hour.' : 'No errors in the last hour.'}</div>
      )}
    </div>
  );
}

function Stat({ label, value, id, tone, note }: { label: string; value: string; id: string; tone?: 'bad' | undefined; note?: string | undefined }) {
  return (
    <div className={`stat${tone ? ` stat-${tone}` : ''}`} data-stat={id}>
      <dt>{label}</dt>
      <dd>{value}{note && <span className="small muted stat-note">{note}</span>}</dd>
    </div>
  );
}

function LastError({ error }: { error: FunctionError }) {
  return (
    <div className="last-error" role="group" aria-label="Last error" data-testid="last-error">
      <div className="spread wrap">
        <strong>Last error{error.errorType ? <>: <code>{error.errorType}</code></> : null}</strong>
        <Time iso={error.ts} />
      </div>
      <div className="last-error-message">{error.message}</div>
      {error.requestId && (
        <div className="row small">
          <span>Request id <code data-testid="last-error-request-id">{error.requestId}</code></span>
          <CopyButton text={error.requestId} describedAs="request id" />
        </div>
      )}
      {error.stack.length > 0 && <pre className="codeblock stack-lines" aria-label="Stack" tabIndex={0}><code>{error.stack.join('\n')}</code></pre>}
    </div>
  );
}

function FunctionLogCard({ logs, since, onSince, filter, onFilter }: {
  logs: ReturnType<typeof useFunctionLogs>; since: string; onSince(v: string): void; filter: string; onFilter(v: string): void;
}) {
  const [draft, setDraft] = useState(filter);
  const [errorsOnly, setErrorsOnly] = useState(false);
  const shown = errorsOnly ? logs.lines.filter((l) => l.kind === 'error') : logs.lines;
  function apply(e: FormEvent) {
    e.preventDefault();
    onFilter(draft.trim());
  }
  return (
    <section className="card" aria-labelledby="fnlog-h">
      <div className="card-head">
        <h2 id="fnlog-h">Function log</h2>
        <span className="row">
          {logs.live ? <span className="pill pill-info pill-live" data-testid="function-log-live">Live</span> : !logs.error && <span className="pill">connecting</span>}
          <span className="small muted">{logs.lines.length} line{logs.lines.length === 1 ? '' : 's'}</span>
        </span>
      </div>
      <form className="filters" onSubmit={apply} role="search" aria-label="Function log filters">
        <div className="field">
          <label htmlFor="fnlog-since">Since</label>
          <select id="fnlog-since" value={since} onChange={(e) => onSince(e.target.value)}>
            {SINCE_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor="fnlog-filter">Filter</label>
          <input id="fnlog-filter" type="search" spellCheck={false} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder='A CloudWatch Logs pattern, e.g. ERROR or "timed out"' />
        </div>
        <button type="submit" className="btn">Apply</button>
        {filter && <button type="button" className="btn btn-ghost" onClick={() => { setDraft(''); onFilter(''); }}>Clear</button>}
        <label className="check-inline"><input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} /> Errors only</label>
      </form>
      <div className="card-body">
        <ErrorBanner error={logs.error} title="The function log stopped" />
        {logs.dropped > 0 && <div className="small muted" style={{ marginBottom: 8 }}>{logs.dropped} older line{logs.dropped === 1 ? '' : 's'} not shown.</div>}
        <FunctionLogView lines={shown} live={logs.live} onRequestId={(id) => { setDraft(`"${id}"`); onFilter(`"${id}"`); }} empty={errorsOnly ? 'No errors in this period.' : filter ? 'No lines match the filter in this period.' : 'No log lines in this period. Call the function (its URL) and they appear here.'} />
      </div>
    </section>
  );
}

const kindLabel: Record<FunctionLogEvent['kind'], string> = { log: 'log', error: 'error', start: 'start', end: 'end', report: 'report' };

/**
 * What a line shows: Node's Lambda runtime prefixes console output with `<time>\t<request id>\t<LEVEL>\t`,
 * which the columns already say, and writes an uncaught error as `Invoke Error \t{errorType, errorMessage, trace}`;
 * both are shown plainly (the raw message stays in the engine's API and `hangar logs`).
 */
export function displayOf(l: Pick<FunctionLogEvent, 'kind' | 'message' | 'errorType'>): { label: string; text: string } {
  let text = l.message.replace(/\n+$/, '');
  let level: string | undefined;
  const prefixed = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\t([A-Z]+)\t([\s\S]*)$/.exec(text);
  if (prefixed) { level = prefixed[1]!.toLowerCase(); text = prefixed[2]!; }
  const invokeError = /^Invoke Error\s*\t(\{[\s\S]*\})\s*$/.exec(text);
  if (invokeError) {
    try {
      const e = JSON.parse(invokeError[1]!) as { errorType?: string; errorMessage?: string; trace?: string[] };
      const trace = Array.isArray(e.trace) ? e.trace : [];
      text = trace.length > 0 ? trace.join('\n') : `${e.errorType ?? 'Error'}: ${e.errorMessage ?? ''}`;
    } catch { /* not JSON: shown as it is */ }
  }
  const label = l.kind === 'error' ? (l.errorType ?? 'error') : l.kind === 'log' && level ? level : kindLabel[l.kind];
  return { label, text };
}

function FunctionLogView({ lines, live, empty, onRequestId }: { lines: FunctionLogEvent[]; live: boolean; empty: string; onRequestId(id: string): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  return (
    <div
      className="log fn-log" ref={ref} role="log" aria-live={live ? 'polite' : 'off'} aria-label="Function log" tabIndex={0} data-testid="function-log"
      onScroll={(e) => { const el = e.currentTarget; pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24; }}
    >
      {lines.length === 0 ? <div className="log-empty">{empty}</div> : lines.map((l) => {
        const shown = displayOf(l);
        return (
          <div key={l.id} className={`fn-line kind-${l.kind}`} data-kind={l.kind} data-request-id={l.requestId ?? undefined}>
            <span className="t" title={l.ts}>{new Date(l.ts).toLocaleTimeString(undefined, { hour12: false })}</span>
            <span className="lvl" title={l.errorType ?? undefined}>{shown.label}</span>
            <span className="m">
              {l.requestId && l.kind !== 'start' && l.kind !== 'end' && l.kind !== 'report' && (
                <button type="button" className="rid" title={`Request id ${l.requestId}: show only this invocation's lines`} aria-label={`Show only the lines of request ${l.requestId}`} onClick={() => onRequestId(l.requestId!)}>{l.requestId.slice(0, 8)}</button>
              )}
              {shown.text}
            </span>
          </div>
        );
      })}
    </div>
  );
}
