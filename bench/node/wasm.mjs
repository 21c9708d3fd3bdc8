// The /catalog/ request path in WASM under Node, through the production shim
// (createWorker from js-shim/worker.js with js-shim/platform.js: node:crypto
// HMAC, node:zlib), for both toolchains' modules; plus the same path with the
// shim's Request/Response handling left out ("core only": the envelope
// encoded once, then core.plan() + core.handle(): copy in, ll_plan/ll_handle,
// copy out, decode), and with all JS left out ("exports only": the inputs
// left in WASM memory, ll_plan + ll_handle called directly; platform imports
// included); and WebAssembly linear memory over 100k requests with varied
// sessions.
//
//   node bench/node/wasm.mjs [--smoke] --out result.json [--part speed|memory|all]
//
// D1 is a fake answering every count with a fixed row (bench/lib/fixtures.mjs);
// KV (the cache engine) is an in-memory Map.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorker, envJson } from '../../js-shim/worker.js';
import { encodeInput } from '../../js-shim/core.js';
import {
  SECRET, FALLBACKS, ENGINES, djangoSign, sessionOf, expectedVisits, browserHeaders, fakeD1, fakeKV, seeded, randomKey,
} from '../lib/fixtures.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const SMOKE = args.includes('--smoke');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
const PART = args.includes('--part') ? args[args.indexOf('--part') + 1] : 'all';
const MEMORY_MODULES = (args.includes('--memory-modules') ? args[args.indexOf('--memory-modules') + 1] : 'emscripten').split(',');

export const MODULES = {
  wasi: join(ROOT, 'build/wasm-wasi/src/core.wasm'),
  emscripten: join(ROOT, 'build/wasm-emscripten/src/core.wasm'),
};
const quiet = { log() {}, warn() {}, error(...a) { quiet.errors.push(a.join(' ')); }, errors: [] };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function envFor(fallbacks, engine = 'signed_cookies', extra = {}) {
  const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES[engine], DB: fakeD1(), ...extra };
  if (fallbacks > 0) env.SECRET_KEY_FALLBACKS = JSON.stringify(FALLBACKS.slice(0, fallbacks));
  return env;
}

// ------------------------------------------------------------------ speed

const MATRIX = [
  [20, 0], [20, 1], [20, 3],
  [1024, 0], [1024, 1], [1024, 3],
  [3584, 0], [3584, 1], [3584, 3],
  [128, 0], [512, 0], [2048, 0],
];

let pageSample = null;
async function speed() {
  const rounds = SMOKE ? 1 : 7;
  const batch = SMOKE ? 20 : 150;
  const warm = SMOKE ? 20 : 500;
  const variants = [];
  for (const [module, path] of Object.entries(MODULES)) {
    const wasm = new WebAssembly.Module(readFileSync(path));
    const workers = {};
    for (const f of [0, 1, 3]) workers[f] = { worker: createWorker(wasm, { log: quiet }), env: envFor(f) };
    for (const [payload, fallbacks] of MATRIX) {
      const cookie = djangoSign(sessionOf(payload));
      const { worker, env } = workers[fallbacks];
      const request = new Request('http://localhost:8787/catalog/', { headers: browserHeaders(cookie) });
      const res = await worker.fetch(request, env);
      const body = await res.text();
      const visits = Number((body.match(/You have visited this page (\d+) times?\./) || [])[1]);
      if (res.status !== 200 || visits !== expectedVisits(payload) || !res.headers.get('set-cookie')) {
        throw new Error(`${module} ${payload}/${fallbacks}: status ${res.status}, visits ${visits}, errors ${quiet.errors.join('; ')}`);
      }
      // Core only: the shim's envelope for this request, encoded once.
      const core = worker.core;
      const input = {
        method: 'GET', target: '/catalog/', headers: Object.entries(browserHeaders(cookie)),
        now: Date.now() / 1000, entropy: new Uint8Array(48),
      };
      const ops = core.plan(encodeInput(input, []));
      const loadedInput = encodeInput(input, ops.map((op) => ({ op, status: 0, value: '[{"n":12}]' }))).slice();
      const planInput = encodeInput(input, []).slice();
      // Exports only: the inputs left in WASM memory, then ll_plan + ll_handle
      // (platform imports included, no JS envelope work, output not read).
      const ex0 = core.instance.exports;
      const planPtr = ex0.ll_alloc(planInput.length);
      new Uint8Array(ex0.memory.buffer, planPtr, planInput.length).set(planInput);
      const handlePtr = ex0.ll_alloc(loadedInput.length);
      new Uint8Array(ex0.memory.buffer, handlePtr, loadedInput.length).set(loadedInput);
      const instance0 = core.instance;
      if (!pageSample) pageSample = body;
      variants.push({
        module, payload, fallbacks, cookieBytes: cookie.length, bodyBytes: body.length,
        shim: async (n) => {
          for (let i = 0; i < n; i++) await (await worker.fetch(request, env)).arrayBuffer();
        },
        core: async (n) => {
          core.ensure(envJson(env));
          for (let i = 0; i < n; i++) {
            core.plan(planInput);
            core.handle(loadedInput);
          }
        },
        exports: async (n) => {
          core.ensure(envJson(env));
          if (core.instance !== instance0) throw new Error('instance re-created: input pointers are stale');
          const ex = core.instance.exports;
          for (let i = 0; i < n; i++) {
            ex.ll_plan(planPtr, planInput.length);
            ex.ll_handle(handlePtr, loadedInput.length);
          }
        },
        samples: { shim: [], core: [], exports: [] },
      });
    }
  }
  for (const v of variants) {
    await v.shim(warm);
    await v.core(warm);
    await v.exports(warm);
  }
  // Alternate: every round runs every variant once, in a rotated order.
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r * 5) % variants.length];
      for (const kind of r % 2 ? ['exports', 'core', 'shim'] : ['shim', 'core', 'exports']) {
        const t = performance.now();
        await v[kind](batch);
        v.samples[kind].push(((performance.now() - t) * 1000) / batch);
      }
    }
  }
  return variants.map((v) => ({
    module: v.module, payload: v.payload, fallbacks: v.fallbacks, cookie_bytes: v.cookieBytes, body_bytes: v.bodyBytes,
    shim_us: median(v.samples.shim), core_us: median(v.samples.core), exports_us: median(v.samples.exports),
    shim_samples: v.samples.shim.map((x) => +x.toFixed(2)), core_samples: v.samples.core.map((x) => +x.toFixed(2)),
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
      points.push({ requests: n, bytes: worker.core.instance.exports.memory.buffer.byteLength });
    }
  }
  return {
    module: moduleName, engine, points, non_200: bad, instantiations: worker.core.instantiations,
    kv_records: engine === 'cache' ? kv.map.size : undefined, seconds: (performance.now() - t0) / 1000,
  };
}

// ------------------------------------------------------------------ main

const result = { node: process.version, smoke: SMOKE };
if (PART === 'speed' || PART === 'all') result.speed = await speed();
if (PART === 'memory' || PART === 'all') {
  result.memory = [];
  for (const m of MEMORY_MODULES) for (const e of ['signed_cookies', 'cache']) result.memory.push(await memory(m, e));
}
result.errors_logged = quiet.errors.length;
if (pageSample) {
  result.page_renderer = pageSample.includes('container-fluid')
    ? 'the Django template engine (src/templates/index.html extends base_generic.html)'
    : 'the hand-written renderer in src/app/pages.cpp';
  result.page_bytes = Buffer.byteLength(pageSample);
}
if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 1));
for (const s of result.speed || []) {
  console.log(`${s.module.padEnd(10)} payload ${String(s.payload).padStart(4)} fallbacks ${s.fallbacks}: shim ${s.shim_us.toFixed(1)} us, core only ${s.core_us.toFixed(1)} us, exports only ${s.exports_us.toFixed(1)} us`);
}
for (const m of result.memory || []) {
  console.log(`${m.module} ${m.engine}: ${m.points.map((p) => `${p.requests}:${(p.bytes / 1024).toFixed(0)}K`).join(' ')} (${m.seconds.toFixed(1)} s, non-200 ${m.non_200}, instantiations ${m.instantiations})`);
}
