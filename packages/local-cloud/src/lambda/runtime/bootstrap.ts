/**
 * The program each Lambda sandbox runs (`node -e BOOTSTRAP`): it loads the handler once, then
 * serves invocations sent over the IPC channel, one at a time, like AWS's Node.js runtime
 * (aws-lambda-nodejs-runtime-interface-client), whose log formats it keeps:
 * - console calls: one log event each, `<time>\t<requestId>\t<LEVEL>\t<message>`, newlines kept
 *   (the runtime's telemetry channel does not split them); raw stdout/stderr writes are split
 *   into one event per line;
 * - a handler's error: `ERROR\tInvoke Error \t{"errorType","errorMessage",...,"stack":[...]}`;
 *   Invoke answers `{errorType, errorMessage, trace}`;
 * - init failures as `Runtime.ImportModuleError` (`Error: Cannot find module 'x'...`),
 *   `Runtime.HandlerNotFound` (`index.handler is undefined or not exported`),
 *   `Runtime.UserCodeSyntaxError` (`SyntaxError: ...`), `Runtime.MalformedHandlerName`, logged as
 *   `undefined\tERROR\tUncaught Exception \t{...}`;
 * - a stray rejection: `Unhandled Promise Rejection \t{"errorType":"Runtime.UnhandledPromiseRejection",...}`,
 *   then the process exits (128), as AWS's does.
 * stdout/stderr writes and console calls travel over the same IPC channel as results, so log
 * lines keep their order relative to the END of an invocation.
 * Kept as plain CommonJS text so it runs from sources and from dist alike.
 */
export const BOOTSTRAP = String.raw`
'use strict';
const { format } = require('node:util');
const { pathToFileURL } = require('node:url');
const fs = require('node:fs');
const path = require('node:path');
// Node 20's permission model does not cover signals: a function may signal only itself, never the
// cloud or the engine that started it (process.kill goes through process._kill).
{
  const kill = process._kill;
  Object.defineProperty(process, '_kill', {
    value: function _kill(pid, sig) { return pid === process.pid ? kill.call(process, pid, sig) : -1; },
    writable: false, configurable: false, enumerable: false,
  });
}
let current;
const send = (m) => { if (process.connected) process.send(m); };
const emit = (text) => send({ t: 'log', text: String(text) });
const event = (level, message) => send({ t: 'event', text: new Date().toISOString() + '\t' + (current ? current.requestId : 'undefined') + '\t' + level + '\t' + message });
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, enc, cb) => {
    emit(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk);
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}
const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE', fatal: 'FATAL' };
for (const [name, level] of Object.entries(levels)) {
  console[name] = (...args) => event(level, format(...args));
}
// The runtime's own error classes: their name is 'Runtime.<Class>', their message the cause's text.
const runtimeError = (kind) => {
  const C = class extends Error {};
  Object.defineProperty(C.prototype, 'name', { value: 'Runtime.' + kind, writable: true, configurable: true });
  return C;
};
const ImportModuleError = runtimeError('ImportModuleError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError');
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) { super(reason); this.reason = reason; this.promise = promise; }
}
Object.defineProperty(UnhandledPromiseRejection.prototype, 'name', { value: 'Runtime.UnhandledPromiseRejection', writable: true, configurable: true });
// What Invoke answers for an error.
function errorOf(e) {
  try {
    if (e instanceof Error) return { errorType: e.name, errorMessage: e.message, trace: String(e.stack || '').split('\n') };
    return { errorType: typeof e, errorMessage: String(e), trace: [] };
  } catch {
    return { errorType: 'handled', errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack', trace: [] };
  }
}
// What the log line carries: name, message, code and the error's own properties, the stack as lines.
function formatted(e) {
  const err = e instanceof Error ? e : new Error(e);
  const withProps = (_k, v) => {
    if (!(v instanceof Error)) return v;
    const out = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
    if (typeof v.stack === 'string') out.stack = v.stack.split('\n');
    return out;
  };
  try { return '\t' + JSON.stringify(err, withProps); } catch { return '\t' + JSON.stringify(errorOf(err)); }
}
const root = process.env.LAMBDA_TASK_ROOT;
const spec = process.env._HANDLER || '';
async function load() {
  const dot = spec.indexOf('.', spec.lastIndexOf('/') + 1);
  if (dot < 0) throw new MalformedHandlerName('Bad handler');
  const modName = spec.slice(0, dot);
  const exportPath = spec.slice(dot + 1).split('.');
  const base = path.resolve(root, modName);
  // The module must be inside the task root (CreateFunction refuses '..' and absolute paths too).
  const inside = !path.isAbsolute(modName) && base.startsWith(path.resolve(root) + path.sep);
  const file = inside ? ['.js', '.mjs', '.cjs'].map((x) => base + x).find((p) => fs.existsSync(p)) : undefined;
  if (!file) {
    // AWS's runtime falls back to require.resolve(module), which says this.
    throw new ImportModuleError(new Error("Cannot find module '" + path.basename(modName) + "'\nRequire stack:\n- /var/runtime/index.mjs"));
  }
  let mod;
  try { mod = await import(pathToFileURL(file).href); }
  catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')) throw new ImportModuleError(e);
    throw e;
  }
  let fn = mod;
  for (const k of exportPath) fn = fn == null ? undefined : (fn[k] !== undefined ? fn[k] : (fn.default ? fn.default[k] : undefined));
  if (!fn) throw new HandlerNotFound(spec + ' is undefined or not exported');
  if (typeof fn !== 'function') throw new HandlerNotFound(spec + ' is not a function');
  return fn;
}
function run(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const cb = (err, value) => { if (settled) return; settled = true; if (err !== undefined && err !== null) reject(err); else resolve(value); };
    context.done = cb; context.succeed = (v) => cb(null, v); context.fail = (e) => cb(e === undefined || e === null ? 'handled' : e);
    try {
      const r = fn(event, context, cb);
      if (r && typeof r.then === 'function') r.then((v) => cb(null, v), (e) => cb(e === undefined || e === null ? new Error('Promise rejected with ' + e) : e));
      else if (fn.length < 3) cb(null, r);
    } catch (e) { cb(e); }
  });
}
function fatal(what, e, code) {
  console.error(what, formatted(e));
  if (current) send({ t: 'result', requestId: current.requestId, error: errorOf(e), fatal: true, maxRssKb: process.resourceUsage().maxRSS });
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}
process.on('uncaughtException', (e) => fatal('Uncaught Exception', e, 129));
process.on('unhandledRejection', (reason, promise) => fatal('Unhandled Promise Rejection', new UnhandledPromiseRejection(reason, promise), 128));
(async () => {
  const started = process.hrtime.bigint();
  let handler;
  try { handler = await load(); }
  catch (e) {
    console.error('Uncaught Exception', formatted(e));
    send({ t: 'init-error', error: errorOf(e), initMs: Number(process.hrtime.bigint() - started) / 1e6 });
    return;
  }
  send({ t: 'ready', initMs: Number(process.hrtime.bigint() - started) / 1e6 });
  process.on('message', async (m) => {
    if (!m || m.t !== 'invoke') return;
    current = m;
    const deadline = Date.now() + m.timeoutMs;
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: m.invokedFunctionArn,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: m.requestId,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: m.clientContext,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let out;
    try {
      const value = await run(handler, JSON.parse(m.event), context);
      const payload = JSON.stringify(value === undefined ? null : value);
      out = { t: 'result', requestId: m.requestId, payload };
    } catch (e) {
      console.error('Invoke Error', formatted(e));
      out = { t: 'result', requestId: m.requestId, error: errorOf(e) };
    }
    out.maxRssKb = process.resourceUsage().maxRSS;
    current = undefined;
    send(out);
  });
})();
`;
