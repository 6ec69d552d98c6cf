/** Terminal prompts (@clack/prompts); only offered when stdin and stderr are terminals. */
import { HangarError } from '@hangar/core';
import type { Prompter } from './context.js';

function answer(v: string | symbol, isCancel: (v: unknown) => boolean): string {
  if (isCancel(v) || typeof v !== 'string') throw new HangarError('VALIDATION_FAILED', 'Cancelled.');
  return v;
}

/** @clack/prompts is loaded on first use: most commands never prompt. */
export function createTerminalPrompter(): Prompter {
  return {
    async text(message, o) {
      const clack = await import('@clack/prompts');
      return answer(await clack.text({ message, ...(o?.placeholder ? { placeholder: o.placeholder } : {}), ...(o?.initial ? { initialValue: o.initial } : {}) }), clack.isCancel);
    },
    async secret(message) {
      const clack = await import('@clack/prompts');
      return answer(await clack.password({ message }), clack.isCancel);
    },
  };
}
