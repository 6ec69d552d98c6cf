import { Icons } from '../components/icons.js';
import type { getInstance, listDeployments } from '@hangar/core/api';
import { useEffect, useRef } from 'react';
import type { OrgContext } from '../app.js';
import type { DeploymentError, LogLine } from '../api/types.js';
import { fixFor } from '../api/error-fixes.js';
import { ApiError } from '../api/client.js';
import { useDeploymentLog } from '../components/use-deployment-log.js';
import { useLoad } from '../components/use-load.js';
import { usePoll } from '../components/use-poll.js';
import { CodeName, EmptyState, ErrorBanner, formatDuration, Loading, PageHeader, StatusPill, Time } from '../components/ui.js';
import { Link, useRouter } from '../router.js';
import { useSession } from '../session.js';
import { NotFound } from './not-found.js';
import { Outputs, urlOf } from './instances.js';
import { FunctionPanel } from '../components/function-ops.js';

export function InstancePage({ ctx, instanceId, deploymentId }: { ctx: OrgContext; instanceId: string; deploymentId?: string | undefined }) {
  const { api } = useSession();
  const { navigate } = useRouter();
  const base = `/orgs/${ctx.org.id}`;
  const instance = useLoad(() => api.call<typeof getInstance>('GET', '/api/v1/orgs/:orgId/instances/:instanceId', { params: { orgId: ctx.org.id, instanceId } }), [base, instanceId]);
  const deployments = useLoad(() => api.call<typeof listDeployments>('GET', '/api/v1/orgs/:orgId/deployments', { params: { orgId: ctx.org.id }, query: { instanceId, limit: 50 } }), [base, instanceId]);
  // New deployments (started from the CLI, say) appear without a reload.
  usePoll(() => { deployments.reload(); }, 2000, !instance.error);

  const list = deployments.data?.deployments ?? [];
  const selected = deploymentId ? list.find((d) => d.id === deploymentId) : list[0];
  const log = useDeploymentLog(ctx.org.id, selected, () => { deployments.reload(); instance.reload(); });

  if (instance.error instanceof ApiError && instance.error.status === 404) return <NotFound what="instance" />;
  if (instance.loading && !instance.data) return <Loading what="the instance" />;
  if (instance.error || !instance.data) return <ErrorBanner error={instance.error} title="Could not load the instance" />;
  const i = instance.data;
  const liveStatus = selected && log.status ? log.status : selected?.status;
  // Only an instance whose component deployed a function has runtime logs to read.
  const showFunction = i.status !== 'removed' && typeof i.outputs.functionName === 'string' && typeof i.outputs.functionArn === 'string';
  const url = urlOf(i.outputs);

  return (
    <div className="stack">
      <PageHeader
        crumbs={<><Link to={`${base}/instances`}>Instances</Link> / {i.app} / {i.stage}</>}
        title={<span className="row">{i.name} <StatusPill status={i.status} /></span>}
        description={<>Component <span className="tag">{i.component}</span> · app <strong>{i.app}</strong> · stage <strong>{i.stage}</strong> · updated <Time iso={i.updatedAt} /></>}
        actions={url ? <a className="btn" href={url} target="_blank" rel="noreferrer">Open URL ↗</a> : undefined}
      />
      {showFunction && <FunctionPanel orgId={ctx.org.id} instanceId={i.id} />}
      <section className="card" aria-labelledby="outputs-h">
        <div className="card-head"><h2 id="outputs-h">Outputs</h2></div>
        <div className="card-body">{Object.keys(i.outputs).length > 0 ? <Outputs outputs={i.outputs} /> : <span className="muted">No outputs yet: they appear when a deployment succeeds.</span>}</div>
      </section>
      <section className="card" aria-labelledby="history-h">
        <div className="card-head"><h2 id="history-h">Deployment history</h2><span className="small muted">newest first</span></div>
        {deployments.error ? <div className="card-body"><ErrorBanner error={deployments.error} title="Could not load deployments" /></div> : list.length === 0 ? (
          <EmptyState title="No deployments yet" icon={<Icons.deploy />}>Run <code>hangar deploy</code> for this app and stage.</EmptyState>
        ) : (
          <div className="table-wrap"><table aria-label="Deployments" className="fixed history">
            <colgroup><col style={{ width: '31%' }} /><col style={{ width: '21%' }} /><col style={{ width: '20%' }} /><col /></colgroup>
            <thead><tr><th scope="col">Deployment</th><th scope="col">Result</th><th scope="col">When</th><th scope="col">Provider and role</th></tr></thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id} className={d.id === selected?.id ? 'selected' : undefined} data-deployment={d.id} aria-selected={d.id === selected?.id}>
                  <td>
                    <Link to={`${base}/instances/${i.id}/deployments/${d.id}`} aria-label={`Show the log of deployment ${d.id}`}><code className="dep-id">{d.id}</code></Link>
                    <div className="small muted">{d.action} · {d.actor}</div>
                  </td>
                  <td>
                    <StatusPill status={d.id === selected?.id && liveStatus ? liveStatus : d.status} />
                    {d.error && <div className="small err-code"><CodeName code={d.error.code} />{d.error.awsCode ? ` · ${d.error.awsCode}` : ''}</div>}
                  </td>
                  <td><Time iso={d.createdAt} /><div className="small muted">{formatDuration(d.durationMs)}</div></td>
                  <td>{d.provider ? <><strong>{d.provider.name ?? d.provider.id}</strong><div className="small"><code>{d.provider.roleArn ?? '—'}</code></div></> : <span className="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
      {selected && (
        <section className="card" aria-labelledby="log-h">
          <div className="card-head">
            <h2 id="log-h">Log of <code>{selected.id}</code></h2>
            <span className="row">
              {log.live && <span className="pill pill-info pill-live" data-testid="live-badge">Live</span>}
              <StatusPill status={liveStatus ?? selected.status} />
              <Link className="btn btn-sm" to={`${base}/audit?subject=${encodeURIComponent(`deployment:${selected.id}`)}`}>Audit events</Link>
              {deploymentId && list[0] && list[0].id !== deploymentId && <button type="button" className="btn btn-sm" onClick={() => navigate(`${base}/instances/${i.id}`)}>Follow the latest</button>}
            </span>
          </div>
          <div className="card-body">
            {selected.error && (
              <DeploymentErrorBanner error={selected.error} />
            )}
            <ErrorBanner error={log.error} title="Could not read the log" />
            <LogView lines={log.lines} live={log.live} />
          </div>
        </section>
      )}
    </div>
  );
}

function LogView({ lines, live }: { lines: LogLine[]; live: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && live) el.scrollTop = el.scrollHeight;
  }, [lines.length, live]);
  return (
    <div className="log" ref={ref} role="log" aria-live={live ? 'polite' : 'off'} aria-label="Deployment log" tabIndex={0} data-testid="deployment-log">
      {lines.length === 0 ? <div className="log-empty">{live ? 'Waiting for the first line…' : 'No log lines.'}</div> : lines.map((l) => (
        <div key={l.seq} className={`log-line ${l.level}`}>
          <span className="t">{new Date(l.ts).toLocaleTimeString(undefined, { hour12: false })}</span>
          <span className="lvl">{l.level}</span>
          <span className="m">{l.message}</span>
        </div>
      ))}
    </div>
  );
}

/** A failed deployment: its code, the engine's message, the AWS request id, and what to do (docs/errors.md). */
function DeploymentErrorBanner({ error }: { error: DeploymentError }) {
  const fix = fixFor(error.code);
  return (
    <div className="banner banner-bad deployment-error" role="alert" data-testid="deployment-error">
      <div>
        <strong><code>{error.code}</code>{error.awsCode ? <> · <code>{error.awsCode}</code></> : null}</strong>
        <div className="msg">{error.message}</div>
        {error.requestId && <div className="small">AWS request id <code>{error.requestId}</code></div>}
        {fix && <div className="fix" data-testid="deployment-error-fix"><strong>How to fix</strong> <InlineMarkdown text={fix} /></div>}
      </div>
    </div>
  );
}

/** `code` spans and [text](link) of a docs table cell, as text and <code>; nothing else is interpreted. */
function InlineMarkdown({ text }: { text: string }) {
  const plain = text.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1');
  return <>{plain.split('`').map((part, n) => (n % 2 === 1 ? <code key={n}>{part}</code> : <span key={n}>{part}</span>))}</>;
}
