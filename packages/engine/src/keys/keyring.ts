/**
 * The signing keys every engine on one database shares: one current key per purpose (OIDC
 * tokens, audit checkpoints), encrypted at rest with HANGAR_SECRET_KEY (see secret.ts), rotated
 * with overlap. The first engine to start creates (or imports from its data dir) the key;
 * concurrent first starts agree through a unique index on the current key (insert if absent, then
 * read the winner). Engines read the current key from the store on each use, so a rotation made by
 * `hangar-engine rotate-keys` (another process) takes effect everywhere without a restart.
 */
import { HangarError } from '@hangar/core';
import type { Clock, Db, Logger } from '../types.js';
import { dialectOf } from '../store/db.js';
import { loadSecretKey, type SecretKey } from './secret.js';
import type { KeyPurpose, SigningKeysTable } from './tables.js';
import './tables.js';

export type { KeyPurpose } from './tables.js';

/** A key pair as text: OIDC a JWK pair (JSON), audit a PEM pair. */
export interface KeyMaterial {
  readonly kid: string;
  readonly algorithm: string;
  readonly publicKey: string;
  readonly privateKey: string;
}

/** How one purpose makes a key, and where an older engine kept its key on disk (imported once). */
export interface KeyKind {
  generate(): Promise<KeyMaterial>;
  /** The key an engine of the previous release kept in its data dir, with the file's path, if any. */
  legacy(): Promise<(KeyMaterial & { readonly file: string }) | undefined>;
}

export interface SigningKey extends KeyMaterial {
  readonly purpose: KeyPurpose;
  readonly createdAt: string;
  readonly retiredAt: string | null;
  /** OIDC: published in the JWKS until then; audit: null (trusted for verification for good). */
  readonly publishUntil: string | null;
}

export interface Keyring {
  /** Load the secret, import data-dir keys, make sure each purpose has a current key; fails the start on a wrong secret. */
  prepare(): Promise<void>;
  /** The key that signs now. */
  current(purpose: KeyPurpose): Promise<SigningKey>;
  /** Every key of the purpose that authenticates under this engine's secret: the current first, then newest first. */
  all(purpose: KeyPurpose): Promise<SigningKey[]>;
  /** The current key and the retired ones still inside their overlap (what the JWKS lists). */
  published(purpose: KeyPurpose): Promise<SigningKey[]>;
  /** Without changing anything: which secret ids encrypted the current keys (none before the first start). */
  storedSecretIds(): Promise<string[]>;
  /** Make a new current key; the previous one stays published for `overlapMs` (OIDC) and trusted for good (audit). */
  rotate(purpose: KeyPurpose, overlapMs: number): Promise<{ readonly retired: string; readonly current: string }>;
}

export const PURPOSES: readonly KeyPurpose[] = Object.freeze(['oidc', 'audit']);
/** How long a retired OIDC key stays in the JWKS by default: far longer than a token (5 min) or a JWKS cache lives. */
export const DEFAULT_OVERLAP_MS = 24 * 3_600_000;

function aad(r: Pick<SigningKeysTable, 'purpose' | 'kid' | 'algorithm' | 'public_key'>): string {
  return ['hangar-signing-key/v1', r.purpose, r.kid, r.algorithm, r.public_key].join('\n');
}

export function createKeyring(deps: {
  db: Db; clock: Clock; logger: Logger;
  dataDir: string;
  /** HANGAR_SECRET_KEY (validated by the config); unset: the data dir's own. */
  secretKey?: string;
  kinds: Readonly<Record<KeyPurpose, KeyKind>>;
}): Keyring {
  const { db, clock, logger } = deps;
  const postgres = dialectOf(db) === 'postgres';
  let secret: SecretKey | undefined;

  function theSecret(): SecretKey {
    if (!secret) throw new Error('keyring used before prepare()');
    return secret;
  }

  function mismatch(purpose: KeyPurpose, row: SigningKeysTable): HangarError {
    const s = theSecret();
    const mine = s.source === 'HANGAR_SECRET_KEY' ? 'HANGAR_SECRET_KEY' : `the secret this engine generated in ${s.file} (HANGAR_SECRET_KEY is not set)`;
    if (row.secret_id === s.id) {
      return new HangarError('ENGINE_SECRET_KEY_MISMATCH',
        `The current ${purpose} signing key ${row.kid} in the database does not authenticate under ${mine} although it names this secret: the row was altered. Restore the signing_keys table from a backup.`);
    }
    return new HangarError('ENGINE_SECRET_KEY_MISMATCH',
      `The ${purpose} signing keys in the database were encrypted with another secret key (id ${row.secret_id}) than ${mine} (id ${s.id}). ` +
      'Every engine on one database must use the same HANGAR_SECRET_KEY: set it to the value the other engines use ' +
      '(an engine started without it keeps its generated one in <its data dir>/secret-key), then start this engine again.');
  }

  function open(row: SigningKeysTable): SigningKey | undefined {
    const s = theSecret();
    if (row.secret_id !== s.id) return undefined;
    const privateKey = s.decrypt(row.encrypted_private_key, aad(row));
    if (privateKey === undefined) return undefined;
    return {
      kid: row.kid, purpose: row.purpose, algorithm: row.algorithm, publicKey: row.public_key, privateKey,
      createdAt: row.created_at, retiredAt: row.retired_at, publishUntil: row.publish_until,
    };
  }

  function rowOf(purpose: KeyPurpose, m: KeyMaterial, origin: string, retired?: { at: string; publishUntil: string | null }): SigningKeysTable {
    const s = theSecret();
    const base = { kid: m.kid, purpose, algorithm: m.algorithm, public_key: m.publicKey };
    return {
      ...base, encrypted_private_key: s.encrypt(m.privateKey, aad(base)), secret_id: s.id, origin,
      created_at: clock.now().toISOString(), retired_at: retired?.at ?? null, publish_until: retired?.publishUntil ?? null,
    };
  }

  const currentRow = (purpose: KeyPurpose) =>
    db.selectFrom('signing_keys').selectAll().where('purpose', '=', purpose).where('retired_at', 'is', null).executeTakeFirst();

  /** Insert unless the kid exists, or (as current) unless the purpose already has a current key. */
  async function insertIfAbsent(row: SigningKeysTable): Promise<boolean> {
    const r = await db.insertInto('signing_keys').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async function prepareOne(purpose: KeyPurpose): Promise<void> {
    const kind = deps.kinds[purpose];
    const existing = await currentRow(purpose);
    if (existing && !open(existing)) throw mismatch(purpose, existing);
    const legacy = await kind.legacy();
    if (legacy) {
      const known = await db.selectFrom('signing_keys').select('kid').where('kid', '=', legacy.kid).executeTakeFirst();
      if (!known) {
        const origin = `imported:${legacy.file}`;
        // The first engine to upgrade keeps signing with its key; another engine's file key joins as a previous key.
        if (!(await insertIfAbsent(rowOf(purpose, legacy, origin)))) {
          const now = clock.now();
          await insertIfAbsent(rowOf(purpose, legacy, origin, {
            at: now.toISOString(), publishUntil: purpose === 'oidc' ? new Date(now.getTime() + DEFAULT_OVERLAP_MS).toISOString() : null,
          }));
        }
        logger.info('signing key imported from the data dir into the database', { purpose, kid: legacy.kid, file: legacy.file });
      }
    }
    if (!(await currentRow(purpose))) await insertIfAbsent(rowOf(purpose, await kind.generate(), 'generated'));
    const winner = await currentRow(purpose);
    if (!winner) throw new Error(`no current ${purpose} signing key after creating one`);
    if (!open(winner)) throw mismatch(purpose, winner);
  }

  async function current(purpose: KeyPurpose): Promise<SigningKey> {
    const row = await currentRow(purpose);
    if (!row) throw new Error(`no current ${purpose} signing key: the engine was not prepared`);
    const key = open(row);
    if (!key) throw mismatch(purpose, row);
    return key;
  }

  async function all(purpose: KeyPurpose): Promise<SigningKey[]> {
    const rows = await db.selectFrom('signing_keys').selectAll().where('purpose', '=', purpose).orderBy('created_at', 'desc').execute();
    const keys = rows.map(open).filter((k): k is SigningKey => k !== undefined);
    return [...keys.filter((k) => k.retiredAt === null), ...keys.filter((k) => k.retiredAt !== null)];
  }

  return {
    async prepare() {
      secret = await loadSecretKey({ dataDir: deps.dataDir, ...(deps.secretKey !== undefined ? { secretKey: deps.secretKey } : {}) });
      for (const purpose of PURPOSES) await prepareOne(purpose);
      if (postgres && secret.source !== 'HANGAR_SECRET_KEY') {
        logger.warn('HANGAR_SECRET_KEY is not set: the signing keys in the database are encrypted with the secret kept in the data dir; set HANGAR_SECRET_KEY to that value on every engine that shares this database', { file: secret.file, secretId: secret.id });
      }
    },
    current,
    all,
    async storedSecretIds() {
      try {
        const rows = await db.selectFrom('signing_keys').select('secret_id').distinct().where('retired_at', 'is', null).execute();
        return rows.map((r) => r.secret_id);
      } catch {
        return []; // the table does not exist yet: the first start creates it
      }
    },
    async published(purpose) {
      const now = clock.now().toISOString();
      return (await all(purpose)).filter((k) => k.retiredAt === null || (k.publishUntil !== null && k.publishUntil > now) || purpose === 'audit');
    },
    async rotate(purpose, overlapMs) {
      const fresh = await deps.kinds[purpose].generate();
      return db.transaction().execute(async (trx) => {
        const q = trx.selectFrom('signing_keys').selectAll().where('purpose', '=', purpose).where('retired_at', 'is', null);
        const old = await (postgres ? q.forUpdate() : q).executeTakeFirst();
        if (!old) throw new Error(`no current ${purpose} signing key to rotate: start the engine once first`);
        if (!open(old)) throw mismatch(purpose, old);
        const now = clock.now();
        const publishUntil = purpose === 'oidc' ? new Date(now.getTime() + overlapMs).toISOString() : null;
        await trx.updateTable('signing_keys').set({ retired_at: now.toISOString(), publish_until: publishUntil }).where('kid', '=', old.kid).execute();
        await trx.insertInto('signing_keys').values(rowOf(purpose, fresh, 'rotated')).execute();
        logger.info('signing key rotated', { purpose, retired: old.kid, current: fresh.kid, publishUntil });
        return { retired: old.kid, current: fresh.kid };
      });
    },
  };
}
