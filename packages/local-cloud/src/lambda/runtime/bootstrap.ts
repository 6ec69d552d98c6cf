/**
 * The program each Lambda sandbox runs (`node -e BOOTSTRAP`): it loads the handler once, then
 * serves invocations sent over the IPC channel, one at a time, like AWS's Node.js runtime.
 * stdout/stderr writes and console calls travel over the same IPC channel as results, so log
 * lines keep their order relative to the END of an invocation. console lines get the runtime's
 * `<time>\t<requestId>\t<LEVEL>\t<message>` form, newlines turned into \r (one event per call).
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
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, enc, cb) => {
    emit(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk);
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}
const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
for (const [name, level] of Object.entries(levels)) {
  console[name] = (...args) => emit(new Date().toISOString() + '\t' + (current ? current.requestId : 'undefined') + '\t' + level + '\t' + format(...args).replace(/\n/g, '\r') + '\n');
}
function errorOf(e) {
  if (e instanceof Error) return { errorType: e.name || 'Error', errorMessage: e.message, trace: String(e.stack || '').split('\n') };
  if (typeof e === 'string') return { errorType: 'string', errorMessage: e, trace: [] };
  let msg; try { msg = JSON.stringify(e); } catch { msg = String(e); }
  return { errorType: typeof e, errorMessage: msg === undefined ? String(e) : msg, trace: [] };
}
const root = process.env.LAMBDA_TASK_ROOT;
const spec = process.env._HANDLER || '';
async function load() {
  const dot = spec.indexOf('.', spec.lastIndexOf('/') + 1);
  if (dot < 0) throw Object.assign(new Error('Bad handler ' + spec), { name: 'Runtime.MalformedHandlerName' });
  const modName = spec.slice(0, dot);
  const exportPath = spec.slice(dot + 1).split('.');
  const base = path.resolve(root, modName);
  // The module must be inside the task root (CreateFunction refuses '..' and absolute paths too).
  const inside = !path.isAbsolute(modName) && base.startsWith(path.resolve(root) + path.sep);
  const file = inside ? ['.js', '.mjs', '.cjs'].map((x) => base + x).find((p) => fs.existsSync(p)) : undefined;
  if (!file) {
    const e = new Error("Cannot find module '" + modName + "'\nRequire stack:\n- /var/runtime/index.mjs");
    throw Object.assign(e, { name: 'Runtime.ImportModuleError', message: 'Error: ' + e.message });
  }
  let mod;
  try { mod = await import(pathToFileURL(file).href); }
  catch (e) {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND' || e && e.code === 'MODULE_NOT_FOUND') {
      throw Object.assign(new Error('Error: ' + e.message), { name: 'Runtime.ImportModuleError', stack: e.stack });
    }
    // As AWS's runtime: a syntax error in the user's code is Runtime.UserCodeSyntaxError, its message the original error.
    if (e instanceof SyntaxError) {
      const message = String(e);
      throw Object.assign(new Error(message), { name: 'Runtime.UserCodeSyntaxError', stack: 'Runtime.UserCodeSyntaxError: ' + message + String(e.stack || '').split('\n').slice(1).map((l) => '\n' + l).join('') });
    }
    throw e;
  }
  let fn = mod;
  for (const k of exportPath) fn = fn == null ? undefined : (fn[k] !== undefined ? fn[k] : (fn.default ? fn.default[k] : undefined));
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(spec + ' is undefined or not exported'), { name: 'Runtime.HandlerNotFound' });
  }
  return fn;
}
function run(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const cb = (err, value) => { if (settled) return; settled = true; if (err !== undefined && err !== null) reject(err); else resolve(value); };
    context.done = cb; context.succeed = (v) => cb(null, v); context.fail = (e) => cb(e || new Error('handled'));
    try {
      const r = fn(event, context, cb);
      if (r && typeof r.then === 'function') r.then((v) => cb(null, v), (e) => cb(e === undefined || e === null ? new Error('Promise rejected with ' + e) : e));
      else if (fn.length < 3) cb(null, r);
    } catch (e) { cb(e); }
  });
}
process.on('uncaughtException', (e) => {
  const err = errorOf(e);
  emit(new Date().toISOString() + '\t' + (current ? current.requestId : 'undefined') + '\tERROR\tUncaught Exception \t' + JSON.stringify(err) + '\n');
  if (current) send({ t: 'result', requestId: current.requestId, error: err, fatal: true, maxRssKb: process.resourceUsage().maxRSS });
  process.exitCode = 129;
  setImmediate(() => process.exit(129));
});
process.on('unhandledRejection', (e) => { throw e; });
(async () => {
  const started = process.hrtime.bigint();
  let handler;
  try { handler = await load(); }
  catch (e) {
    const err = errorOf(e);
    emit(new Date().toISOString() + '\tundefined\tERROR\tUncaught Exception \t' + JSON.stringify(err) + '\n');
    send({ t: 'init-error', error: err });
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
      const err = errorOf(e);
      emit(new Date().toISOString() + '\t' + m.requestId + '\tERROR\tInvoke Error \t' + JSON.stringify(err) + '\n');
      out = { t: 'result', requestId: m.requestId, error: err };
    }
    out.maxRssKb = process.resourceUsage().maxRSS;
    current = undefined;
    send(out);
  });
})();
`;
