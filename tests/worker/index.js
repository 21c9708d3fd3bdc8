// The Worker entry for end-to-end tests: the same shim with the test module
// (wasm-wasi-test: trap hooks and /__test__/ views). Never deployed.
import wasmModule from '../../build/wasm-wasi-test/src/core.wasm';
import { createWorker } from '../../js-shim/worker.js';

const worker = createWorker(wasmModule);

export default {
  fetch: (request, env, ctx) => worker.fetch(request, env, ctx),
  scheduled: (controller, env, ctx) => worker.scheduled(controller, env, ctx),
};
