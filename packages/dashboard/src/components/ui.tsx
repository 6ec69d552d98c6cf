import { useEffect, useState, type ReactNode } from 'react';
import { errorMessage, ApiError } from '../api/client.js';
import { Icons } from './icons.js';

export function PageHeader({ title, description, crumbs, actions }: { title: ReactNode; description?: ReactNode; crumbs?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-head">
      <div>
        {crumbs && <nav className="crumbs" aria-label="Breadcrumb">{crumbs}</nav>}
        <h1>{title}</h1>
        {description && <p>{description}</p>}
      </div>
      {actions && <div className="row">{actions}</div>}
    </header>
  );
}

const statusTone: Record<string, string> = {
  succeeded: 'ok', deployed: 'ok', verified: 'ok', active: 'ok', ok: 'ok', passed: 'ok', valid: 'ok',
  failed: 'bad', error: 'bad', revoked: 'bad', broken: 'bad',
  running: 'info', deploying: 'info', removing: 'info',
  queued: 'warn', pending: 'warn', unverified: 'warn',
  skipped: 'neutral',
};

/** A status pill; running ones pulse so a live deployment is visible at a glance. */
export function StatusPill({ status, label }: { status: string; label?: string }) {
  const tone = statusTone[status] ?? 'neutral';
  const live = status === 'running' || status === 'deploying' || status === 'removing';
  return <span className={`pill pill-${tone}${live ? ' pill-live' : ''}`} data-status={status}>{label ?? status}</span>;
}

export function EmptyState({ title, children, action, icon = <Icons.plus /> }: { title: string; children?: ReactNode; action?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="empty" role="status">
      <div className="empty-icon" aria-hidden="true">{icon}</div>
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

/** Shows what the engine said went wrong, with its code for searching docs/errors.md. */
export function ErrorBanner({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="banner banner-bad" role="alert">
      <div>
        <strong>{title}</strong>
        <span>{errorMessage(error)}</span>
        {code && <div className="small muted"><code>{code}</code></div>}
      </div>
    </div>
  );
}

export function Banner({ tone, title, children }: { tone: 'ok' | 'bad' | 'warn' | 'info'; title?: ReactNode; children?: ReactNode }) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      <div>{title && <strong>{title}</strong>}{children}</div>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="empty muted" role="status" aria-live="polite">Loading {what}…</div>;
}

export function CopyButton({ text, label = 'Copy', describedAs }: { text: string; label?: string; describedAs?: string }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(false), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button
      type="button"
      className="btn btn-sm"
      aria-label={`${done ? 'Copied' : label}${describedAs ? ` ${describedAs}` : ''}`}
      onClick={async () => {
        try { await navigator.clipboard.writeText(text); } catch { fallbackCopy(text); }
        setDone(true);
      }}
    >
      {done ? 'Copied ✓' : label}
      <span className="sr-only" aria-live="polite">{done ? 'Copied to the clipboard' : ''}</span>
    </button>
  );
}

function fallbackCopy(text: string) {
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  try { document.execCommand('copy'); } finally { ta.remove(); }
}

export function DownloadButton({ text, filename, label, mime = 'application/octet-stream' }: { text: string; filename: string; label: string; mime?: string }) {
  return (
    <button
      type="button"
      className="btn btn-sm"
      onClick={() => {
        const url = URL.createObjectURL(new Blob([text], { type: mime }));
        const a = document.createElement('a');
        a.href = url;
        a.download = filename;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      }}
    >
      {label}
    </button>
  );
}

export function CodeBlock({ code, label }: { code: string; label: string }) {
  return <pre className="codeblock" aria-label={label} tabIndex={0}><code>{code}</code></pre>;
}

export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  const d = new Date(iso);
  return <time dateTime={iso} title={d.toISOString()} className="nowrap">{formatTime(d)}</time>;
}

export function formatTime(d: Date): string {
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** An error code like COMPONENT_AWS_ACCESS_DENIED that may wrap after an underscore, never inside a word. */
export function CodeName({ code }: { code: string }) {
  const parts = code.split('_');
  return <code className="code-name">{parts.map((p, n) => <span key={n}>{p}{n < parts.length - 1 ? <>_<wbr /></> : null}</span>)}</code>;
}

/** Outputs: URLs become links; everything else is shown as code. */
export function OutputValue({ value }: { value: unknown }) {
  if (typeof value === 'string' && /^https?:\/\//.test(value)) {
    return <a href={value} target="_blank" rel="noreferrer">{value}</a>;
  }
  return <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>;
}
