import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Db, Logger } from '../types.js';
import type { DeploymentBus } from './bus.js';

export interface PgDeploymentBusDeps {
  /** The store: NOTIFY goes through its pool, after the write it announces has committed. */
  readonly db: Db;
  /** A new client that is not from the pool: the bus keeps it for LISTEN (one per engine). */
  readonly listenClient: () => pg.Client;
  readonly logger: Logger;
  /** First wait before reconnecting a lost listener, doubled up to 5 s; default 250 ms. */
  readonly reconnectMs?: number;
  /** How often the listening connection is checked with a query (a dead peer sends no RST); default 30 s. */
  readonly pingMs?: number;
}

/**
 * Fan-out across engines through PostgreSQL LISTEN/NOTIFY. `notify` wakes this process's
 * subscribers at once and sends `pg_notify(channel, id)`; every engine listens on one dedicated
 * connection and wakes its subscribers of that id. The payload is the id only: streams read the
 * lines and status from the tables. NOTIFYs for one id are coalesced (one in flight, at most one
 * more queued), so a chatty deployment costs a bounded number of round trips.
 *
 * The channel is per schema (`hangar_deployments:<schema>`): engines on other schemas of the same
 * database (tests, other installations) never wake each other. When the listening connection is
 * lost, `live()` turns false (streams fall back to polling), the bus reconnects with backoff, and
 * on reconnecting wakes every subscriber, since notifications sent meanwhile are gone.
 */
export function createPgDeploymentBus(deps: PgDeploymentBusDeps): DeploymentBus {
  const { db, logger } = deps;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let channel = '';
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retryMs = deps.reconnectMs ?? 250;
  let retryTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  const sending = new Map<string, boolean>(); // id -> another NOTIFY wanted after the one in flight

  const wakeAll = (): void => {
    for (const id of emitter.eventNames()) emitter.emit(id);
  };

  const send = (id: string): void => {
    if (sending.has(id)) {
      sending.set(id, true);
      return;
    }
    sending.set(id, false);
    void (async () => {
      try {
        do {
          sending.set(id, false);
          await sql`select pg_notify(${channel}, ${id})`.execute(db);
        } while (sending.get(id) && !closed);
      } catch (err) {
        // Listeners elsewhere still see the change at their next poll.
        logger.warn('could not notify other engines of a deployment change', { deploymentId: id, err });
      } finally {
        sending.delete(id);
      }
    })();
  };

  const lost = (c: pg.Client, err?: unknown): void => {
    if (client !== c) return;
    client = undefined;
    listening = false;
    clearInterval(pingTimer);
    c.removeAllListeners('notification');
    c.end().catch(() => {});
    if (closed) return;
    logger.warn('the deployment notification connection was lost; streams poll until it is back', { err, retryInMs: retryMs });
    // Streams waiting for a notification switch to polling now, not at their next keep-alive.
    wakeAll();
    retryTimer = setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const c = deps.listenClient();
    client = c;
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload) emitter.emit(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      lost(c, err);
      return;
    }
    if (client !== c) return;
    listening = true;
    retryMs = deps.reconnectMs ?? 250;
    logger.info('listening for deployment notifications', { channel });
    pingTimer = setInterval(() => void c.query('select 1').catch((err: unknown) => lost(c, err)), deps.pingMs ?? 30_000);
    pingTimer.unref();
    // Whatever was sent while nobody listened is lost: let every open stream look once.
    wakeAll();
  }

  return {
    notify(id) {
      emitter.emit(id);
      if (channel && !closed) send(id);
    },
    subscribe(id, listener) {
      emitter.on(id, listener);
      return () => void emitter.off(id, listener);
    },
    live: () => listening,
    async start() {
      const row = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      channel = `hangar_deployments:${row.rows[0]?.schema ?? 'public'}`.slice(0, 63);
      await connect();
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      const c = client;
      client = undefined;
      listening = false;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
