import { useState, type FormEvent } from 'react';
import type { BodyOf, updateProvider } from '@hangar/core/api';
import type { Provider } from '../api/types.js';
import { useSession } from '../session.js';
import { Banner, ErrorBanner } from './ui.js';

type Editable = 'roleArn' | 'region' | 'accountId';
const labels: Record<Editable, string> = { roleArn: 'Role ARN', region: 'Region', accountId: 'AWS account ID' };

/**
 * Change the role, region or account of a provider (e.g. after verify said
 * PROVIDER_ACCOUNT_MISMATCH). Only changed fields are sent; the engine audits the change and sets
 * the provider back to unverified, so it must pass verify again before it deploys.
 */
export function ProviderEditForm({ orgId, provider, onSaved }: { orgId: string; provider: Provider; onSaved(): void }) {
  const { api } = useSession();
  const initial = { roleArn: provider.roleArn ?? '', region: provider.region, accountId: provider.accountId ?? '' };
  const [values, setValues] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string[] | undefined>();
  const changed = (Object.keys(labels) as Editable[]).filter((k) => values[k].trim() !== initial[k]);

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const body: BodyOf<typeof updateProvider> = {};
      for (const k of changed) body[k] = values[k].trim();
      await api.call<typeof updateProvider>('PATCH', '/api/v1/orgs/:orgId/providers/:id', { params: { orgId, id: provider.id }, body });
      setSaved(changed.map((k) => labels[k]));
      onSaved();
    } catch (err) { setError(err); } finally { setBusy(false); }
  }

  return (
    <form onSubmit={save} className="stack" style={{ gap: 12 }} aria-label="Edit provider">
      <div className="row">
        {(Object.keys(labels) as Editable[]).map((k) => (
          <div className="field" key={k} style={{ flex: k === 'roleArn' ? 2 : 1 }}>
            <label htmlFor={`edit-${k}`}>{labels[k]}</label>
            <input id={`edit-${k}`} type="text" spellCheck={false} value={values[k]} onChange={(ev) => setValues({ ...values, [k]: ev.target.value })} />
          </div>
        ))}
      </div>
      <ErrorBanner error={error} title="Could not save" />
      {saved && <Banner tone="warn" title="Saved">{saved.join(', ')} changed. The provider is unverified again: verify it before deployments can use it.</Banner>}
      <div><button className="btn btn-primary" type="submit" disabled={busy || changed.length === 0}>{busy ? 'Saving…' : 'Save changes'}</button></div>
    </form>
  );
}
