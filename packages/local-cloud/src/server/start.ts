/** startLocalCloud: wires the identity core, the services, persistence and the HTTP port. */
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createIamService } from '../iam/service.js';
import { createIdentity, type AccountCredentials } from '../iam/identity.js';
import { emptyIdentityState, type IdentityState } from '../iam/state.js';
import type { CloudRuntime, DataPlaneRoute, Service, ServiceFactory } from '../internal/contract.js';
import { defaultServices } from '../services.js';
import { createStsService } from '../sts/service.js';
import { createAdmin, DEFAULT_MAX_ACCOUNTS, loadOrCreateAdminToken } from './admin.js';
import { createClock } from './clock.js';
import { createHandler, hostName } from './http.js';
import { createPersistence } from './persistence.js';

export interface LocalCloudOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Where state survives restarts; without it everything lives in memory. */
  readonly dataDir?: string;
  /** Enables POST /_local/clock. */
  readonly allowClockControl?: boolean;
  /** Services besides IAM and STS; defaults to `defaultServices`. */
  readonly services?: readonly ServiceFactory[];
  /** Largest request body accepted (default 70 MiB, room for a base64 50 MB zip). */
  readonly maxBodyBytes?: number;
  /** Where unexpected errors are reported (default: stderr). Never receives credentials. */
  readonly log?: (line: string) => void;
  /** Most accounts the cloud holds (default 50); POST /_local/accounts refuses one more. */
  readonly maxAccounts?: number;
  /**
   * Host names answered besides loopback names (localhost, 127.0.0.1, [::1], *.localhost) and
   * the `host` the cloud binds; requests naming any other Host are refused (DNS rebinding).
   */
  readonly allowedHosts?: readonly string[];
}

export interface LocalCloud {
  /** e.g. http://127.0.0.1:4566 */
  readonly endpoint: string;
  readonly port: number;
  /**
   * The token the /_local/* admin routes require (`Authorization: Bearer <token>`). With a data
   * dir it is kept in `<dataDir>/admin-token` (mode 0600) and reused across restarts.
   */
  readonly adminToken: string;
  /** `<dataDir>/admin-token`, or undefined without a data dir. */
  readonly adminTokenFile: string | undefined;
  /** The server clock. */
  now(): Date;
  /** Stops listening, closes the services and flushes state to the data dir. */
  stop(): Promise<void>;
}

interface SavedState {
  version: 1;
  clockOffsetMs: number;
  identity: IdentityState;
  services: Record<string, unknown>;
}

export type { AccountCredentials };

/** `<dataDir>/endpoint`: the endpoint of the cloud running on that data dir (absent when stopped). */
export const ENDPOINT_FILE = 'endpoint';

/**
 * Starts the local cloud.
 * @example const cloud = await startLocalCloud({ port: 0 }); // cloud.endpoint -> http://127.0.0.1:53211
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let endpoint = '';
  let collect: () => SavedState = () => { throw new Error('not started'); };
  const persistence = createPersistence(options.dataDir, () => collect(), (e) => log(`local-cloud: could not write state: ${String(e)}`));
  const saved = persistence.load() as SavedState | undefined;
  if (saved !== undefined && saved.version !== 1) throw new Error(`Unsupported local cloud state version ${String(saved.version)} in ${options.dataDir}.`);

  const clock = createClock(saved?.clockOffsetMs ?? 0);
  const identityState = saved?.identity ?? emptyIdentityState();
  const identity = createIdentity({ state: identityState, now: clock.now, changed: persistence.changed });
  const rt: CloudRuntime = {
    now: clock.now,
    endpoint: () => endpoint,
    changed: persistence.changed,
    authorize: identity.authorize,
    dataDir: () => options.dataDir,
    identity: identity.identityApi,
  };

  const services = new Map<string, Service>();
  const dataPlane: DataPlaneRoute[] = [];
  const built = [{ service: createIamService(identity) }, { service: createStsService(identity) }, ...(options.services ?? defaultServices).map((f) => f(rt))];
  for (const b of built) {
    if (services.has(b.service.signingName)) throw new Error(`Two services answer to the signing name '${b.service.signingName}'.`);
    services.set(b.service.signingName, b.service);
    dataPlane.push(...(b.dataPlane ?? []));
  }
  for (const [name, s] of services) {
    const state = saved?.services[name];
    if (state !== undefined && s.restore) await s.restore(state);
  }
  collect = () => {
    const out: Record<string, unknown> = {};
    for (const [name, s] of services) if (s.snapshot) out[name] = s.snapshot();
    return { version: 1, clockOffsetMs: clock.offsetMs(), identity: identityState, services: out };
  };

  const maxAccounts = options.maxAccounts ?? DEFAULT_MAX_ACCOUNTS;
  if (!Number.isInteger(maxAccounts) || maxAccounts < 1) throw new Error(`maxAccounts must be a whole number of at least 1, got ${String(options.maxAccounts)}.`);
  const admin = loadOrCreateAdminToken(options.dataDir);
  const allowedHosts = [...(options.allowedHosts ?? []), host.includes(':') ? `[${host}]` : host].map((h) => hostName(h));
  const handler = createHandler({
    services, dataPlane, identity, log, now: clock.now, maxBodyBytes: options.maxBodyBytes ?? 70 * 1024 * 1024, allowedHosts,
    admin: createAdmin({
      identity, clock, allowClockControl: options.allowClockControl === true, changed: persistence.changed,
      adminToken: admin.token, adminTokenFile: admin.file, maxAccounts,
    }),
  });
  // Idle sockets stay open longer than SDK clients keep them in their pools (as AWS front ends do),
  // so a client never reuses a socket the server is closing at that moment.
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Where tools (`hangar cloud credentials`) find the running cloud; removed at stop.
  const endpointFile = options.dataDir ? join(options.dataDir, ENDPOINT_FILE) : undefined;
  if (endpointFile) writeFileSync(endpointFile, `${endpoint}\n`, { mode: 0o600 });

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    adminToken: admin.token,
    adminTokenFile: admin.file,
    now: clock.now,
    stop() {
      stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        try {
          for (const s of services.values()) {
            try {
              await s.close?.();
            } catch (e) {
              log(`local-cloud: service ${s.signingName} failed to close: ${String(e)}`);
            }
          }
        } finally {
          persistence.flush();
          if (endpointFile) rmSync(endpointFile, { force: true });
        }
      })();
      return stopped;
    },
  };
}
