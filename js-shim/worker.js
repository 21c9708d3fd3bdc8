// The Worker-facing half of the shim: turns a fetch event into the core's
// input, performs the loads the core plans and the effects it returns against
// the Worker's bindings (KV, D1), and turns the core's answer into a Response.
import { Core, CoreTrap, encodeInput, LOAD_FAILED, LOAD_MISSING, LOAD_OK, OP } from './core.js';

const LOG_LEVELS = ['log', 'warn', 'error'];

// Only plain variables and secrets configure the core; bindings are objects.
export function envJson(env) {
  const vars = {};
  for (const [name, value] of Object.entries(env || {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') vars[name] = value;
  }
  return JSON.stringify(vars);
}

function requestInput(request, entropyBytes) {
  const url = new URL(request.url);
  const headers = [];
  for (const [name, value] of request.headers) headers.push([name, value]);
  return {
    method: request.method,
    target: url.pathname + url.search,
    headers,
    now: Date.now() / 1000,
    entropy: crypto.getRandomValues(new Uint8Array(entropyBytes)),
  };
}

async function runLoad(env, op, log) {
  const binding = env[op.binding];
  try {
    if (!binding) throw new Error(`binding ${op.binding} is not configured`);
    if (op.kind === OP.KV_GET) {
      const value = await binding.get(op.key);
      return value === null ? { status: LOAD_MISSING, value: '' } : { status: LOAD_OK, value };
    }
    if (op.kind === OP.D1_QUERY) {
      const result = await binding.prepare(op.key).bind(...JSON.parse(op.value || '[]')).all();
      return { status: LOAD_OK, value: JSON.stringify(result.results ?? []) };
    }
    throw new Error(`unknown load kind ${op.kind}`);
  } catch (err) {
    log.error(`load from ${op.binding} failed: ${err && err.message}`);
    return { status: LOAD_FAILED, value: String((err && err.message) || err) };
  }
}

async function runEffect(env, op) {
  const binding = env[op.binding];
  if (!binding) throw new Error(`binding ${op.binding} is not configured`);
  if (op.kind === OP.KV_PUT) return binding.put(op.key, op.value, op.ttl ? { expirationTtl: op.ttl } : undefined);
  if (op.kind === OP.KV_DELETE) return binding.delete(op.key);
  if (op.kind === OP.D1_QUERY) return binding.prepare(op.key).bind(...JSON.parse(op.value || '[]')).run();
  throw new Error(`unknown effect kind ${op.kind}`);
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

export function createWorker(wasmModule, options = {}) {
  const log = options.log || console;
  const core = new Core(wasmModule, { log });
  const entropyBytes = 48;

  async function fetch(request, env) {
    let input;
    try {
      core.ensure(envJson(env));
      const req = requestInput(request, entropyBytes);
      const plan = core.plan(encodeInput(req));
      const loaded = plan.length ? await Promise.all(plan.map((op) => runLoad(env, op, log))) : [];
      input = encodeInput(req, loaded);
      const answer = core.handle(input);
      for (const op of answer.effects) await runEffect(env, op);
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

  return { fetch, core };
}
