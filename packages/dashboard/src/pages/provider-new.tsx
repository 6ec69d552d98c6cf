import { useState, type FormEvent } from 'react';
import type { createProvider, getProvider, listInstances } from '@hangar/core/api';
import type { OrgContext } from '../app.js';
import type { Provider } from '../api/types.js';
import { LinkPanel, SetupPanel, VerifyPanel } from '../components/provider-parts.js';
import { Banner, ErrorBanner, Loading, PageHeader } from '../components/ui.js';
import { useLoad } from '../components/use-load.js';
import { Link, useRouter } from '../router.js';
import { useSession } from '../session.js';

const STEPS = ['Name it', 'Create the role', 'Verify', 'Link'] as const;

/** "Add AWS provider", one step at a time; the URL keeps the provider and the step, so a reload resumes. */
export function NewProviderPage({ ctx }: { ctx: OrgContext }) {
  const { api } = useSession();
  const { search, navigate } = useRouter();
  const id = search.get('id');
  const step = id ? Math.min(Math.max(Number(search.get('step') ?? '2'), 2), 4) : 1;
  const base = `/orgs/${ctx.org.id}/providers`;
  const provider = useLoad(async () => (id ? api.call<typeof getProvider>('GET', '/api/v1/orgs/:orgId/providers/:id', { params: { orgId: ctx.org.id, id } }) : undefined), [base, id]);
  const instances = useLoad(() => api.call<typeof listInstances>('GET', '/api/v1/orgs/:orgId/instances', { params: { orgId: ctx.org.id } }), [ctx.org.id]);
  const apps = [...new Set((instances.data?.instances ?? []).map((i) => i.app))].sort();
  const go = (n: number, pid = id) => navigate(`${base}/new?id=${pid}&step=${n}`, { replace: true });
  // What the engine warned about when it created the provider (e.g. an issuer real AWS cannot reach); shown on the role step.
  const [warnings, setWarnings] = useState<{ id: string; list: string[] } | undefined>();

  if (!ctx.can('admin')) {
    return <div className="stack"><PageHeader title="Add AWS provider" /><Banner tone="warn" title="Only owners and admins can add providers">Your role is {ctx.org.role}. Ask an owner or admin of this organisation.</Banner></div>;
  }

  const p = provider.data;
  return (
    <div className="stack">
      <PageHeader
        crumbs={<><Link to={base}>Providers</Link> / New</>}
        title="Add AWS provider"
        description="Hangar never stores AWS keys. You create a role in your account that trusts only this engine (with an external ID Hangar generated, or as an OpenID Connect issuer); Hangar proves that before it uses the role."
      />
      <ol className="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} className={i + 1 < step ? 'done' : ''} aria-current={i + 1 === step ? 'step' : undefined}>{s}</li>
        ))}
      </ol>
      {step === 1 && <NameStep orgId={ctx.org.id} onCreated={(created, w) => { if (w.length > 0) setWarnings({ id: created.id, list: w }); go(2, created.id); }} />}
      {step > 1 && (provider.loading && !p ? <Loading what="the provider" /> : provider.error ? <ErrorBanner error={provider.error} title="Could not load the provider" /> : p && (
        <div className="card">
          <div className="card-head"><h2>{STEPS[step - 1]}: {p.name}</h2><span className="small muted">{p.mode} · {p.region}</span></div>
          <div className="card-body">
            {step === 2 && (
              <div className="stack">
                {warnings?.id === p.id && warnings.list.map((w) => <Banner key={w} tone="warn" title="Works here, not with real AWS">{w}</Banner>)}
                <p>{p.mode === 'web-identity'
                  ? 'Create the IAM OIDC provider and an IAM role in the AWS account Hangar should deploy into, with this trust policy. The template below creates both.'
                  : 'Create an IAM role in the AWS account Hangar should deploy into, with this trust policy. The template below creates exactly that role.'}</p>
                <SetupPanel provider={p} />
                <div className="row"><button type="button" className="btn btn-primary" onClick={() => go(3)}>I have created the role — next</button></div>
              </div>
            )}
            {step === 3 && (
              <div className="stack">
                <p>{p.mode === 'web-identity'
                  ? "Paste the role's ARN. Hangar then asks STS to assume it with a token it signed for this organisation (must work) and with one for another organisation (must be refused), and checks the account it lands in."
                  : "Paste the role's ARN. Hangar then asks STS to assume it with the external ID (must work), without it and with a wrong one (both must be refused), and checks the account it lands in."}</p>
                <VerifyPanel orgId={ctx.org.id} provider={p} canChange onResult={() => provider.reload()} />
                <div className="row">
                  <button type="button" className="btn" onClick={() => go(2)}>Back to the role setup</button>
                  <button type="button" className="btn btn-primary" onClick={() => go(4)} disabled={p.status !== 'verified'}>Next: link it</button>
                </div>
              </div>
            )}
            {step === 4 && (
              <div className="stack">
                <p>Choose which deployments use this provider. The most specific link wins: an app and stage, then an app, then the organisation default.</p>
                <LinkPanel orgId={ctx.org.id} provider={p} canChange onChange={() => provider.reload()} apps={apps} />
                <div className="row"><Link className="btn" to={`${base}/${p.id}`}>Done — view the provider</Link></div>
              </div>
            )}
          </div>
        </div>
      ))}
    </div>
  );
}

type Mode = 'assume-role' | 'web-identity';

function NameStep({ orgId, onCreated }: { orgId: string; onCreated(p: Provider, warnings: string[]): void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [region, setRegion] = useState('');
  const [mode, setMode] = useState<Mode>('assume-role');
  const [accountId, setAccountId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        name: name.trim(), mode,
        ...(region.trim() ? { region: region.trim() } : {}),
        ...(mode === 'web-identity' && accountId.trim() ? { accountId: accountId.trim() } : {}),
      };
      const p = await api.call<typeof createProvider>('POST', '/api/v1/orgs/:orgId/providers', { params: { orgId }, body });
      onCreated(p, p.warnings ?? []);
    } catch (err) { setError(err); setBusy(false); }
  }
  return (
    <div className="card"><form className="card-body stack" onSubmit={submit} style={{ gap: 16 }}>
      <fieldset className="radio-list mode-choice">
        <legend className="label">How Hangar gets into your account</legend>
        <label className="radio"><input type="radio" name="mode" value="assume-role" checked={mode === 'assume-role'} onChange={() => setMode('assume-role')} /><span><strong>Assume role with an external ID</strong><br /><span className="small muted">The role trusts this engine's AWS identity, only with an external ID Hangar generates. Works with any engine.</span></span></label>
        <label className="radio"><input type="radio" name="mode" value="web-identity" checked={mode === 'web-identity'} onChange={() => setMode('web-identity')} /><span><strong>Web identity (OIDC)</strong><br /><span className="small muted">The role trusts this engine as an OpenID Connect issuer: no AWS key exists anywhere, not even the engine's. Needs the engine on a public https URL.</span></span></label>
      </fieldset>
      <div className="grid-2">
        <div className="field">
          <label htmlFor="provider-name">Provider name</label>
          <input id="provider-name" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="production" required autoFocus />
          <span className="hint">Lowercase letters, digits and dashes. People see it in every deployment.</span>
        </div>
        <div className="field">
          <label htmlFor="provider-region">Region</label>
          <input id="provider-region" type="text" value={region} onChange={(e) => setRegion(e.target.value)} placeholder="engine default" />
          <span className="hint">Where deployments go, e.g. eu-west-1. Leave empty for the engine's default.</span>
        </div>
        {mode === 'web-identity' && (
          <div className="field">
            <label htmlFor="provider-account">AWS account ID</label>
            <input id="provider-account" type="text" inputMode="numeric" value={accountId} onChange={(e) => setAccountId(e.target.value)} placeholder="123456789012" required pattern="[0-9]{12}" title="12 digits" />
            <span className="hint">The account the role is in: the trust policy names its IAM OIDC provider.</span>
          </div>
        )}
      </div>
      <ErrorBanner error={error} title="Could not create the provider" />
      <div><button className="btn btn-primary" type="submit" disabled={busy || !name.trim() || (mode === 'web-identity' && !accountId.trim())}>{busy ? 'Creating…' : 'Create and show the role setup'}</button></div>
    </form></div>
  );
}
