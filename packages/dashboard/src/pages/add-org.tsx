import { useState, type FormEvent } from 'react';
import { ErrorBanner, PageHeader } from '../components/ui.js';
import { useRouter } from '../router.js';
import { useSession } from '../session.js';

/**
 * API tokens belong to one organisation, and so does what a session opens: to see another of your
 * organisations here, sign in with a token of it too. It joins this session.
 */
export function AddOrgPage() {
  const { session, signIn } = useSession();
  const { navigate } = useRouter();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const before = new Set((session?.orgs ?? []).map((o) => o.id));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const next = await signIn(token);
      const added = next.orgs.find((o) => !before.has(o.id)) ?? next.orgs[0];
      navigate(added ? `/orgs/${added.id}/instances` : '/');
    } catch (err) { setError(err); setBusy(false); }
  }

  return (
    <div className="stack">
      <PageHeader title="Add an organisation" description="An API token opens only its own organisation. Paste a token of another organisation you belong to, and it joins this session; the organisation switcher then offers it." />
      <div className="card"><form className="card-body stack" style={{ gap: 16, maxWidth: 520 }} onSubmit={submit}>
        <ErrorBanner error={error} title="Could not add the organisation" />
        <div className="field">
          <label htmlFor="add-org-token">API token</label>
          <input id="add-org-token" type="password" autoComplete="off" spellCheck={false} placeholder="hgr_…" value={token} onChange={(e) => setToken(e.target.value)} required autoFocus />
          <span className="hint">A token of another user starts a new session as that user instead.</span>
        </div>
        <div><button className="btn btn-primary" type="submit" disabled={busy || !token.trim()}>{busy ? 'Adding…' : 'Add organisation'}</button></div>
      </form></div>
    </div>
  );
}
