// The Worker-facing half of the shim: turns a fetch event into the core's
// input, performs the loads the core plans and the effects it returns against
// the Worker's bindings (KV, D1), and turns the core's answer into a Response.
import { Core, CoreTrap, encodeInput, FLAG, LOAD_FAILED, LOAD_MISSING, LOAD_OK, OP } from './core.js';

const LOG_LEVELS = ['log', 'warn', 'error'];

// Only plain variables and secrets configure the core; bindings are objects.
export function envJson(env) {
  const vars = {};
  for (const [name, value] of Object.entries(env || {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') vars[name] = value;
  }
  return JSON.stringify(vars);
}

// path + query of an absolute URL without a URL object: after "scheme://host".
function targetOf(url) {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  if (slash < 0) return '/';
  const hash = url.indexOf('#', slash);
  return hash < 0 ? url.slice(slash) : url.slice(slash, hash);
}

function requestInput(request, entropyBytes) {
  const headers = [];
  for (const [name, value] of request.headers) headers.push([name, value]);
  return {
    method: request.method,
    target: targetOf(request.url),
    headers,
    now: Date.now() / 1000,
    entropy: crypto.getRandomValues(new Uint8Array(entropyBytes)),
  };
}

// One plan round: KV gets run concurrently; D1 queries on one binding go in
// one batch (one round trip, one snapshot). A failure is reported to the
// core as a failed load, never as "missing".
async function runLoads(env, ops, log) {
  return withTimeout(runLoadsUntimed(env, ops, log), LOAD_TIMEOUT_MS, 'store reads')
    .catch((err) => {
      log.error(`${err && err.message}`);
      return ops.map((op) => ({ op, status: LOAD_FAILED, value: '' }));
    });
}

async function runLoadsUntimed(env, ops, log) {
  const results = new Array(ops.length);
  const d1 = new Map();
  await Promise.all(ops.map(async (op, i) => {
    const binding = env[op.binding];
    if (op.kind === OP.D1_QUERY && binding) {
      if (!d1.has(op.binding)) d1.set(op.binding, []);
      d1.get(op.binding).push(i);
      return;
    }
    try {
      if (!binding) throw new Error(`binding ${op.binding} is not configured`);
      if (op.kind !== OP.KV_GET) throw new Error(`unknown load kind ${op.kind}`);
      const value = await binding.get(op.key);
      results[i] = value === null ? { op, status: LOAD_MISSING, value: '' } : { op, status: LOAD_OK, value };
    } catch (err) {
      log.error(`load from ${op.binding} failed: ${err && err.message}`);
      results[i] = { op, status: LOAD_FAILED, value: '' };
    }
  }));
  for (const [name, indexes] of d1) {
    try {
      const db = env[name];
      const answers = await db.batch(indexes.map((i) => db.prepare(ops[i].key).bind(...JSON.parse(ops[i].value || '[]'))));
      indexes.forEach((i, k) => { results[i] = { op: ops[i], status: LOAD_OK, value: JSON.stringify(answers[k].results ?? []) }; });
    } catch (err) {
      log.error(`D1 batch on ${name} failed: ${err && err.message}`);
      for (const i of indexes) results[i] = { op: ops[i], status: LOAD_FAILED, value: '' };
    }
  }
  return results;
}

const MAX_PLAN_ROUNDS = 4;
// A binding that never answers must not hold the visitor: past these limits
// the call counts as failed (503, nothing written).
const LOAD_TIMEOUT_MS = 3000;
const WRITE_TIMEOUT_MS = 3000;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
// KV allows one write per second to a key and answers faster ones with 429:
// retry within the request's budget before giving up with a 503.
const KV_RETRY_DELAYS_MS = [300, 700, 1100];

class EffectFailed extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // 1: a store failed, 2: the session vanished (UpdateError)
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

// Effects run in order: D1 statements for one binding as one batch (a
// transaction), then KV writes. must_change and best_effort come from the core.
async function runEffects(env, effects, log) {
  const d1 = effects.filter((op) => op.kind === OP.D1_QUERY);
  const kv = effects.filter((op) => op.kind !== OP.D1_QUERY);
  const bindings = [...new Set(d1.map((op) => op.binding))];
  for (const name of bindings) {
    const db = env[name];
    const ops = d1.filter((op) => op.binding === name);
    let answers;
    try {
      if (!db) throw new Error(`binding ${name} is not configured`);
      answers = await withTimeout(db.batch(ops.map((op) => db.prepare(op.key).bind(...JSON.parse(op.value || '[]')))),
        WRITE_TIMEOUT_MS, `D1 batch on ${name}`);
    } catch (err) {
      throw new EffectFailed(1, `D1 write on ${name} failed: ${err && err.message}`);
    }
    ops.forEach((op, i) => {
      if ((op.flags & FLAG.MUST_CHANGE) && !(answers[i]?.meta?.changes > 0)) {
        throw new EffectFailed(2, 'session row vanished before the update');
      }
    });
  }
  for (const op of kv) {
    const binding = env[op.binding];
    try {
      if (!binding) throw new Error(`binding ${op.binding} is not configured`);
      if ((op.flags & FLAG.MUST_CHANGE) && (await withTimeout(binding.get(op.key), LOAD_TIMEOUT_MS, 'KV get')) === null) {
        throw new EffectFailed(2, 'session record vanished before the update');
      }
      await kvWrite(binding, op);
    } catch (err) {
      if (err instanceof EffectFailed) throw err;
      if (op.flags & FLAG.BEST_EFFORT) {
        log.error(`Error saving to cache (${op.binding}): ${err && err.message}`);
        continue;
      }
      throw new EffectFailed(1, `KV write on ${op.binding} failed: ${err && err.message}`);
    }
  }
}

function toResponse(method, answer, log) {
  const headers = new Headers();
  for (const [name, value] of answer.headers) headers.append(name, value);
  for (const entry of answer.logs) log[LOG_LEVELS[entry.level] || 'log'](entry.message);
  const noBody = method === 'HEAD' || answer.status === 204 || answer.status === 304;
  return new Response(noBody ? null : answer.body, { status: answer.status, headers });
}

const LAST_RESORT = () =>
  new Response('Internal Server Error\n', { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });

// workerd passes the same env object to every request of an isolate:
// serialize it once per object, not per request.
const envJsonCache = new WeakMap();
function envJsonOf(env) {
  if (!env || typeof env !== 'object') return envJson(env);
  let json = envJsonCache.get(env);
  if (json === undefined) {
    json = envJson(env);
    envJsonCache.set(env, json);
  }
  return json;
}

export function createWorker(wasmModule, options = {}) {
  const log = options.log || console;
  const core = new Core(wasmModule, { log });
  const entropyBytes = 48;

  async function fetch(request, env) {
    try {
      core.ensure(envJsonOf(env));
      const req = requestInput(request, entropyBytes);
      const loaded = [];
      for (let round = 0; round < MAX_PLAN_ROUNDS; round++) {
        const ops = core.plan(encodeInput(req, loaded));
        if (!ops.length) break;
        loaded.push(...(await runLoads(env, ops, log)));
      }
      const answer = core.handle(encodeInput(req, loaded));
      try {
        await runEffects(env, answer.effects, log);
      } catch (err) {
        if (!(err instanceof EffectFailed)) throw err;
        log.error(err.message);
        return toResponse(request.method, core.effectFailure(err.kind), log);
      }
      return toResponse(request.method, answer, log);
    } catch (err) {
      log.error(err instanceof CoreTrap ? `${err.message}; re-creating the instance` : err);
      try {
        core.ensure(envJson(env));
        return toResponse(request.method, core.errorPage(500), log);
      } catch (again) {
        log.error('error page failed too:', again);
        return LAST_RESORT();
      }
    }
  }

  // The Cron Trigger: Django's clearsessions for the database engines.
  async function scheduled(controller, env) {
    core.ensure(envJson(env));
    const answer = core.scheduled(Date.now() / 1000);
    for (const entry of answer.logs) log[LOG_LEVELS[entry.level] || 'log'](entry.message);
    await runEffects(env, answer.effects, log);
  }

  return { fetch, scheduled, core };
}
