import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger as PinoLogger } from 'pino';
import type { Clock, Logger } from './types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  /** Lowest level written; default "info". */
  readonly level?: LogLevel;
  /** Where each JSON line goes (without the newline); default process.stderr. */
  readonly write?: (line: string) => void;
  /** Fields on every line. */
  readonly fields?: Record<string, unknown>;
  readonly clock?: Clock;
}

/** The logger `createLogger` makes: a Logger that can also scrub any text with its secrets (the audit log uses it). */
export interface ScrubbingLogger extends Logger {
  scrub(text: string): string;
  child(fields: Record<string, unknown>): ScrubbingLogger;
}

/** The logger's scrub function, when it has one (loggers from `createLogger` do). */
export function scrubberOf(logger: Logger): ((text: string) => string) | undefined {
  const l = logger as Partial<ScrubbingLogger>;
  return typeof l.scrub === 'function' ? (text) => l.scrub!(text) : undefined;
}

const REDACTED = '[REDACTED]';
// Shorter values would shred ordinary text; no real credential is this short.
const MIN_SECRET_LENGTH = 4;
// Bearer credentials and Hangar API tokens are scrubbed even when nobody registered them.
const patterns: ReadonlyArray<[RegExp, string]> = [
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  [/hgr_[A-Za-z0-9_-]{8,}/g, `hgr_${REDACTED}`],
  // CI tokens and invitation codes
  [/hg([ci])_[A-Za-z0-9_-]{8,}/g, `hg$1_${REDACTED}`],
];

/** The secret set shared by a logger and all its children. */
class Scrubber {
  readonly #secrets = new Map<string, number>();

  add(value: string): void {
    if (value.length < MIN_SECRET_LENGTH) return;
    this.#secrets.set(value, (this.#secrets.get(value) ?? 0) + 1);
  }

  remove(value: string): void {
    const n = this.#secrets.get(value);
    if (n === undefined) return;
    if (n <= 1) this.#secrets.delete(value);
    else this.#secrets.set(value, n - 1);
  }

  scrub(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    const secrets = [...this.#secrets.keys()].sort((a, b) => b.length - a.length);
    for (const s of secrets) {
      out = out.split(s).join(REDACTED);
      // The same secret as it appears inside a JSON string (quotes, backslashes, control characters escaped).
      const escaped = JSON.stringify(s).slice(1, -1);
      if (escaped !== s) out = out.split(escaped).join(REDACTED);
    }
    for (const [re, replacement] of patterns) out = out.replace(re, replacement);
    return out;
  }
}

/** Errors and bigints as JSON can carry them; everything else as is (cycles make the line fall back). */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; cause?: unknown };
    return { name: e.name, message: e.message, ...(e.code !== undefined ? { code: e.code } : {}), stack: e.stack, ...(e.cause !== undefined ? { cause: plain(e.cause) } : {}) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Fields as plain JSON values (errors spelled out, `toJSON` honoured, e.g. redacted credentials); undefined when they cannot be serialised. */
function plainFields(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    return JSON.parse(JSON.stringify(fields, (_key, value: unknown) => plain(value))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const UNSERIALISABLE = { logError: 'fields could not be serialised' };

/**
 * A JSON-lines logger on pino. Every line (the message, every field, in every child) is scrubbed of
 * the secrets registered with `addSecret`, of `Bearer …` credentials and of `hgr_…` API tokens:
 * the scrubbing runs on the finished line, so a secret registered after a child was made is
 * still caught in that child's fields.
 *
 * @example
 * const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
 * log.addSecret(credentials.secretAccessKey);
 * log.child({ deploymentId }).info('assumed role', { roleArn });
 */
export function createLogger(options: LoggerOptions = {}): ScrubbingLogger {
  const scrubber = new Scrubber();
  const write = options.write ?? ((line: string) => { process.stderr.write(`${line}\n`); });
  const clock = options.clock ?? { now: () => new Date() };
  const root = pino({
    level: options.level ?? 'info',
    base: null,
    messageKey: 'msg',
    timestamp: () => `,"ts":"${clock.now().toISOString()}"`,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => plainFields(bindings) ?? UNSERIALISABLE,
      log: (fields) => plainFields(fields) ?? UNSERIALISABLE,
    },
    // Fields are made plain above; pino's own error serializer would reshape them.
    serializers: { err: (v: unknown) => v },
  }, { write: (line: string) => write(scrubber.scrub(line.endsWith('\n') ? line.slice(0, -1) : line)) });
  return wrap(root, scrubber, options.fields ?? {});
}

function wrap(base: PinoLogger, scrubber: Scrubber, fields: Record<string, unknown>): ScrubbingLogger {
  const p = Object.keys(fields).length > 0 ? base.child(fields) : base;
  const emit = (level: LogLevel, msg: string, extra?: Record<string, unknown>): void => {
    if (!p.isLevelEnabled(level)) return;
    if (extra) p[level](extra, msg);
    else p[level](msg);
  };
  return {
    debug: (msg, extra) => emit('debug', msg, extra),
    info: (msg, extra) => emit('info', msg, extra),
    warn: (msg, extra) => emit('warn', msg, extra),
    error: (msg, extra) => emit('error', msg, extra),
    child: (more) => wrap(p, scrubber, more),
    addSecret: (value) => scrubber.add(value),
    removeSecret: (value) => scrubber.remove(value),
    scrub: (text) => scrubber.scrub(text),
  };
}

/**
 * Request-scoped log fields: `run(fields, fn)` makes every line written through `withContext(logger)`
 * while `fn` (and everything it awaits) runs carry `fields`, e.g. the request id of the HTTP request
 * being served. One per engine; nothing module-wide.
 */
export interface LogContext {
  run<T>(fields: Record<string, unknown>, fn: () => T): T;
  current(): Readonly<Record<string, unknown>> | undefined;
  /** A logger (and its children) that adds the current context's fields to every line. */
  withContext<L extends Logger>(logger: L): L;
}

export function createLogContext(): LogContext {
  const storage = new AsyncLocalStorage<Record<string, unknown>>();
  const current = () => storage.getStore();
  const withContext = <L extends Logger>(logger: L): L => {
    const at = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
      const ctx = current();
      logger[level](msg, ctx ? { ...ctx, ...fields } : fields);
    };
    const wrapped: Logger & { scrub?: (t: string) => string } = {
      debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
      child: (fields) => withContext(logger.child(fields)),
      addSecret: (v) => logger.addSecret(v),
      removeSecret: (v) => logger.removeSecret(v),
    };
    const scrub = scrubberOf(logger);
    if (scrub) wrapped.scrub = scrub;
    return wrapped as L;
  };
  return { run: (fields, fn) => storage.run(fields, fn), current, withContext };
}
