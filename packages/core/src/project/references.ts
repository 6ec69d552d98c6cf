/**
 * `${output:<instance>.<key>}` (same app and stage) and `${output:<app>:<stage>:<instance>.<key>}`:
 * references from one instance's inputs to another instance's outputs. Parsing a project file
 * leaves them in place; the engine resolves them when the referenced instance has succeeded
 * (an app deployment) or from stored outputs (an instance deployed on its own).
 *
 * A reference that is the whole string keeps the output's JSON type (a number stays a number);
 * one embedded in a longer string is interpolated (non-strings as JSON). Pure: no I/O.
 */
import { HangarError } from '../errors.js';

export interface OutputReference {
  /** The reference as written, e.g. "${output:api.url}". */
  readonly text: string;
  /** Set only in the long form; the short form means the referring instance's app and stage. */
  readonly app?: string;
  readonly stage?: string;
  readonly instance: string;
  /** The output's key; dots reach into an object output ("db.host"). */
  readonly key: string;
  /** Dotted path of the input holding it, e.g. "inputs.env.TABLE". */
  readonly path: string;
}

/** One instance of an app, as far as references are concerned. */
export interface ReferringInstance {
  readonly name: string;
  /** Shown in messages, e.g. "api/hangar.yml". */
  readonly file: string;
  readonly inputs: unknown;
}

const ANY_OUTPUT = /\$\{\s*output:([^}]*)\}/g;
const WHOLE = /^\$\{\s*output:([^}]*)\}$/;
const NAME = '[A-Za-z][A-Za-z0-9-]{0,63}';
const STAGE = '[A-Za-z0-9][A-Za-z0-9-]{0,31}';
const KEY = '[A-Za-z0-9_$-]+(?:\\.[A-Za-z0-9_$-]+)*';
const SHORT = new RegExp(`^\\s*(${NAME})\\.(${KEY})\\s*$`);
const LONG = new RegExp(`^\\s*(${NAME}):(${STAGE}):(${NAME})\\.(${KEY})\\s*$`);

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

function parseOne(body: string, text: string, path: string, file: string | undefined): OutputReference {
  const long = LONG.exec(body);
  if (long) return { text, app: long[1]!, stage: long[2]!, instance: long[3]!, key: long[4]!, path };
  const short = SHORT.exec(body);
  if (short) return { text, instance: short[1]!, key: short[2]!, path };
  throw new HangarError('PROJECT_REFERENCE_INVALID', `${file ? `${file}: ` : ''}${path}: ${text} is not an output reference Hangar reads; write \${output:<instance>.<key>} (same app and stage) or \${output:<app>:<stage>:<instance>.<key>}, e.g. \${output:api.url}.`, {
    details: { ...(file ? { file } : {}), path, reference: text },
  });
}

/** Every output reference in `value` (any depth), in document order. Throws PROJECT_REFERENCE_INVALID for a malformed one. */
export function findReferences(value: unknown, path = 'inputs', file?: string): OutputReference[] {
  const out: OutputReference[] = [];
  const walk = (v: unknown, p: string): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(ANY_OUTPUT)) out.push(parseOne(m[1]!, m[0], p, file));
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, joinPath(p, i)));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, joinPath(p, k));
    }
  };
  walk(value, path);
  return out;
}

export function hasReferences(value: unknown): boolean {
  return findReferences(value).length > 0;
}

/** The value at `key` (dotted) of an outputs object; undefined when absent. */
export function outputAt(outputs: Readonly<Record<string, unknown>>, key: string): unknown {
  let v: unknown = outputs;
  for (const k of key.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * `value` with every reference replaced by `resolve(ref)`. A string that is one reference takes
 * the resolved value as is; an embedded one is interpolated (strings as they are, others as JSON).
 */
export function substituteReferences(value: unknown, resolve: (ref: OutputReference) => unknown, path = 'inputs', file?: string): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return resolve(parseOne(whole[1]!, value, path, file));
    if (!value.includes('${')) return value;
    return value.replace(ANY_OUTPUT, (text, body: string) => {
      const v = resolve(parseOne(body, text, path, file));
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((x, i) => substituteReferences(x, resolve, joinPath(path, i), file));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) out[k] = substituteReferences(x, resolve, joinPath(path, k), file);
    return out;
  }
  return value;
}

/** A reference resolved inside the app deployment (to one of its instances) or outside it (stored outputs). */
export interface AppGraph {
  /** name -> the names (in this deployment) it references, each once. */
  readonly dependsOn: Readonly<Record<string, readonly string[]>>;
  /** References to instances not in this deployment (another app or stage, or one not listed): resolved from stored outputs. */
  readonly external: readonly { readonly from: ReferringInstance; readonly ref: OutputReference; readonly app: string; readonly stage: string }[];
  /** Every name, dependencies before dependents (ties in the order given). */
  readonly order: readonly string[];
}

/**
 * The dependency graph of an app's instances (all of `app`/`stage`). Refuses duplicate names,
 * malformed references and cycles (PROJECT_REFERENCE_CYCLE naming each file and input path on the cycle).
 */
export function appGraph(instances: readonly ReferringInstance[], app: string, stage: string): AppGraph {
  const byName = new Map<string, ReferringInstance>();
  for (const i of instances) {
    const first = byName.get(i.name);
    if (first) {
      throw new HangarError('PROJECT_FILE_INVALID', `${i.file}: name: "${i.name}" is also the name of the instance in ${first.file}; each instance of an app needs its own name.`, { details: { file: i.file, path: 'name' } });
    }
    byName.set(i.name, i);
  }
  const dependsOn: Record<string, string[]> = {};
  const via = new Map<string, OutputReference>(); // "from>to" -> the first reference making the edge
  const external: { from: ReferringInstance; ref: OutputReference; app: string; stage: string }[] = [];
  for (const i of instances) {
    const deps: string[] = [];
    for (const ref of findReferences(i.inputs, 'inputs', i.file)) {
      const refApp = ref.app ?? app;
      const refStage = ref.stage ?? stage;
      if (refApp === app && refStage === stage && byName.has(ref.instance)) {
        if (ref.instance === i.name) {
          throw new HangarError('PROJECT_REFERENCE_CYCLE', `${i.file}: ${ref.path}: ${ref.text} refers to the instance's own outputs, which do not exist before it is deployed. Remove the reference.`, {
            details: { file: i.file, path: ref.path, cycle: [i.name] },
          });
        }
        if (!deps.includes(ref.instance)) {
          deps.push(ref.instance);
          via.set(`${i.name}>${ref.instance}`, ref);
        }
      } else {
        external.push({ from: i, ref, app: refApp, stage: refStage });
      }
    }
    dependsOn[i.name] = deps;
  }
  // Depth-first search: a grey node reached again closes a cycle.
  const state = new Map<string, 'grey' | 'black'>();
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'grey');
    stack.push(name);
    for (const d of dependsOn[name]!) {
      const s = state.get(d);
      if (s === 'grey') {
        const cycle = [...stack.slice(stack.indexOf(d)), d];
        const steps = cycle.slice(0, -1).map((from, k) => {
          const ref = via.get(`${from}>${cycle[k + 1]}`)!;
          return `${byName.get(from)!.file}: ${ref.path} (${ref.text})`;
        });
        throw new HangarError('PROJECT_REFERENCE_CYCLE', `The instances reference each other in a cycle (${cycle.join(' -> ')}), so none of them can be deployed first: ${steps.join('; ')}. Remove one of these references.`, {
          details: { cycle, file: byName.get(cycle[0]!)!.file, path: via.get(`${cycle[0]}>${cycle[1]}`)!.path },
        });
      }
      if (s === undefined) visit(d);
    }
    stack.pop();
    state.set(name, 'black');
    order.push(name);
  };
  for (const i of instances) if (!state.has(i.name)) visit(i.name);
  return { dependsOn, external, order };
}
