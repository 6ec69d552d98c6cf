import type { Clock, Logger } from './types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

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

/**
 * A JSON-lines logger. Every line (the message, every field, in every child) is scrubbed of the
 * secrets registered with `addSecret`, of `Bearer …` credentials and of `hgr_…` API tokens.
 *
 * @example
 * const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
 * log.addSecret(credentials.secretAccessKey);
 * log.child({ deploymentId }).info('assumed role', { roleArn });
 */
export function createLogger(options: LoggerOptions = {}): ScrubbingLogger {
  const min = levelRank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => { process.stderr.write(`${line}\n`); });
  const clock = options.clock ?? { now: () => new Date() };
  return makeLogger(new Scrubber(), options.fields ?? {}, min, write, clock);
}

function makeLogger(scrubber: Scrubber, base: Record<string, unknown>, min: number, write: (line: string) => void, clock: Clock): ScrubbingLogger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (levelRank[level] < min) return;
    const record = { ts: clock.now().toISOString(), level, msg, ...base, ...fields };
    let line: string;
    try {
      line = JSON.stringify(record, (_key, value: unknown) => {
        const v = plain(value);
        return typeof v === 'string' ? scrubber.scrub(v) : v;
      });
    } catch {
      line = JSON.stringify({ ts: record.ts, level, msg: scrubber.scrub(msg), logError: 'fields could not be serialised' });
    }
    write(scrubber.scrub(line));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => makeLogger(scrubber, { ...base, ...fields }, min, write, clock),
    addSecret: (value) => scrubber.add(value),
    removeSecret: (value) => scrubber.remove(value),
    scrub: (text) => scrubber.scrub(text),
  };
}
