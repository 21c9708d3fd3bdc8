// Two diagnostic builds of our Worker, never deployed and never in a budget
// row: they split ours' cost in workerd into the core's and everything else.
// Built by run.mjs from the same sources as worker/index.js (esbuild, VARIANT
// defined), with the deployed module.
//   "replayed": the core is called until it has answered once; every later
//     request gets that answer again (its body is still in WASM memory, which
//     nothing else writes). Left: the runtime, the D1 batch and the shim,
//     without writing the request, the call and reading the answer.
//   "twice": every request calls the core twice with the same input and
//     sends the second answer (the same bytes: the core is a function of its
//     input). The second call finds the module's code and data in the CPU
//     caches, where the first runs after the runtime's own work.
import wasmModule from './core.wasm';
import { env } from 'cloudflare:workers';
import { Core } from '../../js-shim/core.js';
import { createWorker } from '../../js-shim/worker.js';

/* global VARIANT */
const request = Core.prototype.request;
let answered = null;
Core.prototype.request = function variantRequest(input, loaded) {
  if (VARIANT === 'replayed') {
    if (answered) return answered;
    const step = request.call(this, input, loaded);
    if (step.response) answered = step;
    return step;
  }
  const step = request.call(this, input, loaded);
  return step.response ? request.call(this, input, loaded) : step;
};

const worker = createWorker(wasmModule);
worker.prepare(env);

export default {
  fetch: (req, env, ctx) => worker.fetch(req, env, ctx),
};
