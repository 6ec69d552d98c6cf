/**
 * Printing: step lines (coloured on a terminal, plain otherwise), and the one place errors are
 * turned into output and an exit code. A HangarError is the user's to act on: its message only.
 * Anything else is a bug in the CLI: the stack, so it can be reported.
 */
import pc from 'picocolors';
import { isHangarError } from '@hangar/core';
import type { CommandContext, Output } from './context.js';

export interface Ui {
  step(text: string): void;
  info(text: string): void;
  success(text: string): void;
  warn(text: string): void;
}

function colors(out: Output) {
  return pc.createColors(out.isTTY === true);
}

/** Progress goes to stderr so stdout stays clean for `--json` and pipes. */
export function createUi(ctx: CommandContext, quiet = false): Ui {
  const c = colors(ctx.stderr);
  const line = (text: string) => { if (!quiet) ctx.stderr.write(`${text}\n`); };
  return {
    step: (t) => line(`${c.cyan('•')} ${t}`),
    info: (t) => line(`  ${c.dim(t)}`),
    success: (t) => line(`${c.green('✔')} ${t}`),
    warn: (t) => line(`${c.yellow('!')} ${t}`),
  };
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function errorJson(e: unknown): { code: string; message: string } {
  return isHangarError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Print an error the way its kind deserves and return the exit code. */
export function reportError(ctx: CommandContext, e: unknown, json: boolean): number {
  if (json) {
    printJson(ctx, { error: errorJson(e) });
    return 1;
  }
  const c = colors(ctx.stderr);
  if (isHangarError(e)) {
    ctx.stderr.write(`${c.red('✖')} ${e.message} ${c.dim(`(${e.code})`)}\n`);
  } else {
    ctx.stderr.write(`${c.red('✖ Hangar CLI bug')}: please report it with this stack:\n${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  }
  return 1;
}
