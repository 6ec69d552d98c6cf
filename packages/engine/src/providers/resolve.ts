/** Which link serves a deployment (pure): the most specific wins, and there is no fallback past it. */
import type { LinkScope } from './tables.js';

export interface LinkRow {
  readonly id: string;
  readonly provider_id: string;
  readonly scope: LinkScope;
  readonly app_id: string | null;
  readonly stage: string | null;
  readonly instance_id: string | null;
}

export interface Target { readonly appId: string; readonly stage: string; readonly instanceId: string }

export function scopeKey(link: { scope: LinkScope; appId?: string | null; stage?: string | null; instanceId?: string | null }): string {
  switch (link.scope) {
    case 'org': return 'org';
    case 'app': return `app:${link.appId}`;
    case 'app-stage': return `app-stage:${link.appId}:${link.stage}`;
    case 'instance': return `instance:${link.instanceId}`;
  }
}

const order: readonly LinkScope[] = ['instance', 'app-stage', 'app', 'org'];

function matches(link: LinkRow, t: Target): boolean {
  switch (link.scope) {
    case 'instance': return link.instance_id === t.instanceId;
    case 'app-stage': return link.app_id === t.appId && link.stage === t.stage;
    case 'app': return link.app_id === t.appId;
    case 'org': return true;
  }
}

/** Instance link, then app+stage, then app, then the org default. */
export function pickLink<L extends LinkRow>(links: readonly L[], target: Target): L | undefined {
  for (const scope of order) {
    const hit = links.find((l) => l.scope === scope && matches(l, target));
    if (hit) return hit;
  }
  return undefined;
}
