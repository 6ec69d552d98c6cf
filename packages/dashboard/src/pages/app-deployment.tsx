import type { getAppDeployment } from '@hangar/core/api';
import type { OrgContext } from '../app.js';
import { ApiError } from '../api/client.js';
import { useLoad } from '../components/use-load.js';
import { usePoll } from '../components/use-poll.js';
import { ErrorBanner, Loading, PageHeader, StatusPill, Time } from '../components/ui.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { NotFound } from './not-found.js';
import { Outputs } from './instances.js';

/** One app deployment (`hangar deploy` at an app's root): each instance's status, what it waits for, and a link to its log. */
export function AppDeploymentPage({ ctx, id }: { ctx: OrgContext; id: string }) {
  const { api } = useSession();
  const base = `/orgs/${ctx.org.id}`;
  const a = useLoad(() => api.call<typeof getAppDeployment>('GET', '/api/v1/orgs/:orgId/app-deployments/:id', { params: { orgId: ctx.org.id, id } }), [base, id]);
  usePoll(a.reload, 2000, a.data?.status === 'running');
  if (a.error instanceof ApiError && a.error.status === 404) return <NotFound what="app deployment" />;
  if (a.loading && !a.data) return <Loading what="the app deployment" />;
  if (a.error || !a.data) return <ErrorBanner error={a.error} title="Could not load the app deployment" />;
  const d = a.data;
  return (
    <div className="stack">
      <PageHeader
        crumbs={<><Link to={`${base}/instances`}>Instances</Link> / {d.app} / {d.stage}</>}
        title={<span className="row">App {d.action} <StatusPill status={d.status} /></span>}
        description={<>{d.instances.length} instances · by {d.actor} · <Time iso={d.createdAt} />{d.finishedAt ? <> · finished <Time iso={d.finishedAt} /></> : null}</>}
      />
      <section className="card" aria-label="Instances of this app deployment">
        <div className="table-wrap">
          <table className="fixed">
            <thead><tr><th scope="col">Instance</th><th scope="col">Status</th><th scope="col">Waits for</th><th scope="col">Log</th><th scope="col">Outputs</th></tr></thead>
            <tbody>
              {d.instances.map((i) => (
                <tr key={i.name} data-instance={i.name}>
                  <td><strong>{i.name}</strong> <span className="tag">{i.component}</span><div className="small muted">{i.file}</div></td>
                  <td><StatusPill status={i.status} />{i.error ? <div className="small" role="note">{i.error.code}: {i.error.message}</div> : null}</td>
                  <td className="small">{i.waitsFor.length ? i.waitsFor.join(', ') : <span className="muted">—</span>}</td>
                  <td>{i.deploymentId && i.instanceId ? <Link to={`${base}/instances/${i.instanceId}/deployments/${i.deploymentId}`}>log</Link> : <span className="muted">—</span>}</td>
                  <td><Outputs outputs={i.outputs} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
