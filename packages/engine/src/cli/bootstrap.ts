/**
 * `hangar-engine bootstrap --org NAME --owner EMAIL`: the first org and its owner on an empty
 * database, and the owner's API token printed once. Refused when any org exists. All or nothing:
 * the org, the user, the membership, the token and their audit events are one transaction.
 */
import { sql } from 'kysely';
import { HangarError } from '@hangar/core';
import { loadConfigFromEnv } from '../config.js';
import { openEngineStore } from '../engine.js';
import { createLogger } from '../logger.js';
import { dialectOf } from '../store/db.js';
import type { CreatedToken } from '../tokens/tokens.js';
import type { Org, User } from '../orgs/orgs.js';
import { describeError, type EngineIo } from './io.js';

export interface BootstrapOptions {
  readonly org: string;
  readonly owner: string;
  readonly ownerName?: string | undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function bootstrap(io: EngineIo, options: BootstrapOptions): Promise<number> {
  try {
    if (!EMAIL.test(options.owner)) throw new HangarError('VALIDATION_FAILED', `--owner: expected an email address, got ${JSON.stringify(options.owner)}.`);
    const settings = loadConfigFromEnv(io.env);
    const logger = createLogger({ level: 'warn', write: (line) => void io.stderr.write(`${line}\n`) });
    const store = await openEngineStore({ config: settings.config, logger });
    let created: { org: Org; user: User; token: CreatedToken };
    try {
      await store.prepare(settings.migrate);
      created = await store.db.transaction().execute(async (tx) => {
        // Two bootstraps at once on PostgreSQL: the second waits here, then sees the first one's org.
        if (dialectOf(tx) === 'postgres') await sql`lock table orgs in share row exclusive mode`.execute(tx);
        const existing = await tx.selectFrom('orgs').select(['name']).limit(2).execute();
        if (existing.length > 0) {
          throw new HangarError('ENGINE_BOOTSTRAP_REFUSED',
            `This database already has an organisation (${existing.map((o) => `"${o.name}"`).join(', ')}${existing.length > 1 ? ', …' : ''}); bootstrap only creates the first one. ` +
            "Log in with an owner's API token (`hangar login --url <engine> --token <token>`), or ask an owner to add you.");
        }
        return store.platformOn(tx).bootstrap.createOrg({ name: options.org, owner: { email: options.owner, ...(options.ownerName ? { name: options.ownerName } : {}) }, tokenName: 'owner' });
      });
    } finally {
      await store.close();
    }
    io.stdout.write(`Created org "${created.org.name}" (${created.org.id}) with owner ${created.user.email}.\n`);
    io.stdout.write("The owner's API token, shown once (store it now; `hangar login --url <engine> --token <token>`):\n");
    io.stdout.write(`token: ${created.token.token}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`hangar-engine bootstrap: ${describeError(err)}\n`);
    return 1;
  }
}
