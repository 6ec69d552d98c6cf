/** Terminal prompts (@clack/prompts); only offered when stdin and stderr are terminals. */
import { isCancel, password, text } from '@clack/prompts';
import { HangarError } from '@hangar/core';
import type { Prompter } from './context.js';

function answer(v: string | symbol): string {
  if (isCancel(v) || typeof v !== 'string') throw new HangarError('VALIDATION_FAILED', 'Cancelled.');
  return v;
}

export function createTerminalPrompter(): Prompter {
  return {
    text: async (message, o) => answer(await text({ message, ...(o?.placeholder ? { placeholder: o.placeholder } : {}), ...(o?.initial ? { initialValue: o.initial } : {}) })),
    secret: async (message) => answer(await password({ message })),
  };
}
