import { useEffect, type ReactNode } from 'react';
import { roleRank, type Role, type SessionOrg } from './api/types.js';
import { Icons } from './components/icons.js';
import { Loading } from './components/ui.js';
import { Link, match, useRouter } from './router.js';
import { useSession } from './session.js';
import { AddOrgPage } from './pages/add-org.js';
import { AppDeploymentPage } from './pages/app-deployment.js';
import { AuditPage } from './pages/audit.js';
import { InstancePage } from './pages/instance.js';
import { InstancesPage } from './pages/instances.js';
import { NotFound } from './pages/not-found.js';
import { ProviderPage } from './pages/provider.js';
import { NewProviderPage } from './pages/provider-new.js';
import { ProvidersPage } from './pages/providers.js';
import { SignIn } from './pages/sign-in.js';
import { TokensPage } from './pages/tokens.js';

/** What a page gets: the org it is in, and whether the caller's role allows a change. */
export interface OrgContext {
  org: SessionOrg;
  can(min: Role): boolean;
}

const routes: { pattern: string; section: string; render: (o: OrgContext, p: Record<string, string>) => ReactNode }[] = [
  { pattern: '/orgs/:orgId/instances', section: 'instances', render: (o) => <InstancesPage ctx={o} /> },
  { pattern: '/orgs/:orgId/instances/:instanceId', section: 'instances', render: (o, p) => <InstancePage ctx={o} instanceId={p.instanceId!} /> },
  { pattern: '/orgs/:orgId/instances/:instanceId/deployments/:deploymentId', section: 'instances', render: (o, p) => <InstancePage ctx={o} instanceId={p.instanceId!} deploymentId={p.deploymentId} /> },
  { pattern: '/orgs/:orgId/app-deployments/:id', section: 'instances', render: (o, p) => <AppDeploymentPage ctx={o} id={p.id!} /> },
  { pattern: '/orgs/:orgId/providers', section: 'providers', render: (o) => <ProvidersPage ctx={o} /> },
  { pattern: '/orgs/:orgId/providers/new', section: 'providers', render: (o) => <NewProviderPage ctx={o} /> },
  { pattern: '/orgs/:orgId/providers/:providerId', section: 'providers', render: (o, p) => <ProviderPage ctx={o} providerId={p.providerId!} /> },
  { pattern: '/orgs/:orgId/audit', section: 'audit', render: (o) => <AuditPage ctx={o} /> },
  { pattern: '/orgs/:orgId/tokens', section: 'tokens', render: (o) => <TokensPage ctx={o} /> },
];

export function App() {
  const { session } = useSession();
  const { path, navigate } = useRouter();
  const firstOrg = session?.orgs[0];

  useEffect(() => {
    if (session && firstOrg && (path === '/' || path === '/signin')) navigate(`/orgs/${firstOrg.id}/instances`, { replace: true });
  }, [session, firstOrg, path, navigate]);

  useEffect(() => {
    const m = routes.find((r) => match(r.pattern, path));
    document.title = m ? `${m.section[0]!.toUpperCase()}${m.section.slice(1)} · Hangar` : 'Hangar';
  }, [path]);

  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <SignIn />;

  const orgId = /^\/orgs\/([^/]+)/.exec(path)?.[1];
  const org = session.orgs.find((o) => o.id === orgId);
  for (const r of routes) {
    const params = match(r.pattern, path);
    if (!params) continue;
    // Another org's URL: not found, exactly like a thing that does not exist; its data is never asked for.
    if (!org) return <Shell current={undefined} section=""><NotFound /></Shell>;
    const ctx: OrgContext = { org, can: (min) => roleRank[org.role] >= roleRank[min] };
    return <Shell current={org} section={r.section}>{r.render(ctx, params)}</Shell>;
  }
  if (path === '/add-org') return <Shell current={undefined} section="">{<AddOrgPage />}</Shell>;
  if (path === '/' || path === '/signin') {
    return firstOrg ? <Loading what="your organisation" /> : <Shell current={undefined} section=""><NoOrgs /></Shell>;
  }
  return <Shell current={org} section=""><NotFound /></Shell>;
}

function NoOrgs() {
  return (
    <div className="card"><div className="empty">
      <h3>You are not a member of any organisation</h3>
      <p>Ask an owner or admin of your organisation to add you, then sign in again.</p>
    </div></div>
  );
}

function Shell({ current, section, children }: { current: SessionOrg | undefined; section: string; children: ReactNode }) {
  const { session, signOut } = useSession();
  const { navigate, path } = useRouter();
  const orgs = session?.orgs ?? [];
  const org = current ?? orgs[0];
  const nav = [
    { id: 'instances', label: 'Instances', icon: Icons.instances },
    { id: 'providers', label: 'Providers', icon: Icons.providers },
    { id: 'audit', label: 'Audit log', icon: Icons.audit },
    { id: 'tokens', label: 'API tokens', icon: Icons.tokens },
  ];
  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <aside className="sidebar" aria-label="Sidebar">
        <div className="brand"><span className="brand-mark"><Icons.logo /></span>Hangar</div>
        {org && (
          <div className="org-switch">
            {orgs.length > 1 ? (
              <>
                <label htmlFor="org-switcher">Organisation</label>
                <select
                  id="org-switcher"
                  value={current?.id ?? ''}
                  onChange={(e) => navigate(`/orgs/${e.target.value}/${section || 'instances'}`)}
                >
                  {!current && <option value="" disabled>Choose…</option>}
                  {orgs.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
                </select>
              </>
            ) : (
              <><span className="sr-only">Organisation</span><label aria-hidden="true">Organisation</label><div className="org-name">{org.name}</div></>
            )}
            <Link className="add-org" to="/add-org">+ Add an organisation</Link>
          </div>
        )}
        {org && (
          <nav className="nav" aria-label="Main">
            {nav.map((n) => {
              const to = `/orgs/${org.id}/${n.id}`;
              return (
                <Link key={n.id} to={to} aria-current={section === n.id && path.startsWith(`/orgs/${org.id}/`) ? 'page' : undefined}>
                  <n.icon />{n.label}
                </Link>
              );
            })}
          </nav>
        )}
        <div className="sidebar-foot">
          {session && (
            <div className="who">
              <strong>{session.user.name}</strong>
              {session.user.email}{current && <> · {current.role}</>}
            </div>
          )}
          <button type="button" className="btn btn-ghost" onClick={() => { void signOut().then(() => navigate('/', { replace: true })); }}>
            <Icons.signOut />Sign out
          </button>
        </div>
      </aside>
      <main id="main" className="main" tabIndex={-1}>{children}</main>
    </div>
  );
}
