/**
 * The file a Node.js handler (`<file>.<export>`, as Lambda reads it) lives in, checked against the
 * paths of a source manifest. Shared by the CLI (before it uploads) and the components (before
 * any cloud call), so both refuse a missing handler file with the same words.
 */
import { HangarError } from './errors.js';

/** Lambda's Node.js runtime tries these extensions, in this order. */
const EXTENSIONS = ['.js', '.mjs', '.cjs'] as const;

/** `index.handler` → index.js, index.mjs, index.cjs; `src/app.handler` → src/app.{js,mjs,cjs}. */
export function handlerFileCandidates(handler: string): string[] {
  const dot = handler.lastIndexOf('.');
  const module = (dot > 0 ? handler.slice(0, dot) : handler).replace(/^\.\//, '');
  return EXTENSIONS.map((ext) => `${module}${ext}`);
}

/** Throws COMPONENT_HANDLER_NOT_FOUND unless one of the handler's candidate files is among `paths`. */
export function checkHandlerFile(handler: string, paths: Iterable<string>, field = 'inputs.handler'): void {
  const candidates = handlerFileCandidates(handler);
  const have = new Set(paths);
  if (candidates.some((c) => have.has(c))) return;
  const [first] = candidates;
  throw new HangarError('COMPONENT_HANDLER_NOT_FOUND', `${field}: the handler "${handler}" needs the file ${candidates.join(', ')} in inputs.src, and none of them is there. Add ${first} (exporting the function) to inputs.src, or set handler to <file>.<export> of the file that has it (a path relative to inputs.src, without its extension).`, {
    details: { handler, lookedFor: candidates },
  });
}
