// Run by first_request.test.js under `node --log-function-events`: loads the
// shim, then (between two marker calls, so the log shows where the window is)
// creates a worker, configures it and answers one /catalog/ visit. Prints the
// response's status and visit count.
import { readFileSync } from 'node:fs';
import { createWorker } from '../../js-shim/worker.js';
import { BASE_ENV, MODULES, visitsOf } from './helpers.js';

const module = new WebAssembly.Module(readFileSync(process.argv[2] || MODULES.wasi));
// A D1 stand-in answering the home page's four counts.
const DB = {
  prepare: (sql) => ({ sql, bind() { return this; } }),
  batch: async (statements) => statements.map(() => ({ results: [{ n: 3 }], success: true, meta: {} })),
};
const env = { ...BASE_ENV, DB };
const request = new Request('http://localhost/catalog/');
const quiet = { log() {}, warn() {}, error(...a) { process.stderr.write(`${a.join(' ')}\n`); } };

// Markers: their first execution is logged; and a plain function, compiled
// lazily inside the window, shows the log records lazy compiles at all.
function probeWindowStart() {}
function probeLazyInWindow(x) { return x + 1; }
function probeWindowEnd() {}

probeWindowStart();
const worker = createWorker(module, { log: quiet });
worker.prepare(env);
const response = await worker.fetch(request, env);
const body = await response.text();
probeLazyInWindow(1);
probeWindowEnd();
console.log(JSON.stringify({ status: response.status, visits: visitsOf(body) }));
