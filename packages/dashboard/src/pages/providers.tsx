import { Icons } from '../components/icons.js';
import type { listProviders } from '@hangar/core/api';
import type { OrgContext } from '../app.js';
import type { Provider, ProviderLink } from '../api/types.js';
import { EmptyState, ErrorBanner, Loading, PageHeader, StatusPill, Time } from '../components/ui.js';
import { useLoad } from '../components/use-load.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

export function linkLabel(l: ProviderLink): string {
  switch (l.scope) {
    case 'org': return 'Organisation default';
    case 'app': return `App ${l.app ?? l.appId}`;
    case 'app-stage': return `App ${l.app ?? l.appId} · stage ${l.stage}`;
    default: return `Instance ${l.instanceId}`;
  }
}

export const statusLabel: Record<Provider['status'], string> = { pending: 'not verified', verified: 'verified', failed: 'failed' };

export function ProvidersPage({ ctx }: { ctx: OrgContext }) {
  const { api } = useSession();
  const base = `/orgs/${ctx.org.id}`;
  const providers = useLoad(() => api.call<typeof listProviders>('GET', '/api/v1/orgs/:orgId/providers', { params: { orgId: ctx.org.id } }), [base]);
  const list = providers.data?.providers ?? [];
  const canAdd = ctx.can('admin');
  const add = canAdd ? <Link className="btn btn-primary" to={`${base}/providers/new`}>Add AWS provider</Link> : undefined;
  return (
    <div className="stack">
      <PageHeader
        title="Providers"
        description="A provider is an IAM role in your AWS account that Hangar assumes, with an external ID it generated, to deploy. No keys are stored."
        actions={list.length > 0 ? add : undefined}
      />
      <div className="card">
        {providers.loading && !providers.data ? <Loading what="providers" /> : providers.error ? <div className="card-body"><ErrorBanner error={providers.error} title="Could not load providers" /></div> : list.length === 0 ? (
          <EmptyState title="No providers yet" icon={<Icons.providers />} action={add}>
            {canAdd ? 'Add one to let Hangar deploy into your AWS account. It takes a few minutes: create a role from the template we give you, then verify it.' : 'An owner or admin can add one to let Hangar deploy into your AWS account.'}
          </EmptyState>
        ) : (
          <div className="table-wrap"><table aria-label="Providers">
            <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Region</th><th scope="col">Status</th><th scope="col">Used for</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id}>
                  <td><Link to={`${base}/providers/${p.id}`}><strong>{p.name}</strong></Link><div className="small muted">{p.mode}</div></td>
                  <td>{p.roleArn ? <code>{p.roleArn}</code> : <span className="muted">no role yet</span>}</td>
                  <td className="nowrap">{p.region}</td>
                  <td><StatusPill status={p.status === 'pending' ? 'unverified' : p.status} label={statusLabel[p.status]} /></td>
                  <td>{p.links.length === 0 ? <span className="muted">not linked</span> : p.links.map((l) => <div key={l.id}>{linkLabel(l)}</div>)}</td>
                  <td><Time iso={p.createdAt} /><div className="small muted">{p.createdBy}</div></td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </div>
    </div>
  );
}
