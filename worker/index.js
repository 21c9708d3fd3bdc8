// The Worker entry: the compiled core module plus the shim. wrangler.toml's
// [build] command produces build/worker/core.wasm (see scripts/build-wasm).
import wasmModule from '../build/worker/core.wasm';
import { env } from 'cloudflare:workers';
import { createWorker } from '../js-shim/worker.js';

// The Durable Object class of the durable_object session engine (binding
// SESSION_OBJECTS in wrangler.toml).
export { SessionObject } from './session_object.js';

const worker = createWorker(wasmModule);
// The module instantiated and configured when the isolate starts, not on its
// first request (the same variables and secrets the requests see).
worker.prepare(env);

export default {
  fetch: (request, env, ctx) => worker.fetch(request, env, ctx),
  scheduled: (controller, env, ctx) => worker.scheduled(controller, env, ctx),
};
