import { isHangarError } from '@hangar/core';

/** What the `hangar-engine` commands are given: the environment and where to write (tests pass their own). */
export interface EngineIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** An error for a person: `CODE: message` for a Hangar error (a user can act on it), the stack for a bug. */
export function describeError(err: unknown): string {
  if (isHangarError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
