import { useState } from 'react';
import type { OrgContext } from '../app.js';
import type { deleteProvider, getProvider, listInstances } from '@hangar/core/api';
import { ApiError } from '../api/client.js';
import { LinkPanel, SetupPanel, VerifyPanel } from '../components/provider-parts.js';
import { ProviderEditForm } from '../components/provider-edit.js';
import { ErrorBanner, Loading, PageHeader, StatusPill, Time } from '../components/ui.js';
import { useLoad } from '../components/use-load.js';
import { Link, useRouter } from '../router.js';
import { useSession } from '../session.js';
import { NotFound } from './not-found.js';
import { statusLabel } from './providers.js';

export function ProviderPage({ ctx, providerId }: { ctx: OrgContext; providerId: string }) {
  const { api } = useSession();
  const { navigate } = useRouter();
  const base = `/orgs/${ctx.org.id}/providers`;
  const provider = useLoad(() => api.call<typeof getProvider>('GET', '/api/v1/orgs/:orgId/providers/:id', { params: { orgId: ctx.org.id, id: providerId } }), [ctx.org.id, providerId]);
  const instances = useLoad(() => api.call<typeof listInstances>('GET', '/api/v1/orgs/:orgId/instances', { params: { orgId: ctx.org.id } }), [ctx.org.id]);
  const [error, setError] = useState<unknown>();
  const admin = ctx.can('admin');

  if (provider.error instanceof ApiError && provider.error.status === 404) return <NotFound what="provider" />;
  if (provider.loading && !provider.data) return <Loading what="the provider" />;
  if (provider.error || !provider.data) return <ErrorBanner error={provider.error} title="Could not load the provider" />;
  const p = provider.data;
  const apps = [...new Set((instances.data?.instances ?? []).map((i) => i.app))].sort();

  async function remove() {
    if (!window.confirm(`Delete provider "${p.name}"? Its links are removed; deployments that used it fail until another provider is linked.`)) return;
    try { await api.call<typeof deleteProvider>('DELETE', '/api/v1/orgs/:orgId/providers/:id', { params: { orgId: ctx.org.id, id: p.id } }); navigate(base); } catch (err) { setError(err); }
  }

  return (
    <div className="stack">
      <PageHeader
        crumbs={<><Link to={base}>Providers</Link> / {p.name}</>}
        title={<span className="row">{p.name} <StatusPill status={p.status === 'pending' ? 'unverified' : p.status} label={statusLabel[p.status]} /></span>}
        description={p.roleArn ? <code>{p.roleArn}</code> : 'No role ARN yet.'}
        actions={<>
          <Link className="btn" to={`/orgs/${ctx.org.id}/audit?subject=${encodeURIComponent(`provider:${p.id}`)}`}>Audit trail</Link>
          {admin && <button type="button" className="btn btn-danger" onClick={remove}>Delete provider</button>}
        </>}
      />
      <ErrorBanner error={error} />
      <div className="card"><div className="card-body">
        <dl className="facts">
          <dt>Mode</dt><dd>{p.mode}</dd>
          <dt>Region</dt><dd>{p.region}</dd>
          <dt>Account</dt><dd>{p.accountId ?? '—'}</dd>
          <dt>Session length</dt><dd>{p.sessionDurationSeconds} s per deployment session, refreshed before expiry</dd>
          <dt>External ID</dt><dd><code>{p.externalId}</code></dd>
          <dt>Created</dt><dd><Time iso={p.createdAt} /> by {p.createdBy}</dd>
        </dl>
      </div></div>
      <section className="card" aria-labelledby="verify-h">
        <div className="card-head"><h2 id="verify-h">Verification</h2>{p.lastVerification && <span className="small muted">last run <Time iso={p.lastVerification.at} /></span>}</div>
        <div className="card-body">
          {!admin && !p.lastVerification ? <p className="muted">Not verified yet. An owner or admin can verify it.</p> : <VerifyPanel orgId={ctx.org.id} provider={p} canChange={admin} onResult={() => provider.reload()} />}
        </div>
      </section>
      {admin && (
        <section className="card" aria-labelledby="edit-h">
          <div className="card-head"><h2 id="edit-h">Role, region and account</h2></div>
          <div className="card-body"><ProviderEditForm orgId={ctx.org.id} provider={p} onSaved={() => provider.reload()} /></div>
        </section>
      )}
      <section className="card" aria-labelledby="links-h">
        <div className="card-head"><h2 id="links-h">Links</h2></div>
        <div className="card-body"><LinkPanel orgId={ctx.org.id} provider={p} canChange={admin} onChange={() => provider.reload()} apps={apps} /></div>
      </section>
      <section className="card" aria-labelledby="setup-h">
        <div className="card-head"><h2 id="setup-h">Role setup</h2></div>
        <div className="card-body"><SetupPanel provider={p} /></div>
      </section>
    </div>
  );
}
