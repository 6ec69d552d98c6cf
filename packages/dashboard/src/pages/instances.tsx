import { Icons } from '../components/icons.js';
import type { listAppDeployments, listInstances } from '@hangar/core/api';
import type { OrgContext } from '../app.js';
import type { Instance } from '../api/types.js';
import { CodeName, EmptyState, ErrorBanner, formatDuration, Loading, OutputValue, PageHeader, StatusPill, Time } from '../components/ui.js';
import { useLoad } from '../components/use-load.js';
import { usePoll } from '../components/use-poll.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

/** Instances grouped by app, then stage: what is deployed where, and what is deploying now. */
export function InstancesPage({ ctx }: { ctx: OrgContext }) {
  const { api } = useSession();
  const base = `/orgs/${ctx.org.id}`;
  const instances = useLoad(() => api.call<typeof listInstances>('GET', '/api/v1/orgs/:orgId/instances', { params: { orgId: ctx.org.id } }), [base]);
  const appDeps = useLoad(() => api.call<typeof listAppDeployments>('GET', '/api/v1/orgs/:orgId/app-deployments', { params: { orgId: ctx.org.id }, query: { limit: 50 } }), [base]);
  usePoll(() => { instances.reload(); appDeps.reload(); }, 3000);
  /** The newest app deployment of an app and stage, if any (listed newest first). */
  const latestApp = (app: string, stage: string) => appDeps.data?.appDeployments.find((d) => d.app === app && d.stage === stage);
  const list = instances.data?.instances ?? [];
  const groups = new Map<string, Map<string, Instance[]>>();
  for (const i of [...list].sort((a, b) => a.app.localeCompare(b.app) || a.stage.localeCompare(b.stage) || a.name.localeCompare(b.name))) {
    const byStage = groups.get(i.app) ?? new Map<string, Instance[]>();
    groups.set(i.app, byStage);
    byStage.set(i.stage, [...(byStage.get(i.stage) ?? []), i]);
  }
  return (
    <div className="stack">
      <PageHeader title="Instances" description="Everything deployed in this organisation, by app and stage. Deployments start from the CLI: hangar deploy." />
      {instances.loading && !instances.data ? <div className="card"><Loading what="instances" /></div> : instances.error ? <ErrorBanner error={instances.error} title="Could not load instances" /> : list.length === 0 ? (
        <div className="card">
          <EmptyState title="Nothing deployed yet" icon={<Icons.instances />} action={<Link className="btn" to={`${base}/providers`}>Check providers</Link>}>
            Run <code>hangar deploy</code> in a folder with a <code>hangar.yml</code>. The first deployment of an app and stage creates its instance here. It needs a verified provider linked to the organisation, app or stage.
          </EmptyState>
        </div>
      ) : [...groups].map(([app, stages]) => (
        <section key={app} className="card" aria-label={`App ${app}`}>
          <div className="card-head"><h2 className="group-title">{app} <span className="small muted">{stages.size} stage{stages.size === 1 ? '' : 's'}</span></h2></div>
          {[...stages].map(([stage, items]) => (
            <div key={stage} className="table-wrap">
              <table aria-label={`${app} / ${stage}`} className="fixed">
                <colgroup><col style={{ width: '17%' }} /><col style={{ width: '15%' }} /><col style={{ width: '13%' }} /><col style={{ width: '30%' }} /><col /></colgroup>
                <thead>
                  <tr><th scope="colgroup" colSpan={5} className="stage-row">Stage <span className="tag">{stage}</span> <span className="muted">· {items.length} instance{items.length === 1 ? '' : 's'}</span>{(() => {
                    const d = latestApp(app, stage);
                    return d ? <> · <Link to={`${base}/app-deployments/${d.id}`}>app {d.action} <StatusPill status={d.status} /></Link></> : null;
                  })()}</th></tr>
                  <tr><th scope="col">Instance</th><th scope="col" className="hide-narrow">Component</th><th scope="col">Status</th><th scope="col">URL</th><th scope="col">Last deployment</th></tr>
                </thead>
                <tbody>
                  {items.map((i) => (
                    <tr key={i.id} data-instance={i.name}>
                      <td><Link to={`${base}/instances/${i.id}`}><strong>{i.name}</strong></Link></td>
                      <td className="hide-narrow"><span className="tag">{i.component}</span></td>
                      <td><StatusPill status={i.lastDeployment && (i.lastDeployment.status === 'running' || i.lastDeployment.status === 'queued') ? i.lastDeployment.status : i.status} /></td>
                      <td><InstanceUrl outputs={i.outputs} /></td>
                      <td>
                        {i.lastDeployment ? (
                          <>
                            <Link to={`${base}/instances/${i.id}/deployments/${i.lastDeployment.id}`}><StatusPill status={i.lastDeployment.status} label={`${i.lastDeployment.action} ${i.lastDeployment.status}`} /></Link>
                            {i.lastDeployment.error && <div className="small err-code" title={i.lastDeployment.error.message}><CodeName code={i.lastDeployment.error.code} /></div>}
                            <div className="small muted"><Time iso={i.lastDeployment.createdAt} /> · {i.lastDeployment.actor} · {formatDuration(i.lastDeployment.durationMs)}</div>
                          </>
                        ) : <span className="muted">—</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}

/** The URL an instance answers on: its `url` output, else the first output that is an http(s) URL. */
export function urlOf(outputs: Record<string, unknown> | null | undefined): string | undefined {
  const entries = Object.entries(outputs ?? {});
  const isUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\//.test(v);
  const named = entries.find(([k, v]) => k === 'url' && isUrl(v));
  return (named ?? entries.find(([, v]) => isUrl(v)))?.[1] as string | undefined;
}

/** The list shows only where an instance answers; every other output is on its own page. */
function InstanceUrl({ outputs }: { outputs: Record<string, unknown> | null | undefined }) {
  const url = urlOf(outputs);
  if (!url) return <span className="muted">—</span>;
  return <a className="url" href={url} target="_blank" rel="noreferrer" title={url}>{url}</a>;
}

export function Outputs({ outputs }: { outputs: Record<string, unknown> | null | undefined }) {
  const entries = Object.entries(outputs ?? {});
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="facts small">
      {entries.map(([k, v]) => <div key={k} className="contents"><dt>{k}</dt><dd><OutputValue value={v} /></dd></div>)}
    </dl>
  );
}
