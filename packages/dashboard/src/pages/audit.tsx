import { Icons } from '../components/icons.js';
import type { listAudit, verifyAudit } from '@hangar/core/api';
import { useState, type ReactNode } from 'react';
import type { OrgContext } from '../app.js';
import type { AuditEvent, AuditVerify } from '../api/types.js';
import { EmptyState, ErrorBanner, Loading, PageHeader, Time } from '../components/ui.js';
import { useLoad } from '../components/use-load.js';
import { useRouter } from '../router.js';
import { useSession } from '../session.js';

const KINDS = [
  'credentials.requested', 'credentials.issued', 'credentials.failed', 'deployment.started', 'deployment.finished',
  'provider.created', 'provider.updated', 'provider.verified', 'provider.linked', 'provider.unlinked', 'provider.deleted',
  'token.created', 'token.revoked', 'member.added', 'member.role_changed', 'member.removed', 'org.created', 'session.created', 'session.org_added', 'provider.verification_failed',
];

export function AuditPage({ ctx }: { ctx: OrgContext }) {
  const { api } = useSession();
  const { search, navigate, path } = useRouter();
  const kind = search.get('kind') ?? '';
  const actor = search.get('actor') ?? '';
  const subject = search.get('subject') ?? '';
  const [actorDraft, setActorDraft] = useState(actor);
  const base = `/orgs/${ctx.org.id}/audit`;
  const [older, setOlder] = useState<{ events: AuditEvent[]; nextBefore: number | null } | undefined>();
  const query = { limit: 50, ...(kind ? { kind } : {}), ...(actor ? { actor } : {}), ...(subject ? { subject } : {}) };
  const list = (before?: number) => api.call<typeof listAudit>('GET', '/api/v1/orgs/:orgId/audit', { params: { orgId: ctx.org.id }, query: { ...query, ...(before ? { before } : {}) } });
  const events = useLoad(async () => { setOlder(undefined); return list(); }, [base, kind, actor, subject]);
  const verify = useLoad(() => api.call<typeof verifyAudit>('GET', '/api/v1/orgs/:orgId/audit/verify', { params: { orgId: ctx.org.id } }), [base]);

  function setFilter(next: { kind?: string; actor?: string; subject?: string }) {
    const q = new URLSearchParams();
    const k = next.kind ?? kind;
    const a = next.actor ?? actor;
    const sub = next.subject ?? subject;
    if (k) q.set('kind', k);
    if (a) q.set('actor', a);
    if (sub) q.set('subject', sub);
    navigate(`${path}${q.size ? `?${q}` : ''}`, { replace: true });
  }

  const all = [...(events.data?.events ?? []), ...(older?.events ?? [])];
  const nextBefore = older ? older.nextBefore : events.data?.nextBefore ?? null;
  async function loadOlder() {
    if (!nextBefore) return;
    const page = await list(nextBefore);
    setOlder({ events: [...(older?.events ?? []), ...page.events], nextBefore: page.nextBefore });
  }

  return (
    <div className="stack">
      <PageHeader
        title="Audit log"
        description="Every credential issued, provider change, deployment and token change in this organisation, newest first. Each event is chained to the one before it by hash."
        actions={<ChainBadge verify={verify.data} error={verify.error} loading={verify.loading} />}
      />
      {verify.data && !verify.data.ok && (
        <div className="banner banner-bad" role="alert"><div><strong>The audit chain does not verify</strong>{verify.data.brokenAt.reason}</div></div>
      )}
      <div className="card">
        <form className="filters" onSubmit={(e) => { e.preventDefault(); setFilter({ actor: actorDraft.trim() }); }} aria-label="Filter the audit log">
          <div className="field">
            <label htmlFor="audit-kind">Kind</label>
            <select id="audit-kind" value={kind} onChange={(e) => setFilter({ kind: e.target.value })}>
              <option value="">All kinds</option>
              {KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-actor">Actor</label>
            <input id="audit-actor" type="search" placeholder="user:alice@example.com or token:ci" value={actorDraft} onChange={(e) => setActorDraft(e.target.value)} style={{ minWidth: 280 }} />
          </div>
          <button type="submit" className="btn">Apply</button>
          {subject && (
            <span className="kv" style={{ alignSelf: 'center', padding: '4px 8px' }}>
              <span className="k">subject</span><span className="v">{subject}</span>
              <button type="button" className="btn btn-ghost btn-sm" style={{ padding: '0 4px' }} aria-label={`Remove the subject filter ${subject}`} onClick={() => setFilter({ subject: '' })}>✕</button>
            </span>
          )}
          {(kind || actor || subject) && <button type="button" className="btn btn-ghost" onClick={() => { setActorDraft(''); navigate(path, { replace: true }); }}>Clear filters</button>}
        </form>
        {events.loading && !events.data ? <Loading what="the audit log" /> : events.error ? <div className="card-body"><ErrorBanner error={events.error} title="Could not load the audit log" /></div> : all.length === 0 ? (
          <EmptyState title={kind || actor || subject ? 'No events match these filters' : 'No events yet'} icon={<Icons.audit />}>
            {kind || actor || subject ? 'Clear the filters to see every event.' : 'Events appear here as providers are added, deployments run and tokens change.'}
          </EmptyState>
        ) : (
          <div className="table-wrap"><table aria-label="Audit events" className="fixed">
            <colgroup><col style={{ width: 52 }} /><col style={{ width: 180 }} /><col style={{ width: 260 }} /><col /></colgroup>
            <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Event and actor</th><th scope="col">Details</th></tr></thead>
            <tbody>
              {all.map((e) => (
                <tr key={e.id} data-kind={e.kind} className={e.kind === 'credentials.issued' ? 'audit-credentials' : undefined}>
                  <td className="muted">{e.seq}</td>
                  <td><Time iso={e.ts} /></td>
                  <td>
                    <span className="tag">{e.kind}</span>
                    <div>
                      <button type="button" className="btn btn-ghost btn-sm actor-btn" data-actor={e.actor} title="Show only this actor" onClick={() => { setActorDraft(e.actor); setFilter({ actor: e.actor }); }}>{e.actor}</button>
                    </div>
                  </td>
                  <td><EventDetails event={e} onSubject={(sub) => setFilter({ subject: sub })} /></td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
        {nextBefore && <div className="card-body"><button type="button" className="btn" onClick={() => void loadOlder()}>Load older events</button></div>}
      </div>
    </div>
  );
}

function ChainBadge({ verify, error, loading }: { verify: AuditVerify | undefined; error: unknown; loading: boolean }) {
  if (loading && !verify) return <span className="pill">Checking chain…</span>;
  if (error || !verify) return <span className="pill pill-warn" data-testid="chain-badge">Chain not checked</span>;
  return verify.ok
    ? <span className="pill pill-ok" data-testid="chain-badge" title={`${verify.count} events, each linked to the one before`}>Hash chain verified · {verify.count} events</span>
    : <span className="pill pill-bad" data-testid="chain-badge">Hash chain broken at event {verify.brokenAt.seq}</span>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** Credential requests, issuances and failures get their own layout: provider, role, session name, source identity, expiry or AWS error. */
function EventDetails({ event, onSubject }: { event: AuditEvent; onSubject(subject: string): void }) {
  const d = event.data;
  const subject = event.subject && (
    <button type="button" className="btn btn-ghost btn-sm subject subject-btn" title="Show only events about this" onClick={() => onSubject(event.subject!)}>{event.subject}</button>
  );
  if (event.kind === 'credentials.issued' || event.kind === 'credentials.requested' || event.kind === 'credentials.failed') {
    const facts: [string, ReactNode][] = [
      ['Provider', str(d.provider) ?? str(d.providerId) ?? '—'],
      ['Role', <code key="r">{str(d.roleArn) ?? '—'}</code>],
      ['Session name', <code key="s">{str(d.sessionName) ?? '—'}</code>],
      ['Source identity', <code key="i">{str(d.sourceIdentity) ?? '—'}</code>],
      ...(event.kind === 'credentials.issued' ? [['Expires', <Time key="e" iso={str(d.expiresAt)} />] as [string, ReactNode]] : []),
      ...(event.kind === 'credentials.failed' ? [['AWS error', <code key="a">{str(d.awsCode) ?? '—'}</code>] as [string, ReactNode]] : []),
      ...(d.refresh ? [['Refresh', 'yes'] as [string, ReactNode]] : []),
    ];
    return (
      <div>
        {subject}
        <dl className="facts small">
          {facts.map(([k, v]) => <div key={k} className="contents"><dt>{k}</dt><dd>{v}</dd></div>)}
        </dl>
      </div>
    );
  }
  const simple = Object.entries(d).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object');
  return (
    <div>
      {subject}
      {simple.length> 0 && <div className="kvs">{simple.map(([k, v]) => <span key={k} className="kv"><span className="k">{k}</span><span className="v">{String(v)}</span></span>)}</div>}
    </div>
  );
}
