import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { useSession } from '../session.js';

export interface Loaded<T> { data: T | undefined; error: unknown; loading: boolean; reload(): void }

/** Load something from the engine; a 401 ends the session (the sign-in page shows again). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const { expired } = useSession();
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => { if (live) setState({ data, error: undefined, loading: false }); },
      (error) => {
        if (!live) return;
        if (error instanceof ApiError && error.status === 401) expired();
        setState({ data: undefined, error, loading: false });
      },
    );
    return () => { live = false; };
  }, [...deps, tick, expired]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
