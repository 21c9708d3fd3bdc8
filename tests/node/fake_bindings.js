// Fault injection around REAL Workers bindings. Miniflare runs workerd's own
// KV and D1 implementations; these wrappers sit between the shim and them to
// make the platform misbehave the ways production does (errors, hangs,
// malformed answers, the 1-write/s/key limit, eventual consistency) and to
// record every operation so tests can count writes.
//
// Wrappers compose: failing(recording(rateLimitedKv(kv))). Each exposes the
// binding's own interface (KV: get/put/delete/list/getWithMetadata; D1:
// prepare/batch/exec/dump), so the production shim cannot tell the difference.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Miniflare } from 'miniflare';
import { ROOT } from './helpers.js';

// Wall time for the fakes' own bookkeeping: tests move Date.now() to make
// sessions expire, and must not thereby move the rate limit or the lag.
const clock = () => performance.now();

// ------------------------------------------------------------ real bindings

// One Miniflare (workerd) with a KV namespace SESSIONS, a D1 database DB
// holding the django_session table from migrations/, and the Durable Object
// namespace SESSION_OBJECTS of worker/session_object.js (SQLite-backed).
// Call dispose() after.
export async function startBindings() {
  const mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: 'index.mjs',
        contents: 'export { SessionObject } from "./session_object.mjs"; export default { fetch() { return new Response(""); } }' },
      { type: 'ESModule', path: 'session_object.mjs', contents: readFileSync(join(ROOT, 'worker/session_object.js'), 'utf8') },
    ],
    compatibilityDate: '2025-09-01',
    kvNamespaces: ['SESSIONS'],
    d1Databases: ['DB'],
    durableObjects: { SESSION_OBJECTS: { className: 'SessionObject', useSQLite: true } },
  });
  const kv = await mf.getKVNamespace('SESSIONS');
  const db = await mf.getD1Database('DB');
  const objects = await mf.getDurableObjectNamespace('SESSION_OBJECTS');
  await applyMigrations(db);
  return { mf, kv, db, objects, dispose: () => mf.dispose() };
}

// Every migration in migrations/, in order, as `wrangler d1 migrations apply`
// would (the session table and whatever else the site keeps in D1).
export async function applyMigrations(db) {
  const dir = join(ROOT, 'migrations');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(join(dir, file), 'utf8');
    const statements = sql.replace(/^\s*--.*$/gm, '').split(';').map((s) => s.trim()).filter(Boolean);
    for (const statement of statements) await db.prepare(statement).run();
  }
}

export const isD1 = (binding) => typeof binding.prepare === 'function';
export const isObjects = (binding) => typeof binding.idFromName === 'function';

// ------------------------------------------------------------ generic wrapper

// A D1 prepared statement seen through a wrapper: it remembers its SQL and
// parameters and unwraps to the inner statement when the inner binding runs it.
class WrappedStatement {
  constructor(owner, inner, sql, params = []) {
    this.owner = owner;
    this.inner = inner;
    this.sql = sql;
    this.params = params;
  }
  bind(...params) {
    return new WrappedStatement(this.owner, this.inner.bind(...params), this.sql, params);
  }
  first(column) { return this.owner.__single(this, 'first', column); }
  all() { return this.owner.__single(this, 'all'); }
  run() { return this.owner.__single(this, 'run'); }
  raw(options) { return this.owner.__single(this, 'raw', options); }
}

const unwrap = (owner, stmt) => (stmt instanceof WrappedStatement && stmt.owner === owner ? stmt.inner : stmt);

// around(binding, hook, {prepare}): every operation goes through
//   hook({binding: 'kv'|'d1', op, key?, value?, options?, statements?}, next)
// where next() performs it on the inner binding and returns its promise. For
// D1, single-statement calls (stmt.run() etc.) arrive as op 'batch' with one
// statement and `single` set, so hooks see all SQL in one place. D1's
// prepare() is synchronous: it goes through the optional prepare(sql, next)
// hook instead.
// Durable Object namespaces: every RPC call on a session object (load, save,
// remove: worker/session_object.js) arrives as
//   hook({binding: 'do', op: 'load'|'save'|'remove', key, args}, next)
// with key the object's name.
export function around(inner, hook, { prepare = (sql, next) => next() } = {}) {
  if (isObjects(inner)) {
    return {
      idFromName: (name) => ({ name, inner: inner.idFromName(name) }),
      get(id) {
        const stub = () => inner.get(id.inner);
        const call = (op) => (...args) => hook({ binding: 'do', op, key: id.name, args }, () => stub()[op](...args));
        return { load: call('load'), save: call('save'), remove: call('remove') };
      },
    };
  }
  if (isD1(inner)) {
    const w = {
      prepare(sql) {
        return prepare(sql, () => new WrappedStatement(w, inner.prepare(sql), sql));
      },
      batch(statements) {
        const list = statements.map((s) => ({ sql: s.sql, params: s.params }));
        return hook({ binding: 'd1', op: 'batch', statements: list },
          () => inner.batch(statements.map((s) => unwrap(w, s))));
      },
      exec(sql) {
        return hook({ binding: 'd1', op: 'exec', statements: [{ sql, params: [] }] }, () => inner.exec(sql));
      },
      dump() { return inner.dump(); },
      __single(stmt, method, arg) {
        return hook({ binding: 'd1', op: 'batch', single: method, statements: [{ sql: stmt.sql, params: stmt.params }] },
          () => stmt.inner[method](arg));
      },
    };
    return w;
  }
  return {
    get(key, options) { return hook({ binding: 'kv', op: 'get', key, options }, () => inner.get(key, options)); },
    getWithMetadata(key, options) {
      return hook({ binding: 'kv', op: 'get', key, options, metadata: true }, () => inner.getWithMetadata(key, options));
    },
    put(key, value, options) {
      return hook({ binding: 'kv', op: 'put', key, value, options }, () => inner.put(key, value, options));
    },
    delete(key) { return hook({ binding: 'kv', op: 'delete', key }, () => inner.delete(key)); },
    list(options) { return hook({ binding: 'kv', op: 'list', options }, () => inner.list(options)); },
  };
}

// ------------------------------------------------------------ recording

const isWriteSql = (sql) => !/^\s*(SELECT|PRAGMA|EXPLAIN)\b/i.test(sql);

// Records every operation (after it ran, with its outcome). The returned
// binding has .log (all entries), .writes() (KV puts/deletes and D1
// statements that are not SELECTs, one entry per statement), .reads() and
// .clear().
export function recording(inner) {
  const log = [];
  const w = around(inner, async (call, next) => {
    const entry = { ...call, at: clock() };
    log.push(entry);
    try {
      const result = await next();
      entry.ok = true;
      if (call.binding === 'd1' && Array.isArray(result)) entry.changes = result.map((r) => r?.meta?.changes);
      return result;
    } catch (err) {
      entry.ok = false;
      entry.error = err;
      throw err;
    }
  });
  w.log = log;
  w.writes = () => log.flatMap((e) => {
    if (e.binding === 'do') return e.op === 'save' || e.op === 'remove' ? [e] : [];
    if (e.binding === 'kv') return e.op === 'put' || e.op === 'delete' ? [e] : [];
    return (e.statements || []).filter((s) => isWriteSql(s.sql)).map((s) => ({ ...e, sql: s.sql, params: s.params }));
  });
  w.reads = () => log.flatMap((e) => {
    if (e.binding === 'do') return e.op === 'load' ? [e] : [];
    if (e.binding === 'kv') return e.op === 'get' || e.op === 'list' ? [e] : [];
    return (e.statements || []).filter((s) => !isWriteSql(s.sql)).map((s) => ({ ...e, sql: s.sql, params: s.params }));
  });
  w.clear = () => { log.length = 0; };
  return w;
}

// ------------------------------------------------------------ faults

// Errors shaped like the ones the Workers runtime throws.
export function kvError(op, status = 500, text = 'Internal Server Error') {
  return new Error(`KV ${op.toUpperCase()} failed: ${status} ${text}`);
}
export function d1Error(message = 'D1_ERROR: internal error (injected)') {
  return new Error(message);
}

const MALFORMED_KV_VALUE = 'this is not a SessionBase.encode() value';

// failing(binding, faults): faults maps an operation (get, put, delete, list,
// batch, prepare, exec) to a fault, or to {fault, times, when}:
//   'throw'      reject like the runtime does (KV "... failed: 500 ...", D1_ERROR)
//   Error        reject with that error
//   'hang'       never answer until release() or hangMs (default 60 s) passes,
//                then reject; the timer does not keep Node alive
//   'malformed'  answer with data of the wrong shape (KV get: a string that
//                is not encode() output; KV put/delete: pretend success and
//                store nothing; D1 batch: `results` that are not rows and no
//                meta, so no meta.changes either)
//   function     (call, next) => anything: custom behaviour
// D1's prepare() is synchronous: there any fault but a function throws.
// times: how many matching calls fail (default: all); when(call): which calls.
// The returned binding has .faults (mutable), .release() and .hits (count of
// injected faults).
export function failing(inner, faults = {}, { hangMs = 60_000 } = {}) {
  const pendingHangs = new Set();
  const pick = (call) => {
    let spec = w.faults[call.op];
    if (spec === undefined || spec === null) return null;
    if (typeof spec !== 'object' || spec instanceof Error) spec = { fault: spec };
    if (spec.when && !spec.when(call)) return null;
    if (spec.times !== undefined) {
      if (spec.times <= 0) return null;
      spec.times--;
    }
    w.hits++;
    return spec.fault;
  };
  const prepare = (sql, next) => {
    const fault = pick({ binding: 'd1', op: 'prepare', sql });
    if (fault === null) return next();
    if (typeof fault === 'function') return fault({ binding: 'd1', op: 'prepare', sql }, next);
    throw fault instanceof Error ? fault : d1Error();
  };
  const w = around(inner, (call, next) => {
    const name = call.op;
    const fault = pick(call);
    if (fault === null) return next();
    if (typeof fault === 'function') return fault(call, next);
    if (fault instanceof Error) return Promise.reject(fault);
    switch (fault) {
      case 'throw':
        if (call.binding === 'do') return Promise.reject(new Error('Durable Object is overloaded. (injected)'));
        return Promise.reject(call.binding === 'kv' ? kvError(name) : d1Error());
      case 'hang':
        return new Promise((resolve, reject) => {
          const entry = {};
          const timer = setTimeout(() => entry.fire(), hangMs);
          timer.unref?.();
          entry.fire = () => {
            clearTimeout(timer);
            pendingHangs.delete(entry);
            reject(call.binding === 'kv' ? kvError(name, 504, 'Gateway Timeout (hung, injected)') : d1Error('D1_ERROR: timed out (hung, injected)'));
          };
          pendingHangs.add(entry);
        });
      case 'malformed':
        if (call.binding === 'do') return Promise.resolve(name === 'load' ? { value: 5 } : 'not an outcome');
        if (call.binding === 'kv') return Promise.resolve(name === 'get' ? MALFORMED_KV_VALUE : undefined);
        if (name === 'batch') return Promise.resolve(call.statements.map(() => ({ results: 'not rows', success: true })));
        return next();
      default:
        throw new Error(`unknown fault ${fault}`);
    }
  }, { prepare });
  w.faults = faults;
  w.hits = 0;
  w.release = () => { for (const h of [...pendingHangs]) h.fire(); };
  return w;
}

// ------------------------------------------------------------ KV rate limit

// Cloudflare KV allows one write per second to the same key; faster writes
// are refused with 429 (the error text workerd gives for a refused PUT).
// Deletes count as writes. Refused writes do not reset the window.
export function rateLimitedKv(inner, { windowMs = 1000 } = {}) {
  const lastWrite = new Map();
  const w = around(inner, async (call, next) => {
    if (call.op !== 'put' && call.op !== 'delete') return next();
    const now = clock();
    const last = lastWrite.get(call.key);
    if (last !== undefined && now - last < windowMs) {
      w.refused++;
      throw new Error(`KV ${call.op.toUpperCase()} failed: 429 Too Many Requests`);
    }
    lastWrite.set(call.key, now);
    return next();
  });
  w.refused = 0;
  return w;
}

// ------------------------------------------------------------ eventual consistency

// Reads served from another location's cache: a get sees the key as it was
// lagMs ago (the newest write at least lagMs old, or what the key held before
// the first write through this wrapper). Writes go straight through, so the
// inner binding stays the authoritative copy. lagMs may be changed later
// (w.lagMs = 0 makes reads consistent again).
export function staleKv(inner, { lagMs = 60_000 } = {}) {
  const history = new Map(); // key -> [{at, value}] oldest first; value null = absent
  const w = around(inner, async (call, next) => {
    if (call.op === 'put' || call.op === 'delete') {
      if (!history.has(call.key)) history.set(call.key, [{ at: -Infinity, value: await inner.get(call.key) }]);
      const result = await next();
      history.get(call.key).push({ at: clock(), value: call.op === 'put' ? String(call.value) : null });
      return result;
    }
    if (call.op === 'get' && history.has(call.key) && !call.metadata) {
      const cutoff = clock() - w.lagMs;
      const seen = history.get(call.key).filter((h) => h.at <= cutoff).at(-1);
      w.staleReads += seen !== history.get(call.key).at(-1) ? 1 : 0;
      return seen.value;
    }
    return next();
  });
  w.lagMs = lagMs;
  w.staleReads = 0;
  return w;
}
