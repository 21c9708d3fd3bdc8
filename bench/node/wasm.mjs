// The /catalog/ request path in WASM under Node, for both toolchains'
// modules, three ways:
//   shim          createWorker(module).fetch(request, env): the production
//                 shim (js-shim/worker.js + core.js + platform.js) with a fake
//                 D1 (bench/lib/fixtures.mjs); the body read to the end
//   core only     core.request(input, loaded) with the four prefetched counts
//                 already answered (what the shim calls once the D1 batch is
//                 back): the request written into the module's input buffer,
//                 ll_request, the response decoded (headers, body view, logs)
//   exports only  the same input written once into the module's buffer, then
//                 exports.ll_request(len) called again and again, timed like the
//                 native loop it is compared with (warm, then >= 50 ms): WASM alone
//                 (its imports included: ll.random, ll.deflate, ll.inflate),
//                 no JS encoding or decoding
//   exports, caches disturbed (20-byte case): each call preceded by writing
//                 2 MiB and timed alone (wall clock): closer to one request
//                 between a runtime's other work than a hot loop is
// Time is CPU time (process.cpuUsage, user + system) per batch divided by the
// batch's requests: the machine is shared, and a process that waits for a
// core is not charged for the wait. Batches alternate between every case
// and kind; per case and kind the minimum and the median over batches.
//
// Plus WebAssembly linear memory over 100k requests through the shim with
// varied sessions (it must stay flat).
//
//   node bench/node/wasm.mjs [--smoke] --out result.json [--part speed|memory|all]
//        [--memory-modules emscripten,wasi] [--modules name=core.wasm,...]
// --modules replaces the two built modules (an A/B run of two builds:
// --modules a=old.wasm,b=build/wasm-wasi/src/core.wasm --part speed --payloads 20).
//
// Every request is checked: a response that is not 200 with the visit
// counted fails the run (exit status 1).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorker, envJson } from '../../js-shim/worker.js';
import { RESULT } from '../../js-shim/abi.js';
import {
  SECRET, FALLBACKS, ENGINES, djangoSign, sessionOf, expectedVisits, browserHeaders, fakeD1, fakeKV, seeded, randomKey,
} from '../lib/fixtures.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const SMOKE = args.includes('--smoke');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
const PART = args.includes('--part') ? args[args.indexOf('--part') + 1] : 'all';
const MEMORY_MODULES = (args.includes('--memory-modules') ? args[args.indexOf('--memory-modules') + 1] : 'emscripten').split(',');

export const MODULES = args.includes('--modules')
  ? Object.fromEntries(args[args.indexOf('--modules') + 1].split(',').map((m) => m.split('=')))
  : { wasi: join(ROOT, 'build/wasm-wasi/src/core.wasm'), emscripten: join(ROOT, 'build/wasm-emscripten/src/core.wasm') };
// The native request path, timed in the same rounds as the WASM batches
// (bench/native: ll_bench_native --timed-loop), so that the WASM / native
// ratio compares runs made under the same machine state.
const NATIVE_BIN = join(ROOT, 'build/bench/native/ll_bench_native');
const nativeTimed = (payload, fallbacks, ms) =>
  Number(execFileSync(NATIVE_BIN, ['--timed-loop', String(ms), String(payload), String(fallbacks)], { encoding: 'utf8' }).trim());
const quiet = { log() {}, warn() {}, error(...a) { quiet.errors.push(a.join(' ')); }, errors: [] };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cpuNow = () => process.cpuUsage();
const cpuSince = (t0) => {
  const d = process.cpuUsage(t0);
  return d.user + d.system; // µs
};

function envFor(fallbacks, engine = 'signed_cookies', extra = {}) {
  const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES[engine], DB: fakeD1(), ...extra };
  if (fallbacks > 0) env.SECRET_KEY_FALLBACKS = JSON.stringify(FALLBACKS.slice(0, fallbacks));
  return env;
}

const visitsOf = (text) => Number((text.match(/You have visited this page (\d+) times?\./) || [])[1]);

// ------------------------------------------------------------------ speed

const ALL_CASES = [
  [20, 0], [20, 1], [20, 3],
  [1024, 0], [1024, 1], [1024, 3],
  [3584, 0], [3584, 1], [3584, 3],
  [128, 0], [512, 0], [2048, 0],
];
// --payloads 20,1024 keeps only those session sizes.
const PAYLOADS = args.includes('--payloads') ? args[args.indexOf('--payloads') + 1].split(',').map(Number) : null;
const MATRIX = PAYLOADS ? ALL_CASES.filter(([p]) => PAYLOADS.includes(p)) : ALL_CASES;

// The prefetched loads answered as the fake D1 answers them (the shim's
// runLoads: one batch, rows as objects).
async function answersFor(rule, env) {
  const results = await env.DB.batch(rule.loads.map((op) => env.DB.prepare(op.sql)));
  return rule.loads.map((op, i) => ({ tag: op.tag, kind: op.kind, status: 0, value: '', rows: results[i].results }));
}

let pageSample = null;
const DISTURB = new Uint8Array(2 << 20);

async function speed() {
  const rounds = SMOKE ? 2 : 15;
  const warm = SMOKE ? 20 : 400;
  // Requests per batch, by kind: each batch takes a few ms of CPU.
  const batch = SMOKE ? { shim: 10, core: 20, exports: 20 } : { shim: 60, core: 150, exports: 150 };
  const variants = [];
  for (const [module, path] of Object.entries(MODULES)) {
    const wasm = new WebAssembly.Module(readFileSync(path));
    for (const [payload, fallbacks] of MATRIX) {
      // One worker (one instance) per case: the exports-only input stays put.
      const worker = createWorker(wasm, { log: quiet });
      const env = envFor(fallbacks);
      const cookie = djangoSign(sessionOf(payload));
      const url = 'http://localhost:8787/catalog/';
      const request = new Request(url, { headers: browserHeaders(cookie) });
      const res = await worker.fetch(request, env);
      const body = await res.text();
      if (res.status !== 200 || visitsOf(body) !== expectedVisits(payload) || !res.headers.get('set-cookie')) {
        throw new Error(`${module} ${payload}/${fallbacks} through the shim: status ${res.status}, visits ${visitsOf(body)}, errors ${quiet.errors.join('; ')}`);
      }
      if (!pageSample) pageSample = body;

      // Core only: the shim's input and the prefetched answers, made once.
      const core = worker.core;
      core.ensure(envJson(env));
      const rule = core.prefetchFor('/catalog/', 'GET');
      if (!rule) throw new Error('the manifest has no prefetch rule for GET /catalog/');
      const loaded = await answersFor(rule, env);
      const input = { method: 'GET', target: '/catalog/', headers: request.headers, now: Date.now() / 1000, url, attempt: 1 };
      const step = core.request(input, loaded);
      if (!step.response || step.response.status !== 200
          || visitsOf(Buffer.from(step.response.body).toString('latin1')) !== expectedVisits(payload)) {
        throw new Error(`${module} ${payload}/${fallbacks} core only: ${step.loads ? `asked for ${step.loads.length} more loads` : `status ${step.response?.status}`}`);
      }

      // Exports only: capture the length core.request wrote, keep a copy of
      // the bytes, and check a direct call answers the same response.
      const ex = core.exports;
      let length = -1;
      core.exports = { ...ex, ll_request: (n) => { length = n; return ex.ll_request(n); } };
      core.request(input, loaded);
      core.exports = ex;
      const inputBytes = core.u8.slice(core.inputPtr, core.inputPtr + length);
      const instance0 = core.instance;
      const checkExports = () => {
        if (core.instance !== instance0) throw new Error('instance re-created: the input buffer is stale');
        const out = core.output(ex.ll_request(length));
        const status = out.reader.u32();
        if (out.kind !== RESULT.RESPONSE || status !== 200) throw new Error(`${module} ${payload}/${fallbacks} exports only: kind ${out.kind}, status ${status}`);
        // ll_request must not have changed its input (it is reused).
        const now = core.u8.subarray(core.inputPtr, core.inputPtr + length);
        if (Buffer.compare(Buffer.from(now), Buffer.from(inputBytes)) !== 0) throw new Error('ll_request changed its input');
      };
      checkExports();

      variants.push({
        module, payload, fallbacks, cookieBytes: cookie.length, bodyBytes: body.length, inputBytes: length,
        shim: async (n) => {
          let bad = 0;
          for (let i = 0; i < n; i++) {
            const r = await worker.fetch(request, env);
            await r.arrayBuffer();
            if (r.status !== 200) bad++;
          }
          if (bad) throw new Error(`${module} ${payload}/${fallbacks}: ${bad} non-200 responses through the shim`);
        },
        core: async (n) => {
          for (let i = 0; i < n; i++) {
            const r = core.request(input, loaded);
            if (r.response === null || r.response.status !== 200) throw new Error(`${module} ${payload}/${fallbacks} core only: not a 200`);
          }
        },
        // Only ll_request inside the timed loop, as natively; each sample's
        // responses are checked after its clock stops (checkExports).
        exports: (n) => {
          for (let i = 0; i < n; i++) ex.ll_request(length);
        },
        // The same call with the caches disturbed first (2 MiB written, more
        // than this machine's L2), each call timed on its own: in workerd the
        // runtime's work between two requests leaves the module's code and
        // data out of the caches, as no loop of back-to-back calls does.
        exportsCold: (n) => {
          let ms = 0;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < DISTURB.length; j += 64) DISTURB[j]++;
            const t0 = performance.now();
            ex.ll_request(length);
            ms += performance.now() - t0;
          }
          return (ms * 1000) / n;
        },
        checkExports,
        samples: { shim: [], core: [], exports: [], exportsCold: [] },
      });
    }
  }
  for (const v of variants) for (const kind of ['shim', 'core', 'exports']) await v[kind](warm);
  // One native sample per case and round (the first module's variant of a
  // case carries it).
  const withNative = existsSync(NATIVE_BIN);
  const nativeSamples = new Map();
  const nativeMs = SMOKE ? 5 : 50;
  // Every round runs every case and kind once, in a rotated order.
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r * 5) % variants.length];
      const key = `${v.payload}/${v.fallbacks}`;
      if (withNative && v.module === variants[0].module) {
        if (!nativeSamples.has(key)) nativeSamples.set(key, []);
        nativeSamples.get(key).push(nativeTimed(v.payload, v.fallbacks, nativeMs));
      }
      for (const kind of r % 2 ? ['exports', 'core', 'shim'] : ['shim', 'core', 'exports']) {
        if (kind === 'exports') {
          // Timed like the native loop it is compared with: a few untimed
          // calls first, then calls until nativeMs of CPU have passed.
          v.exports(20);
          const t0 = cpuNow();
          let n = 0;
          do {
            v.exports(20);
            n += 20;
          } while (cpuSince(t0) < nativeMs * 1000);
          v.samples.exports.push(cpuSince(t0) / n);
          if (v.payload === 20 && v.fallbacks === 0) v.samples.exportsCold.push(v.exportsCold(SMOKE ? 10 : 100));
          v.checkExports();
          continue;
        }
        const n = batch[kind];
        const t0 = cpuNow();
        await v[kind](n);
        v.samples[kind].push(cpuSince(t0) / n);
      }
    }
  }
  const round2 = (xs) => xs.map((x) => +x.toFixed(2));
  return variants.map((v) => ({
    module: v.module, payload: v.payload, fallbacks: v.fallbacks, cookie_bytes: v.cookieBytes, body_bytes: v.bodyBytes, input_bytes: v.inputBytes,
    shim_us: median(v.samples.shim), core_us: median(v.samples.core), exports_us: median(v.samples.exports),
    ...(v.samples.exportsCold.length ? { exports_cold_us: median(v.samples.exportsCold) } : {}),
    ...(nativeSamples.has(`${v.payload}/${v.fallbacks}`) ? {
      native_interleaved_us: median(nativeSamples.get(`${v.payload}/${v.fallbacks}`)),
      // Each round's exports sample over the native sample taken in the same
      // round: load from other tenants moves both, and cancels in the ratio.
      native_ratio: median(v.samples.exports.map((x, r) => x / nativeSamples.get(`${v.payload}/${v.fallbacks}`)[r])),
    } : {}),
    shim_min_us: Math.min(...v.samples.shim), core_min_us: Math.min(...v.samples.core), exports_min_us: Math.min(...v.samples.exports),
    batches: v.samples.shim.length,
    samples: { shim: round2(v.samples.shim), core: round2(v.samples.core), exports: round2(v.samples.exports) },
  }));
}

// ------------------------------------------------------------------ memory

const CHECKPOINTS = SMOKE ? [500, 1000, 2000] : [1000, 2000, 5000, 10000, 20000, 50000, 100000];

// Visitors keep their own cookie between visits (the returned Set-Cookie);
// sessions of 20 B .. 3.5 KB, some visitors arrive with no cookie, some with
// a tampered one, so load paths vary (new session, counted, rejected).
async function memory(moduleName, engine) {
  const wasm = new WebAssembly.Module(readFileSync(MODULES[moduleName]));
  const worker = createWorker(wasm, { log: quiet });
  const kv = fakeKV();
  const env = envFor(0, engine, engine === 'cache' ? { SESSIONS: kv } : {});
  const rng = seeded(7);
  const SIZES = [20, 20, 20, 128, 512, 1024, 2048, 3584];
  const VISITORS = 2000;
  const cookies = new Array(VISITORS).fill(null);
  for (let i = 0; i < VISITORS; i++) {
    if (engine === 'signed_cookies' && i % 4 !== 0) cookies[i] = djangoSign(sessionOf(SIZES[i % SIZES.length], seeded(i + 1)));
  }
  const points = [];
  const last = CHECKPOINTS[CHECKPOINTS.length - 1];
  const t0 = performance.now();
  let bad = 0;
  for (let n = 1; n <= last; n++) {
    const v = rng() % VISITORS;
    let cookie = cookies[v];
    if (n % 97 === 0) cookie = engine === 'cache' ? randomKey() : (cookie || 'x:y:z').slice(0, -2) + 'AA'; // made-up / tampered
    const res = await worker.fetch(new Request('http://localhost/catalog/', { headers: browserHeaders(cookie) }), env);
    await res.arrayBuffer();
    if (res.status !== 200) bad++;
    const set = res.headers.get('set-cookie');
    if (set) {
      const value = set.match(/^sessionid=([^;]*)/)[1];
      cookies[v] = value || null;
    }
    if (CHECKPOINTS.includes(n)) {
      points.push({ requests: n, bytes: worker.core.memory.buffer.byteLength });
    }
  }
  return {
    module: moduleName, engine, points, non_200: bad, instantiations: worker.core.instantiations,
    kv_records: engine === 'cache' ? kv.map.size : undefined, seconds: (performance.now() - t0) / 1000,
  };
}

// ------------------------------------------------------------------ main

const result = { node: process.version, smoke: SMOKE, timing: 'CPU time (process.cpuUsage user + system) per batch / requests in the batch' };
if (PART === 'speed' || PART === 'all') result.speed = await speed();
if (PART === 'memory' || PART === 'all') {
  result.memory = [];
  for (const m of MEMORY_MODULES) for (const e of ['signed_cookies', 'cache']) result.memory.push(await memory(m, e));
}
result.errors_logged = quiet.errors.length;
result.errors_sample = quiet.errors.slice(0, 5);
if (pageSample) result.page_bytes = Buffer.byteLength(pageSample);
if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 1));
for (const s of result.speed || []) {
  console.log(`${s.module.padEnd(10)} payload ${String(s.payload).padStart(4)} fallbacks ${s.fallbacks}: shim ${s.shim_us.toFixed(1)} µs, core only ${s.core_us.toFixed(1)} µs, exports only ${s.exports_us.toFixed(1)} µs CPU${s.exports_cold_us ? ` (caches disturbed ${s.exports_cold_us.toFixed(1)} µs)` : ''} (medians of ${s.batches})`);
}
for (const m of result.memory || []) {
  console.log(`${m.module} ${m.engine}: ${m.points.map((p) => `${p.requests}:${(p.bytes / 1024).toFixed(0)}K`).join(' ')} (${m.seconds.toFixed(1)} s, non-200 ${m.non_200}, instantiations ${m.instantiations})`);
}
const failed = (result.memory || []).filter((m) => m.non_200 > 0 || m.instantiations !== 1);
if (failed.length) {
  console.error(`requests failed: ${failed.map((m) => `${m.module}/${m.engine}: ${m.non_200} non-200, ${m.instantiations} instantiations`).join('; ')}; ${quiet.errors.slice(0, 3).join(' | ')}`);
  process.exit(1);
}
