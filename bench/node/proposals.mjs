// Measured proposals for the shim (js-shim/ is not changed here), for the
// 20-byte /catalog/ request with its four loaded counts:
//   - the current encodeInput() against a single-buffer writer (encodeInto,
//     no per-string arrays) producing the same bytes, fresh or reused per
//     isolate;
//   - what other per-request shim steps cost: reading the output (copy +
//     decodeResponse) vs decoding straight from WASM memory, 48 bytes of
//     getRandomValues, URL parsing, and one withTimeout() timer.
//   node bench/node/proposals.mjs [--smoke] [--out file.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeInput, decodeResponse } from '../../js-shim/core.js';
import { createWorker, envJson } from '../../js-shim/worker.js';
import { SECRET, ENGINES, fakeD1 } from '../lib/fixtures.mjs';
import { djangoSign, sessionOf, browserHeaders } from '../lib/fixtures.mjs';

const args = process.argv.slice(2);
const SMOKE = args.includes('--smoke');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
const encoder = new TextEncoder();

// One growable buffer, one DataView, strings written with encodeInto: no
// per-field Uint8Array/DataView/ArrayBuffer allocations.
class BufferWriter {
  constructor(capacity = 2048) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }
  ensure(n) {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v) { this.ensure(1); this.buf[this.pos++] = v; }
  u32(v) { this.ensure(4); this.view.setUint32(this.pos, v, true); this.pos += 4; }
  f64(v) { this.ensure(8); this.view.setFloat64(this.pos, v, true); this.pos += 8; }
  bytes(b) { this.u32(b.length); this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
  str(s) {
    this.ensure(4 + s.length * 3);
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }
  finish() { return this.buf.subarray(0, this.pos); }
}

// reuse: one writer per isolate, reset per call; the result is only valid
// until the next call (core.call copies it into WASM memory at once).
const shared = new BufferWriter();
export function encodeInputFast(request, loaded = [], reuse = false) {
  const w = reuse ? shared : new BufferWriter();
  w.pos = 0;
  w.u32(1);
  w.str(request.method);
  w.str(request.target);
  w.u32(request.headers.length);
  for (const [name, value] of request.headers) { w.str(name); w.str(value); }
  w.f64(request.now);
  w.bytes(request.entropy);
  w.u32(loaded.length);
  for (const l of loaded) {
    w.u8(l.op.kind); w.str(l.op.binding); w.str(l.op.key); w.u8(l.status); w.str(l.value ?? '');
  }
  return w.finish();
}

const QUERIES = [
  'SELECT COUNT(*) AS n FROM catalog_book',
  'SELECT COUNT(*) AS n FROM catalog_bookinstance',
  "SELECT COUNT(*) AS n FROM catalog_bookinstance WHERE status = 'a'",
  'SELECT COUNT(*) AS n FROM catalog_author',
];
const request = {
  method: 'GET', target: '/catalog/', headers: Object.entries(browserHeaders(djangoSign(sessionOf(20)))),
  now: Date.now() / 1000, entropy: crypto.getRandomValues(new Uint8Array(48)),
};
const loaded = QUERIES.map((key) => ({ op: { kind: 4, binding: 'DB', key }, status: 0, value: '[{"n":12}]' }));

const a = encodeInput(request, loaded);
const b = encodeInputFast(request, loaded);
const same = a.length === b.length && a.every((x, i) => x === b[i]);

function time(fn, n) {
  for (let i = 0; i < n / 10; i++) fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t) * 1000) / n;
}
const N = SMOKE ? 2000 : 40000;
const c = encodeInputFast(request, loaded, true);
const sameReused = c.length === a.length && a.every((x, i) => x === c[i]);
const samples = { current: [], fast: [], reused: [] };
for (let r = 0; r < (SMOKE ? 1 : 5); r++) {
  samples.current.push(time(() => encodeInput(request, loaded), N));
  samples.fast.push(time(() => encodeInputFast(request, loaded), N));
  samples.reused.push(time(() => encodeInputFast(request, loaded, true), N));
}
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

// The other per-request steps, on the deployed module after one real request.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const worker = createWorker(new WebAssembly.Module(readFileSync(join(ROOT, 'build/wasm-emscripten/src/core.wasm'))), { log: { log() {}, warn() {}, error() {} } });
const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES.signed_cookies, DB: fakeD1() };
worker.core.ensure(envJson(env));
worker.core.handle(encodeInput(request, loaded));
const ex = worker.core.instance.exports;
const steps = {
  'output(): copy + decodeResponse (as written)': () => decodeResponse(worker.core.output()),
  'decodeResponse straight from the WASM memory view': () => decodeResponse(new Uint8Array(ex.memory.buffer, ex.ll_output_ptr(), ex.ll_output_len())),
  'crypto.getRandomValues(new Uint8Array(48)) (entropy, unused by signed_cookies)': () => crypto.getRandomValues(new Uint8Array(48)),
  'new URL(request.url) + headers to pairs': () => { const u = new URL('http://localhost:8787/catalog/'); return u.pathname + u.search; },
};
const stepUs = {};
for (const [name, fn] of Object.entries(steps)) {
  const xs = [];
  for (let r = 0; r < (SMOKE ? 1 : 5); r++) xs.push(time(fn, N));
  stepUs[name] = median(xs);
}
let timerUs = null;
{
  const n = SMOKE ? 500 : 5000;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('t')), 3000); });
    await Promise.race([Promise.resolve(i), timeout]).finally(() => clearTimeout(timer));
  }
  timerUs = ((performance.now() - t) * 1000) / n;
}
stepUs['withTimeout(): setTimeout + Promise.race + clearTimeout (one per load batch)'] = timerUs;
const result = {
  steps_us: stepUs,
  same_bytes: same && sameReused, envelope_bytes: a.length,
  encode_input_us: { current: median(samples.current), single_buffer: median(samples.fast), reused_buffer: median(samples.reused) },
  calls_per_request: 2,
};
console.log(`encodeInput (${a.length} B, same bytes: ${same}): current ${result.encode_input_us.current.toFixed(2)} µs, single buffer ${result.encode_input_us.single_buffer.toFixed(2)} µs, reused buffer ${result.encode_input_us.reused_buffer.toFixed(2)} µs; called twice per request`);
for (const [k, v] of Object.entries(stepUs)) console.log(`  ${k}: ${v.toFixed(2)} µs`);
if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 1));
