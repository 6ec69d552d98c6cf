import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedProvider } from '../types.js';

/**
 * What a deploy deployed, as one hash: the source manifest, the inputs as stored, the component's
 * name and version, and the provider (id, role, region). Equal to the instance's last successful
 * deployment's → nothing to do, no cloud call (see runDeployment). Inputs are compared as the
 * JSON the engine stored, so a project file whose keys moved deploys once more; that errs on the
 * side of deploying.
 */
export function deploymentFingerprint(parts: { manifestId: string | null; inputs: string; component: string; componentVersion: string; provider: ResolvedProvider }): string {
  const { provider: p } = parts;
  return createHash('sha256')
    .update(JSON.stringify([parts.manifestId, parts.inputs, parts.component, parts.componentVersion, p.id, p.roleArn, p.region, p.mode]))
    .digest('hex');
}

/**
 * The version of the components package the engine runs (its package.json), read once at start:
 * components carry no version of their own, so an engine upgrade that changes a component's code
 * deploys every instance once more instead of skipping it.
 */
export function componentsPackageVersion(): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve('@hangar/components')));
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@hangar/components') return pkg.version ?? 'unversioned';
      } catch {
        // not here: look one folder up
      }
      dir = dirname(dir);
    }
  } catch {
    // not resolvable (bundled): fall through
  }
  return 'unknown';
}
