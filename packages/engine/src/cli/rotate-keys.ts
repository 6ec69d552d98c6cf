/**
 * `hangar-engine rotate-keys [--only oidc|audit] [--overlap-hours N]`: a new current signing key
 * for OIDC tokens and/or audit checkpoints, shared at once by every engine on the database (they
 * read the current key on each use: no restart). The previous OIDC key stays in the JWKS for the
 * overlap (default 24 h, far longer than a token's 5 minutes or a JWKS cache), so tokens already
 * issued keep verifying; a retired audit key stays trusted for good, so old checkpoints verify.
 * Rotation is manual (run it from cron or after an incident); nothing rotates by age on its own.
 */
import { HangarError } from '@hangar/core';
import { loadConfigFromEnv } from '../config.js';
import { openEngineStore } from '../engine.js';
import { DEFAULT_OVERLAP_MS, PURPOSES, type KeyPurpose } from '../keys/index.js';
import { createLogger } from '../logger.js';
import { describeError, type EngineIo } from './io.js';

export interface RotateKeysOptions {
  /** One purpose only; default both. */
  readonly only?: string | undefined;
  /** How long the previous OIDC key stays published, in hours (text from the command line). */
  readonly overlapHours?: string | undefined;
}

const what: Record<KeyPurpose, string> = { oidc: 'OIDC token signing key', audit: 'audit checkpoint key' };

export async function rotateKeys(io: EngineIo, options: RotateKeysOptions = {}): Promise<number> {
  try {
    if (options.only !== undefined && !PURPOSES.includes(options.only as KeyPurpose)) {
      throw new HangarError('VALIDATION_FAILED', `--only: expected oidc or audit, got ${JSON.stringify(options.only)}.`);
    }
    let overlapMs = DEFAULT_OVERLAP_MS;
    if (options.overlapHours !== undefined) {
      const h = Number(options.overlapHours);
      if (!/^\d+(\.\d+)?$/.test(options.overlapHours) || h < 1 || h > 24 * 90) {
        throw new HangarError('VALIDATION_FAILED', `--overlap-hours: expected a number of hours from 1 to 2160, got ${JSON.stringify(options.overlapHours)}.`);
      }
      overlapMs = Math.round(h * 3_600_000);
    }
    const purposes = options.only ? [options.only as KeyPurpose] : PURPOSES;
    const settings = loadConfigFromEnv(io.env);
    const logger = createLogger({ level: 'warn', write: (line) => void io.stderr.write(`${line}\n`) });
    const store = await openEngineStore({ config: settings.config, logger });
    try {
      await store.prepare(settings.migrate);
      await store.keyring.prepare();
      for (const purpose of purposes) {
        const r = await store.keyring.rotate(purpose, overlapMs);
        const after = purpose === 'oidc'
          ? `the previous key ${r.retired} stays in the JWKS for ${overlapMs / 3_600_000} h`
          : `the previous key ${r.retired} stays trusted, so older checkpoints still verify`;
        io.stdout.write(`Rotated the ${what[purpose]}: now ${r.current}; ${after}.\n`);
      }
    } finally {
      await store.close();
    }
    io.stdout.write('Every engine on this database signs with the new keys from now on (no restart needed).\n');
    return 0;
  } catch (err) {
    io.stderr.write(`hangar-engine rotate-keys: ${describeError(err)}\n`);
    return 1;
  }
}
