import { useState, type FormEvent } from 'react';
import { Icons } from '../components/icons.js';
import { ErrorBanner } from '../components/ui.js';
import { useSession } from '../session.js';

export function SignIn() {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try { await signIn(token); } catch (err) { setError(err); setBusy(false); }
  }

  return (
    <main className="signin">
      <div>
        <div className="brand"><span className="brand-mark"><Icons.logo /></span>Hangar</div>
        <div className="card"><div className="card-body">
          <form onSubmit={submit} aria-labelledby="signin-title">
            <div>
              <h1 id="signin-title" style={{ fontSize: 18 }}>Sign in</h1>
              <p className="muted small" style={{ marginTop: 4 }}>Use an API token of your organisation. <code>hangar up</code> prints one on first start; <code>hangar login</code> stores one for the CLI.</p>
            </div>
            <ErrorBanner error={error} title="Could not sign in" />
            <div className="field">
              <label htmlFor="api-token">API token</label>
              <input
                id="api-token"
                type="password"
                autoComplete="off"
                spellCheck={false}
                placeholder="hgr_…"
                value={token}
                onChange={(e) => setToken(e.target.value)}
                required
                autoFocus
              />
            </div>
            <button className="btn btn-primary" type="submit" disabled={busy || token.trim() === ''}>{busy ? 'Signing in…' : 'Sign in'}</button>
            <p className="small muted" style={{ margin: 0 }}>The token is exchanged for a session cookie; it is not kept in the browser.</p>
          </form>
        </div></div>
      </div>
    </main>
  );
}
