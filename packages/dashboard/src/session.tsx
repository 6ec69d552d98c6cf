import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { getSession, signIn as signInRoute, signOut } from '@hangar/core/api';
import { ApiError, createApi, type Api } from './api/client.js';
import type { SessionInfo } from './api/types.js';

interface SessionValue {
  api: Api;
  /** undefined while loading, null when signed out */
  session: SessionInfo | null | undefined;
  /** Sign in; when already signed in, a token of another org (same user) adds that org. */
  signIn(token: string): Promise<SessionInfo>;
  signOut(): Promise<void>;
  /** Called when the engine answers 401: the session ended (expired, or its token was revoked). */
  expired(): void;
}
const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const api = useMemo(() => createApi(), []);
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const accept = useCallback((s: SessionInfo | null) => { api.setCsrf(s?.csrfToken); setSession(s); }, [api]);

  useEffect(() => {
    api.call<typeof getSession>('GET', '/api/v1/session', {}).then(accept, (e) => {
      if (e instanceof ApiError && e.status === 401) accept(null);
      else accept(null);
    });
  }, [api, accept]);

  const value = useMemo<SessionValue>(() => ({
    api,
    session,
    signIn: async (token) => { const s = await api.call<typeof signInRoute>('POST', '/api/v1/session', { body: { token } }); accept(s); return s; },
    signOut: async () => {
      try { await api.call<typeof signOut>('DELETE', '/api/v1/session', {}); } finally { accept(null); }
    },
    expired: () => accept(null),
  }), [api, session, accept]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
