/**
 * Operation sessions, reused while valid: one per org, instance, purpose, provider role, actor and
 * session policy, opened on first use and held in this process only. A session refreshes itself
 * before expiry (the broker's margin) when asked for credentials; one left unused for `idleMs` is
 * closed, as are an instance's sessions when it is found removed, and all of them on stop. So a
 * stream polling every 500 ms asks STS once, not once per poll.
 */
import { createHash } from 'node:crypto';
import type { Clock, CredentialBroker, CredentialSession, OperationCredentialRequest } from '../types.js';

export interface OperationSessions {
  get(request: OperationCredentialRequest): Promise<CredentialSession>;
  /** Close every session of an instance (it was removed, or its provider changed). */
  evictInstance(orgId: string, instanceId: string): void;
  /** Close the sessions unused for `idleMs` (also done on every `get`). */
  sweep(): void;
  /** How many sessions are open (tests). */
  size(): number;
  closeAll(): void;
}

interface Entry { readonly orgId: string; readonly instanceId: string; readonly session: Promise<CredentialSession>; lastUsed: number }

/**
 * The actor is part of the key: a session's SourceIdentity and audit events name the person or
 * token it was issued for, so two people never share one.
 */
export function sessionKey(r: OperationCredentialRequest): string {
  const policy = createHash('sha256').update(JSON.stringify(r.policy)).digest('hex');
  return [r.orgId, r.instanceId, r.purpose, r.provider.id, r.provider.roleArn, r.actor.kind, r.actor.id, policy].join('\u0000');
}

export function createOperationSessions(deps: { broker: CredentialBroker; clock: Clock; idleMs?: number }): OperationSessions {
  const idleMs = deps.idleMs ?? 15 * 60_000;
  const entries = new Map<string, Entry>();

  const close = (key: string, e: Entry) => {
    entries.delete(key);
    e.session.then((s) => s.close(), () => {});
  };

  function sweep(now: number): void {
    for (const [key, e] of entries) if (now - e.lastUsed > idleMs) close(key, e);
  }

  return {
    async get(request) {
      const now = deps.clock.now().getTime();
      sweep(now);
      const key = sessionKey(request);
      let e = entries.get(key);
      if (!e) {
        const session = deps.broker.open(request);
        const entry: Entry = { orgId: request.orgId, instanceId: request.instanceId, session, lastUsed: now };
        e = entry;
        entries.set(key, entry);
        // A failed issuance is not cached: the next request tries again (and is audited again).
        session.catch(() => { if (entries.get(key) === entry) entries.delete(key); });
      }
      e.lastUsed = now;
      return e.session;
    },
    evictInstance(orgId, instanceId) {
      for (const [key, e] of entries) if (e.orgId === orgId && e.instanceId === instanceId) close(key, e);
    },
    sweep: () => sweep(deps.clock.now().getTime()),
    size: () => entries.size,
    closeAll() {
      for (const [key, e] of entries) close(key, e);
    },
  };
}
