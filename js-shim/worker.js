// The Worker-facing half of the shim: turns a fetch event into the core's
// input, performs the loads the core asks for (starting the ones its manifest
// says every request to a path needs before calling in) and the effects it
// returns against the Worker's bindings (KV, D1, Durable Objects), by
// operation type and never by session engine, and turns the core's answer
// into a Response. When a compare-and-set write loses a race the core says
// whether to run the request again; when it says a request is the origin's
// (the ORIGIN setting), the shim streams it to the origin and back as the
// core describes. It makes no session or page decisions. One JSON log line
// per request.
// The functions every request runs are parenthesized function expressions,
// compiled with the script rather than on the first request (js-shim/core.js
// says why); the rarer paths (effects, the origin, retries) are plain ones.
import { FAILURE, FLAG, LOAD, OP } from './abi.js';
import { Core, CoreTrap } from './core.js';

const LOG_LEVELS = ['log', 'warn', 'error'];

// Only plain variables and secrets configure the core; bindings are objects.
export const envJson = (function envJson(env) {
  const vars = {};
  for (const [name, value] of Object.entries(env || {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') vars[name] = value;
  }
  return JSON.stringify(vars);
});

// path + query of an absolute URL without a URL object: after "scheme://host".
const targetOf = (function targetOf(url) {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  if (slash < 0) return '/';
  const hash = url.indexOf('#', slash);
  return hash < 0 ? url.slice(slash) : url.slice(slash, hash);
});

const pathOf = (function pathOf(target) {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
});

const MAX_LOAD_ROUNDS = 4;
// A binding that never answers must not hold the visitor: past these limits
// the call counts as failed (503, nothing written).
const LOAD_TIMEOUT_MS = 3000;
const WRITE_TIMEOUT_MS = 3000;

// The deadline's timer is armed only for a call still in flight once the
// current turn's microtasks have run: a binding that has already answered (a
// cached read in the runtime, a local fake) costs no timer, and a Worker's
// timers are not free (setTimeout and clearTimeout each cross into the runtime).
const withTimeout = (function withTimeout(promise, ms, what) {
  return new Promise((function (resolve, reject) {
    let settled = false;
    let timer = 0;
    promise.then(
      (function (value) {
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(value);
      }),
      (function (err) {
        settled = true;
        if (timer) clearTimeout(timer);
        reject(err);
      }),
    );
    // A promise job, not queueMicrotask: that one is a runtime API call.
    Promise.resolve().then((function () {
      if (!settled) timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }));
  }));
});

// D1 statements prepared once per binding object and SQL text (the core
// sends each SQL text once per instance anyway).
const prepared = new WeakMap();
const statement = (function statement(db, op) {
  let bySql = prepared.get(db);
  if (!bySql) prepared.set(db, (bySql = new Map()));
  let stmt = bySql.get(op.sql);
  if (!stmt) bySql.set(op.sql, (stmt = db.prepare(op.sql)));
  return op.params.length ? stmt.bind(...op.params) : stmt;
});

const answerTo = (function answerTo(op, status, value = '', rows = null, version = 0) {
  return { tag: op.tag, kind: op.kind, status, value, rows, version };
});

// The Durable Object named by an op's key in its namespace binding
// (worker/session_object.js: load, save, remove over RPC).
const objectFor = (namespace, op) => namespace.get(namespace.idFromName(op.key));

const d1Read = (function d1Read(db, name, ops) {
  const statements = new Array(ops.length);
  for (let i = 0; i < ops.length; i++) statements[i] = statement(db, ops[i]);
  return withTimeout(db.batch(statements), LOAD_TIMEOUT_MS, `D1 batch on ${name}`);
});

// The answers to a batch of D1 statements, or failures for all of them.
const d1Answers = (function d1Answers(name, ops, answers, log) {
  const out = new Array(ops.length);
  for (let k = 0; k < ops.length; k++) {
    const rows = answers?.[k]?.results;
    // Rows are objects; anything else is a failed read, never "no row".
    let ok = Array.isArray(rows);
    for (let i = 0; ok && i < rows.length; i++) ok = rows[i] !== null && typeof rows[i] === 'object';
    if (ok) {
      out[k] = answerTo(ops[k], LOAD.OK, '', rows);
    } else {
      log.error(`D1 batch on ${name} answered something that is not rows`);
      out[k] = answerTo(ops[k], LOAD.FAILED);
    }
  }
  return out;
});

// One round of loads: KV gets run concurrently; D1 queries on one binding go
// in one batch (one round trip, one snapshot). A failure, or a call without
// an answer within LOAD_TIMEOUT_MS, is reported to the core as a failed load,
// never as "missing".
const runLoads = (async function runLoads(env, ops, log) {
  // The common round (the home page's counts): D1 statements on one binding.
  const first = ops[0].binding;
  let oneBatch = !!env[first];
  for (let i = 0; oneBatch && i < ops.length; i++) oneBatch = ops[i].kind === OP.D1_QUERY && ops[i].binding === first;
  if (oneBatch) {
    const db = env[first];
    try {
      return d1Answers(first, ops, await d1Read(db, first, ops), log);
    } catch (err) {
      log.error(`D1 batch on ${first} failed: ${err && err.message}`);
      return ops.map((op) => answerTo(op, LOAD.FAILED));
    }
  }
  const results = new Array(ops.length);
  const d1 = new Map();
  const pending = [];
  ops.forEach((op, i) => {
    const binding = env[op.binding];
    if (op.kind === OP.D1_QUERY && binding) {
      if (!d1.has(op.binding)) d1.set(op.binding, []);
      d1.get(op.binding).push(i);
      return;
    }
    pending.push((async () => {
      try {
        if (!binding) throw new Error(`binding ${op.binding} is not configured`);
        if (op.kind === OP.DO_GET) {
          const record = await withTimeout(objectFor(binding, op).load(), LOAD_TIMEOUT_MS, `read from ${op.binding}`);
          if (record === null) {
            results[i] = answerTo(op, LOAD.MISSING);
            return;
          }
          const { value, version } = record ?? {};
          // A plain object, but an RPC result: release it at once.
          if (typeof Symbol.dispose === 'symbol' && typeof record?.[Symbol.dispose] === 'function') record[Symbol.dispose]();
          if (typeof value !== 'string' || !Number.isInteger(version) || version < 1) {
            throw new Error('the object answered something that is not a record');
          }
          results[i] = answerTo(op, LOAD.OK, value, null, version);
          return;
        }
        if (op.kind !== OP.KV_GET) throw new Error(`unknown load kind ${op.kind}`);
        const value = await withTimeout(binding.get(op.key), LOAD_TIMEOUT_MS, `read from ${op.binding}`);
        results[i] = value === null ? answerTo(op, LOAD.MISSING) : answerTo(op, LOAD.OK, value);
      } catch (err) {
        log.error(`load from ${op.binding} failed: ${err && err.message}`);
        results[i] = answerTo(op, LOAD.FAILED);
      }
    })());
  });
  for (const [name, indexes] of d1) {
    pending.push((async () => {
      try {
        const db = env[name];
        const batch = indexes.map((i) => ops[i]);
        const answers = d1Answers(name, batch, await d1Read(db, name, batch), log);
        indexes.forEach((i, k) => { results[i] = answers[k]; });
      } catch (err) {
        log.error(`D1 batch on ${name} failed: ${err && err.message}`);
        for (const i of indexes) results[i] = answerTo(ops[i], LOAD.FAILED);
      }
    })());
  }
  await Promise.all(pending);
  return results;
});

// KV allows one write per second to a key and answers faster ones with 429:
// retry within the request's budget before giving up with a 503.
const KV_RETRY_DELAYS_MS = [300, 700, 1100];

class EffectFailed extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRateLimited = (err) => /\b429\b|too many requests/i.test(String(err && err.message));

async function kvWrite(binding, op) {
  for (let attempt = 0; ; attempt++) {
    try {
      const write = op.kind === OP.KV_DELETE
        ? binding.delete(op.key)
        : binding.put(op.key, op.value, op.ttl ? { expirationTtl: op.ttl } : undefined);
      return await withTimeout(write, WRITE_TIMEOUT_MS, `KV write on ${op.binding}`);
    } catch (err) {
      if (!isRateLimited(err) || attempt >= KV_RETRY_DELAYS_MS.length) throw err;
      await sleep(KV_RETRY_DELAYS_MS[attempt]);
    }
  }
}

// One Durable Object write. A put's version is the compare-and-set: N must
// match, 0 means "no record may exist" (a create) or, with MUST_CHANGE, "a
// record must exist".
async function objectWrite(env, op) {
  const namespace = env[op.binding];
  let outcome;
  try {
    if (!namespace) throw new Error(`binding ${op.binding} is not configured`);
    const stub = objectFor(namespace, op);
    const call = op.kind === OP.DO_DELETE
      ? stub.remove().then(() => 'ok')
      : stub.save(op.value, op.expireAt, op.version, (op.flags & FLAG.MUST_CHANGE) !== 0);
    outcome = await withTimeout(call, WRITE_TIMEOUT_MS, `Durable Object write on ${op.binding}`);
  } catch (err) {
    throw new EffectFailed(FAILURE.STORE_UNAVAILABLE, `Durable Object write on ${op.binding} failed: ${err && err.message}`);
  }
  if (outcome === 'ok') return;
  if (outcome === 'conflict') throw new EffectFailed(FAILURE.CONFLICT, 'session record changed since it was loaded');
  if (outcome === 'missing') throw new EffectFailed(FAILURE.SESSION_INTERRUPTED, 'session record vanished before the update');
  // 'exists' (a fresh key already taken) or an answer that is not an outcome.
  throw new EffectFailed(FAILURE.STORE_UNAVAILABLE, `Durable Object write on ${op.binding} answered ${String(outcome)}`);
}

// D1 statements for one binding as one batch (a transaction); changes
// checked per the flags. A COMPARE_AND_SET statement that changed no row lost
// a race (D1 cannot tell a changed row from a deleted one: the core's re-run
// does).
async function d1Batch(env, name, ops) {
  const db = env[name];
  let answers;
  try {
    if (!db) throw new Error(`binding ${name} is not configured`);
    answers = await withTimeout(db.batch(ops.map((op) => statement(db, op))), WRITE_TIMEOUT_MS, `D1 batch on ${name}`);
  } catch (err) {
    throw new EffectFailed(FAILURE.STORE_UNAVAILABLE, `D1 write on ${name} failed: ${err && err.message}`);
  }
  ops.forEach((op, i) => {
    if (!(op.flags & (FLAG.MUST_CHANGE | FLAG.COMPARE_AND_SET))) return;
    const changes = answers?.[i]?.meta?.changes;
    if (typeof changes !== 'number') {
      throw new EffectFailed(FAILURE.STORE_UNAVAILABLE, `D1 write on ${name} answered without meta.changes`);
    }
    if (changes > 0) return;
    if (op.flags & FLAG.COMPARE_AND_SET) throw new EffectFailed(FAILURE.CONFLICT, 'session row changed since it was loaded');
    throw new EffectFailed(FAILURE.SESSION_INTERRUPTED, 'session row vanished before the update');
  });
}

// Effects run in order: first the COMPARE_AND_SET writes (if one loses its
// race, nothing else runs), then D1 statements for one binding as one batch
// (a transaction), then Durable Object writes, then KV writes. must_change
// and best_effort come from the core.
async function runEffects(env, effects, log) {
  const cas = effects.filter((op) => op.flags & FLAG.COMPARE_AND_SET);
  const rest = cas.length ? effects.filter((op) => !(op.flags & FLAG.COMPARE_AND_SET)) : effects;
  for (const op of cas) {
    if (op.kind === OP.D1_QUERY) await d1Batch(env, op.binding, [op]);
    else if (op.kind === OP.DO_PUT) await objectWrite(env, op);
    else throw new EffectFailed(FAILURE.STORE_UNAVAILABLE, `op kind ${op.kind} has no compare-and-set`);
  }
  const d1 = rest.filter((op) => op.kind === OP.D1_QUERY);
  const objects = rest.filter((op) => op.kind === OP.DO_PUT || op.kind === OP.DO_DELETE);
  const kv = rest.filter((op) => op.kind === OP.KV_PUT || op.kind === OP.KV_DELETE);
  for (const name of new Set(d1.map((op) => op.binding))) await d1Batch(env, name, d1.filter((op) => op.binding === name));
  for (const op of objects) await objectWrite(env, op);
  for (const op of kv) {
    const binding = env[op.binding];
    try {
      if (!binding) throw new Error(`binding ${op.binding} is not configured`);
      if ((op.flags & FLAG.MUST_CHANGE) && (await withTimeout(binding.get(op.key), LOAD_TIMEOUT_MS, 'KV get')) === null) {
        throw new EffectFailed(FAILURE.SESSION_INTERRUPTED, 'session record vanished before the update');
      }
      await kvWrite(binding, op);
    } catch (err) {
      if (err instanceof EffectFailed) throw err;
      if (op.flags & FLAG.BEST_EFFORT) {
        log.error(`Error saving to cache (${op.binding}): ${err && err.message}`);
        continue;
      }
      throw new EffectFailed(FAILURE.STORE_UNAVAILABLE, `KV write on ${op.binding} failed: ${err && err.message}`);
    }
  }
}

// The core leaves HEAD, 204 and 304 bodies empty; a Response must then have
// a null body. The body is copied by the Response constructor (Fetch's
// "extract a body" copies a BufferSource), so a view of WASM memory is safe.
const toResponse = (function toResponse(answer, log) {
  for (const entry of answer.logs) log[LOG_LEVELS[entry.level] || 'log'](entry.message);
  return new Response(answer.body.length ? answer.body : null, { status: answer.status, headers: answer.headers });
});

// The core said this request is the origin's: send it there as the core
// describes (same method, the body streamed, the headers changed as listed,
// redirects not followed) and stream the answer back, headers and all. If
// the origin cannot be reached, or sends no response headers within the
// core's timeout, the core's 502/504 page instead; nothing is stored either way.
async function passToOrigin(core, request, pass, log, fetchImpl, served) {
  for (const entry of pass.logs) log[LOG_LEVELS[entry.level] || 'log'](entry.message);
  const headers = new Headers(request.headers);
  for (const name of pass.remove) headers.delete(name);
  for (const [name, value] of pass.set) headers.set(name, value);
  const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, pass.timeoutMs);
  let upstream;
  try {
    upstream = await fetchImpl(pass.url, {
      method: request.method,
      headers,
      body: hasBody ? request.body : null,
      redirect: 'manual',
      signal: controller.signal,
      ...(hasBody ? { duplex: 'half' } : {}),
    });
  } catch (err) {
    log.error(`origin ${pass.url}: ${timedOut ? `no response within ${pass.timeoutMs} ms` : (err && err.message) || err}`);
    return toResponse(core.effectFailure(timedOut ? FAILURE.ORIGIN_TIMEOUT : FAILURE.ORIGIN_UNREACHABLE).response, log);
  } finally {
    clearTimeout(timer);
  }
  served.by = 'origin';
  const out = new Headers(upstream.headers);
  for (const [name, value] of pass.responseHeaders) out.set(name, value);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

const LAST_RESORT = () =>
  new Response('Internal Server Error\n', { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Served-By': 'edge' } });

// workerd passes the same env object to every request of an isolate:
// serialize it once per object, not per request.
const envJsonCache = new WeakMap();
const envJsonOf = (function envJsonOf(env) {
  if (!env || typeof env !== 'object') return envJson(env);
  let json = envJsonCache.get(env);
  if (json === undefined) {
    json = envJson(env);
    envJsonCache.set(env, json);
  }
  return json;
});

// options: log (console by default), fetch (how to reach the origin;
// globalThis.fetch by default).
export const createWorker = (function createWorker(wasmModule, options = {}) {
  const log = options.log || console;
  const fetchImpl = options.fetch || ((url, init) => globalThis.fetch(url, init));
  const core = new Core(wasmModule, { log });

  // One structured line per request (Workers Logs indexes JSON lines) when
  // REQUEST_LOG is on. The request's url and method are read once: each read
  // of them crosses into the runtime and makes a new string.
  const fetch = (async function fetch(request, env) {
    const started = Date.now();
    const url = request.url;
    const method = request.method;
    const target = targetOf(url);
    const served = { by: 'edge' };
    const response = await serve(request, env, url, method, target, started, served);
    if (core.manifest && !core.manifest.requestLog) return response;
    log.log(JSON.stringify({
      method,
      path: pathOf(target),
      status: response.status,
      engine: core.manifest?.engine || null,
      served_by: served.by,
      ms: Date.now() - started,
    }));
    return response;
  });

  const serve = (async function serve(request, env, url, method, target, started, served) {
    try {
      core.ensure(envJsonOf(env));
      // attempt > 1: a run after a compare-and-set lost its race (the core
      // decides whether there is one, and bounds them).
      for (let attempt = 1; ; attempt++) {
        const now = attempt === 1 ? started : Date.now();
        const input = { method, target, headers: request.headers, now: now / 1000, url, attempt };
        const loaded = [];
        // Loads the manifest says this path always needs start at once; the
        // core is called when they are answered, or (if it may need more, e.g.
        // a session record) at once with them marked pending.
        const rule = core.prefetchFor(pathOf(target), input.method);
        let prefetching = rule && runLoads(env, rule.loads, log);
        if (prefetching && !rule.callWhileLoading) {
          loaded.push(...(await prefetching));
          prefetching = null;
        }
        const pending = prefetching ? rule.loads.map((op) => answerTo(op, LOAD.PENDING)) : [];
        let step = core.request(input, pending.length ? pending : loaded);
        // Not the edge's: any prefetch still running is left to finish unread.
        if (step.origin) return await passToOrigin(core, request, step.origin, log, fetchImpl, served);
        for (let round = 0; step.loads; round++) {
          if (round === MAX_LOAD_ROUNDS) throw new Error(`the core asked for more than ${MAX_LOAD_ROUNDS} rounds of loads`);
          const more = step.loads.length ? runLoads(env, step.loads, log) : null;
          if (prefetching) {
            loaded.push(...(await prefetching));
            prefetching = null;
          }
          if (more) loaded.push(...(await more));
          step = core.request(input, loaded);
        }
        const answer = step.response;
        if (!answer.effects.length) return toResponse(answer, log);
        // Other requests run while the effects are awaited: keep the body.
        answer.body = answer.body.slice();
        try {
          await runEffects(env, answer.effects, log);
        } catch (err) {
          if (!(err instanceof EffectFailed)) throw err;
          const next = core.effectFailure(err.kind, attempt);
          if (next.retry !== undefined) {
            log.log(`session save lost a race (${err.message}); running the request again (attempt ${attempt + 1})`);
            await sleep(Math.random() * next.retry);
            continue;
          }
          log.error(err.message);
          return toResponse(next.response, log);
        }
        return toResponse(answer, log);
      }
    } catch (err) {
      log.error(err instanceof CoreTrap ? `${err.message}; re-creating the instance` : err);
      try {
        core.ensure(envJsonOf(env));
        return toResponse(core.errorPage(500), log);
      } catch (again) {
        log.error('error page failed too:', again);
        return LAST_RESORT();
      }
    }
  });

  // The Cron Trigger: Django's clearsessions for the database engines.
  async function scheduled(controller, env) {
    core.ensure(envJsonOf(env));
    const answer = core.scheduled(Date.now() / 1000);
    for (const entry of answer.logs) log[LOG_LEVELS[entry.level] || 'log'](entry.message);
    await runEffects(env, answer.effects, log);
  }

  // Per-isolate set-up ahead of the first request: instantiate the module and
  // configure it from the Worker's variables (worker/index.js passes
  // cloudflare:workers' env at start-up, which Workers run while the TLS
  // handshake is still going on). Whatever goes wrong here is logged and left
  // to the first request, whose ensure() runs again and answers as it would
  // have anyway.
  const prepare = (function prepare(env) {
    try {
      core.ensure(envJsonOf(env));
    } catch (err) {
      log.error(err instanceof CoreTrap ? `${err.message}; the first request re-creates the instance` : err);
    }
  });

  return { fetch, scheduled, prepare, core };
});
