#!/usr/bin/env node
/** The `hangar` binary: builds the context from the process (with cloud credentials filtered out). */
import { main } from './main.js';
import { safeEnv } from './env.js';
import { createTerminalPrompter } from './prompts.js';

const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: safeEnv(process.env),
  stdout: process.stdout,
  stderr: process.stderr,
  ...(interactive ? { prompt: createTerminalPrompter() } : {}),
}).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`Hangar CLI bug: please report it with this stack:\n${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
