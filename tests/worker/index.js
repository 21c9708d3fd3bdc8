// The Worker entry for end-to-end tests: the same shim with the test module
// (wasm-wasi-test: trap hooks and /__test__/ views). Never deployed.
//
// Fault injection (this entry only; worker/index.js has none): a request with
//   x-test-fault: NAME[, NAME...]
// runs with env.SESSIONS (KV), env.DB (D1) and env.SESSION_OBJECTS (Durable
// Objects) wrapped so the REAL bindings
// misbehave the ways production does. The shim cannot tell the difference:
// the wrappers expose the bindings' own interface and throw the errors the
// Workers runtime throws.
//   kv-get-fail              every KV get rejects (500)
//   kv-get-hang              every KV get never answers
//   kv-put-fail              every KV put rejects (500)
//   kv-put-hang              every KV put never answers
//   kv-429-once              the request's first KV write (put or delete) is refused with 429
//   kv-429-always            every KV write is refused with 429
//   kv-vanish-before-update  a KV key this request already read is deleted just
//                            before it is read again (the shim's existence check
//                            before an update): a logout in a concurrent request
//   d1-read-fail             a D1 batch that SELECTs from django_session rejects
//   d1-read-hang             ... never answers
//   d1-write-fail            a D1 batch that writes rejects
//   d1-vanish-before-update  before a batch that UPDATEs django_session, the row
//                            (and its cached_db KV copy) is deleted: a concurrent logout
//   do-get-fail              every session object's load() rejects (the object
//                            is unavailable: overloaded, reset, network lost)
//   do-get-hang              ... never answers
//   do-put-fail              every save()/remove() on a session object rejects
//   do-put-hang              ... never answers
//   do-vanish-before-update  before a save() of an existing record, the record is
//                            removed: a logout in a concurrent request
// The response then carries what happened:
//   x-test-fault-hits     how many binding calls a fault hit
//   x-test-store-writes   writes (KV put/delete, D1 statements that are not
//                         SELECTs) that reached the real bindings
// An unknown fault name answers 400, so a typo cannot make a test pass.
import wasmModule from '../../build/wasm-wasi-test/src/core.wasm';
import { env } from 'cloudflare:workers';
import { createWorker } from '../../js-shim/worker.js';

export { SessionObject } from '../../worker/session_object.js';

const worker = createWorker(wasmModule);
// As worker/index.js does: configured when the isolate starts.
worker.prepare(env);

const FAULTS = new Set([
  'none',
  'kv-get-fail', 'kv-get-hang', 'kv-put-fail', 'kv-put-hang', 'kv-429-once', 'kv-429-always', 'kv-vanish-before-update',
  'd1-read-fail', 'd1-read-hang', 'd1-write-fail', 'd1-vanish-before-update',
  'do-get-fail', 'do-get-hang', 'do-put-fail', 'do-put-hang', 'do-vanish-before-update',
]);
const CACHED_DB_PREFIX = 'django.contrib.sessions.cached_db';

// Never settles. The shim's timeout must give up on it; when the request
// ends, workerd drops it with the rest of the request's state.
const hang = () => new Promise(() => {});

function faultyKv(kv, faults, probe) {
  const read = new Set();
  let refused429 = 0;
  const refuseWrite = (op) => {
    if (faults.has('kv-429-always') || (faults.has('kv-429-once') && refused429 === 0)) {
      refused429++;
      probe.hits++;
      throw new Error(`KV ${op} failed: 429 Too Many Requests (injected)`);
    }
  };
  return {
    async get(key, options) {
      if (faults.has('kv-get-fail')) {
        probe.hits++;
        throw new Error('KV GET failed: 500 Internal Server Error (injected)');
      }
      if (faults.has('kv-get-hang')) {
        probe.hits++;
        return hang();
      }
      if (faults.has('kv-vanish-before-update') && read.has(key)) {
        probe.hits++;
        await kv.delete(key);
      }
      read.add(key);
      return kv.get(key, options);
    },
    getWithMetadata: (key, options) => kv.getWithMetadata(key, options),
    list: (options) => kv.list(options),
    async put(key, value, options) {
      if (faults.has('kv-put-fail')) {
        probe.hits++;
        throw new Error('KV PUT failed: 500 Internal Server Error (injected)');
      }
      if (faults.has('kv-put-hang')) {
        probe.hits++;
        return hang();
      }
      refuseWrite('PUT');
      probe.writes++;
      return kv.put(key, value, options);
    },
    async delete(key) {
      refuseWrite('DELETE');
      probe.writes++;
      return kv.delete(key);
    },
  };
}

// A prepared statement that remembers its SQL and parameters, so the batch
// can tell reads from writes; it unwraps to the real statement.
class Statement {
  constructor(owner, inner, sql, params = []) {
    Object.assign(this, { owner, inner, sql, params });
  }
  bind(...params) { return new Statement(this.owner, this.inner.bind(...params), this.sql, params); }
  first(column) { return this.owner.guard([this], () => this.inner.first(column)); }
  all() { return this.owner.guard([this], () => this.inner.all()); }
  run() { return this.owner.guard([this], () => this.inner.run()); }
  raw(options) { return this.owner.guard([this], () => this.inner.raw(options)); }
}

const isSelect = (st) => /^\s*SELECT\b/i.test(st.sql);
const touchesSessions = (st) => /\bdjango_session\b/.test(st.sql);

function faultyD1(db, faults, probe, env) {
  const w = {
    prepare: (sql) => new Statement(w, db.prepare(sql), sql),
    batch: (statements) => w.guard(statements,
      () => db.batch(statements.map((s) => (s instanceof Statement ? s.inner : s)))),
    exec: (sql) => db.exec(sql),
    dump: () => db.dump(),
    async guard(statements, next) {
      const reads = statements.every(isSelect);
      if (reads && statements.some(touchesSessions)) {
        if (faults.has('d1-read-fail')) {
          probe.hits++;
          throw new Error('D1_ERROR: internal error (injected)');
        }
        if (faults.has('d1-read-hang')) {
          probe.hits++;
          return hang();
        }
      }
      if (!reads) {
        if (faults.has('d1-write-fail')) {
          probe.hits++;
          throw new Error('D1_ERROR: internal error (injected)');
        }
        if (faults.has('d1-vanish-before-update')) {
          for (const st of statements) {
            if (!/^\s*UPDATE\s+django_session\b/i.test(st.sql)) continue;
            probe.hits++;
            const key = String(st.params[0]);
            await db.prepare('DELETE FROM django_session WHERE session_key = ?1').bind(key).run();
            if (env.SESSIONS) await env.SESSIONS.delete(CACHED_DB_PREFIX + key);
          }
        }
        probe.writes += statements.filter((st) => !isSelect(st)).length;
      }
      return next();
    },
  };
  return w;
}

// A Durable Object namespace whose session objects misbehave; the stubs
// expose SessionObject's RPC methods (worker/session_object.js).
function faultyObjects(namespace, faults, probe) {
  const unavailable = () => new Error('Durable Object is overloaded. Requests queued for too long. (injected)');
  return {
    idFromName: (name) => namespace.idFromName(name),
    get(id) {
      const stub = namespace.get(id);
      return {
        async load() {
          if (faults.has('do-get-fail')) {
            probe.hits++;
            throw unavailable();
          }
          if (faults.has('do-get-hang')) {
            probe.hits++;
            return hang();
          }
          return stub.load();
        },
        async save(value, expireAt, expect, mustExist) {
          if (faults.has('do-put-fail')) {
            probe.hits++;
            throw unavailable();
          }
          if (faults.has('do-put-hang')) {
            probe.hits++;
            return hang();
          }
          if (faults.has('do-vanish-before-update') && mustExist) {
            probe.hits++;
            await stub.remove();
          }
          probe.writes++;
          return stub.save(value, expireAt, expect, mustExist);
        },
        async remove() {
          if (faults.has('do-put-fail')) {
            probe.hits++;
            throw unavailable();
          }
          probe.writes++;
          return stub.remove();
        },
      };
    },
  };
}

async function fetchWithFaults(request, env, ctx, header) {
  const faults = new Set(header.split(',').map((f) => f.trim()).filter(Boolean));
  const unknown = [...faults].filter((f) => !FAULTS.has(f));
  if (unknown.length) return new Response(`unknown x-test-fault: ${unknown.join(', ')}\n`, { status: 400 });
  const probe = { hits: 0, writes: 0 };
  const faultyEnv = { ...env };
  if (env.SESSIONS) faultyEnv.SESSIONS = faultyKv(env.SESSIONS, faults, probe);
  if (env.DB) faultyEnv.DB = faultyD1(env.DB, faults, probe, env);
  if (env.SESSION_OBJECTS) faultyEnv.SESSION_OBJECTS = faultyObjects(env.SESSION_OBJECTS, faults, probe);
  const res = await worker.fetch(request, faultyEnv, ctx);
  const out = new Response(res.body, res);
  out.headers.set('x-test-fault-hits', String(probe.hits));
  out.headers.set('x-test-store-writes', String(probe.writes));
  return out;
}

export default {
  fetch(request, env, ctx) {
    const header = request.headers.get('x-test-fault');
    if (header === null) return worker.fetch(request, env, ctx);
    return fetchWithFaults(request, env, ctx, header);
  },
  scheduled: (controller, env, ctx) => worker.scheduled(controller, env, ctx),
};
