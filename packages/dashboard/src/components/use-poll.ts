import { useEffect, useRef } from 'react';

/** Call `fn` every `ms` while the page is visible (new deployments appear without a reload). */
export function usePoll(fn: () => void, ms: number, enabled = true): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!enabled) return;
    const t = setInterval(() => { if (document.visibilityState === 'visible') ref.current(); }, ms);
    return () => clearInterval(t);
  }, [ms, enabled]);
}
