import { Icons } from '../components/icons.js';
import type { createToken, listMembers, listTokens, revokeToken } from '@hangar/core/api';
import { useState, type FormEvent } from 'react';
import type { OrgContext } from '../app.js';
import type { TokenInfo } from '../api/types.js';
import { CopyButton, EmptyState, ErrorBanner, Loading, PageHeader, StatusPill, Time } from '../components/ui.js';
import { useLoad } from '../components/use-load.js';
import { useSession } from '../session.js';

export function TokensPage({ ctx }: { ctx: OrgContext }) {
  const { api, session } = useSession();
  const base = `/orgs/${ctx.org.id}`;
  const tokens = useLoad(() => api.call<typeof listTokens>('GET', '/api/v1/orgs/:orgId/tokens', { params: { orgId: ctx.org.id } }), [base]);
  const members = useLoad(() => api.call<typeof listMembers>('GET', '/api/v1/orgs/:orgId/members', { params: { orgId: ctx.org.id } }), [base]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string } | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const canCreate = ctx.can('deployer');
  const me = session?.user.id;
  const people = new Map((members.data?.members ?? []).map((m) => [m.id, m]));

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.call<typeof createToken>('POST', '/api/v1/orgs/:orgId/tokens', { params: { orgId: ctx.org.id }, body: { name: name.trim() } });
      setCreated({ name: r.token.name, token: r.token.token });
      setName('');
      tokens.reload();
    } catch (err) { setError(err); } finally { setBusy(false); }
  }

  async function revoke(t: TokenInfo) {
    if (!window.confirm(`Revoke token "${t.name}"? Anything using it (CI, a CLI login, a dashboard session) stops working at once.`)) return;
    setError(undefined);
    try { await api.call<typeof revokeToken>('DELETE', '/api/v1/orgs/:orgId/tokens/:tokenId', { params: { orgId: ctx.org.id, tokenId: t.id } }); tokens.reload(); } catch (err) { setError(err); }
  }

  const list = tokens.data?.tokens ?? [];
  return (
    <div className="stack">
      <PageHeader title="API tokens" description="Tokens let the CLI and CI act for you in this organisation. A token is shown once, when it is created; Hangar stores only its hash." />
      <ErrorBanner error={error} />
      {created && (
        <div className="secret-once" role="status" aria-live="polite">
          <strong>Token "{created.name}" created — copy it now, it will not be shown again.</strong>
          <div className="copy-row">
            <code className="value" aria-label="New API token" data-testid="new-token">{created.token}</code>
            <CopyButton text={created.token} describedAs="the new token" />
          </div>
          <span className="small">Use it with <code>hangar login --token …</code>, or set it as <code>HANGAR_TOKEN</code> in CI.</span>
          <div><button type="button" className="btn btn-sm" onClick={() => setCreated(undefined)}>I have stored it</button></div>
        </div>
      )}
      {canCreate && (
        <div className="card">
          <div className="card-head"><h2>Create a token</h2></div>
          <form className="card-body row" onSubmit={create} style={{ alignItems: 'flex-end' }}>
            <div className="field" style={{ flex: 1, maxWidth: 360 }}>
              <label htmlFor="token-name">Token name</label>
              <input id="token-name" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="ci-deploy" required pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,62}" title="1-63 letters, digits, dots, dashes or underscores" />
            </div>
            <button className="btn btn-primary" type="submit" disabled={busy || !name.trim()}>{busy ? 'Creating…' : 'Create token'}</button>
          </form>
        </div>
      )}
      <div className="card">
        <div className="card-head"><h2>Tokens</h2><span className="muted small">{ctx.can('admin') ? 'Everyone’s tokens in this organisation' : 'Your tokens'}</span></div>
        {tokens.loading && !tokens.data ? <Loading what="tokens" /> : tokens.error ? <div className="card-body"><ErrorBanner error={tokens.error} title="Could not load tokens" /></div> : list.length === 0 ? (
          <EmptyState title="No tokens yet" icon={<Icons.tokens />}>{canCreate ? 'Create one above for the CLI or for CI.' : 'Ask a deployer, admin or owner to create one.'}</EmptyState>
        ) : (
          <div className="table-wrap"><table>
            <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Owner</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th>{canCreate && <th scope="col"><span className="sr-only">Actions</span></th>}</tr></thead>
            <tbody>
              {list.map((t) => {
                const owner = people.get(t.userId);
                const mayRevoke = canCreate && !t.revokedAt && (t.userId === me || ctx.can('admin'));
                return (
                  <tr key={t.id}>
                    <td className="nowrap"><strong>{t.name}</strong></td>
                    <td><span className="tag">{t.prefix}…</span></td>
                    <td>{owner ? owner.name || owner.email : <code>{t.userId}</code>}{t.userId === me && <span className="muted"> (you)</span>}</td>
                    <td><Time iso={t.createdAt} /></td>
                    <td>{t.lastUsedAt ? <Time iso={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
                    <td>{t.revokedAt ? <StatusPill status="revoked" /> : <StatusPill status="active" />}</td>
                    {canCreate && <td className="nowrap">{mayRevoke && <button type="button" className="btn btn-sm btn-danger" onClick={() => revoke(t)} aria-label={`Revoke token ${t.name}`}>Revoke</button>}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table></div>
        )}
      </div>
    </div>
  );
}
