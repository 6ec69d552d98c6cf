// Small inline icons (stroke, currentColor) so the sidebar needs no icon font or download.
const base = { width: 16, height: 16, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const, 'aria-hidden': true };

export const Icons = {
  instances: () => <svg {...base}><rect x="3" y="3" width="7" height="7" rx="1" /><rect x="14" y="3" width="7" height="7" rx="1" /><rect x="3" y="14" width="7" height="7" rx="1" /><rect x="14" y="14" width="7" height="7" rx="1" /></svg>,
  providers: () => <svg {...base}><path d="M12 2 4 6v6c0 5 3.5 8.5 8 10 4.5-1.5 8-5 8-10V6z" /><path d="m9 12 2 2 4-4" /></svg>,
  audit: () => <svg {...base}><path d="M9 3h6l4 4v14H5V3z" /><path d="M9 12h6M9 16h6M9 8h2" /></svg>,
  tokens: () => <svg {...base}><circle cx="8" cy="15" r="4" /><path d="m11 12 9-9M17 6l3 3M15 8l2 2" /></svg>,
  signOut: () => <svg {...base}><path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4" /><path d="m16 17 5-5-5-5M21 12H9" /></svg>,
  plus: () => <svg {...base}><path d="M12 5v14M5 12h14" /></svg>,
  deploy: () => <svg {...base}><path d="M21 12a9 9 0 1 1-3-6.7L21 8" /><path d="M21 3v5h-5" /></svg>,
  search: () => <svg {...base}><circle cx="11" cy="11" r="7" /><path d="m20 20-3.5-3.5" /></svg>,
  logo: () => <svg width="16" height="16" viewBox="0 0 32 32" aria-hidden="true"><path d="M6 22 16 9l10 13" stroke="white" strokeWidth="3.5" fill="none" strokeLinejoin="round" strokeLinecap="round" /></svg>,
};
