// Cold start of one module in a fresh Node process (V8 caches compiled
// modules per process, so each measurement is its own process):
//   compile   new WebAssembly.Module(bytes)         (the bytes are read before)
//   instantiate   createWorker() + core.ensure(): instantiate, _initialize,
//                 ll_configure (settings parsed, keys derived, templates parsed)
//   first request the first /catalog/ fetch through the shim, with a cookie
// "instantiation start -> first response" = instantiate + first request.
//
//   node bench/node/start.mjs <core.wasm>      prints one JSON line
//   node bench/node/start.mjs --runs N --out f.json <name>=<core.wasm> ...
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createWorker, envJson } from '../../js-shim/worker.js';
import { encodeInput } from '../../js-shim/core.js';
import { platformImports, wasiImports } from '../../js-shim/platform.js';
import { SECRET, ENGINES, djangoSign, sessionOf, browserHeaders, fakeD1, expectedVisits } from '../lib/fixtures.mjs';

const args = process.argv.slice(2);

// Exercises the JS runtime pieces the shim uses (node:crypto, node:zlib,
// URL, Headers/Request/Response, TextEncoder/Decoder, timers) so that only
// our module is cold: closer to a warm workerd process taking a new isolate.
async function prewarmRuntime() {
  const { createHash, createHmac, createSecretKey } = await import('node:crypto');
  const { deflateSync, inflateSync } = await import('node:zlib');
  const key = createSecretKey(Buffer.alloc(32, 7));
  createHmac('sha256', key).update('x').digest();
  createHash('sha256').update('x').digest();
  inflateSync(deflateSync(Buffer.from('prewarm prewarm prewarm')), { maxOutputLength: 1024 });
  crypto.getRandomValues(new Uint8Array(48));
  const u = new URL('http://localhost/x?y=1');
  const req = new Request(u, { headers: { cookie: 'a=b' } });
  for (const _ of req.headers);
  const h = new Headers();
  h.append('set-cookie', 'a=b');
  await new Response(new TextEncoder().encode('x'), { status: 200, headers: h }).text();
  new TextDecoder().decode(new Uint8Array(4));
  let timer;
  await Promise.race([Promise.resolve(1), new Promise((r) => { timer = setTimeout(r, 1000); })]).finally(() => clearTimeout(timer));
}

async function once(path, prewarm) {
  if (prewarm) await prewarmRuntime();
  const bytes = readFileSync(path);
  const cookie = djangoSign(sessionOf(20));
  const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES.signed_cookies, DB: fakeD1() };
  const request = new Request('http://localhost:8787/catalog/', { headers: browserHeaders(cookie) });
  const t0 = performance.now();
  const module = new WebAssembly.Module(bytes);
  const t1 = performance.now();
  const worker = createWorker(module, { log: { log() {}, warn() {}, error() {} } });
  worker.core.ensure(envJson(env));
  const t2 = performance.now();
  const res = await worker.fetch(request, env);
  const body = await res.text();
  const t3 = performance.now();
  const ok = res.status === 200 && body.includes(`You have visited this page ${expectedVisits(20)} times.`);
  // A second request, for comparison with the steady state.
  const t4 = performance.now();
  await (await worker.fetch(request, env)).text();
  const t5 = performance.now();
  // The same steps by hand on a second instance of the same module, in this
  // (now warm) process: what is per instance, and where instantiation goes.
  let memory = null;
  const s0 = performance.now();
  const instance = new WebAssembly.Instance(module, {
    ll: platformImports(() => memory),
    wasi_snapshot_preview1: wasiImports(() => memory, () => {}),
    env: { emscripten_notify_memory_growth() {} },
  });
  memory = instance.exports.memory;
  const s1 = performance.now();
  instance.exports._initialize();
  const s2 = performance.now();
  const ex = instance.exports;
  const call = (name, bytes) => {
    const ptr = ex.ll_alloc(bytes.length);
    new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
    const status = ex[name](ptr, bytes.length);
    ex.ll_free(ptr);
    return status;
  };
  call('ll_configure', new TextEncoder().encode(envJson(env)));
  const s3 = performance.now();
  const input = { method: 'GET', target: '/catalog/', headers: [...request.headers], now: Date.now() / 1000, entropy: new Uint8Array(48) };
  call('ll_plan', encodeInput(input, []));
  const loaded = ['catalog_book', 'catalog_bookinstance', "catalog_bookinstance WHERE status = 'a'", 'catalog_author']
    .map((t) => ({ op: { kind: 4, binding: 'DB', key: `SELECT COUNT(*) AS n FROM ${t}` }, status: 0, value: '[{"n":12}]' }));
  call('ll_handle', encodeInput(input, loaded));
  const s4 = performance.now();
  return {
    ok, compile_ms: t1 - t0, instantiate_ms: t2 - t1, first_request_ms: t3 - t2,
    instantiation_to_first_response_ms: t3 - t1, second_request_ms: t5 - t4,
    warm_process_instantiate_ms: s1 - s0, warm_process_initialize_ms: s2 - s1, warm_process_configure_ms: s3 - s2,
    warm_process_first_plan_handle_ms: s4 - s3,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

if (args.includes('--runs')) {
  const runs = Number(args[args.indexOf('--runs') + 1]);
  const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
  const targets = args.filter((a) => a.includes('=')).map((a) => a.split('='));
  const samples = Object.fromEntries(targets.map(([name]) => [name, []]));
  const self = fileURLToPath(import.meta.url);
  const warmNames = [];
  for (const [name] of targets) {
    samples[`${name}, JS runtime pre-warmed`] = [];
    warmNames.push(`${name}, JS runtime pre-warmed`);
  }
  for (let r = 0; r < runs; r++) {
    for (const [name, path] of r % 2 ? [...targets].reverse() : targets) {
      samples[name].push(JSON.parse(execFileSync(process.execPath, [self, path], { encoding: 'utf8' })));
      samples[`${name}, JS runtime pre-warmed`].push(JSON.parse(execFileSync(process.execPath, [self, '--prewarm', path], { encoding: 'utf8' })));
    }
  }
  const result = {};
  for (const [name, list] of Object.entries(samples)) {
    result[name] = { runs: list.length, ok: list.every((s) => s.ok) };
    for (const k of Object.keys(list[0]).filter((k) => k.endsWith('_ms'))) result[name][k] = median(list.map((s) => s[k]));
    console.log(`${name}: compile ${result[name].compile_ms.toFixed(2)} ms, instantiate ${result[name].instantiate_ms.toFixed(2)} ms, first request ${result[name].first_request_ms.toFixed(2)} ms (medians of ${list.length})`);
  }
  if (out) writeFileSync(out, JSON.stringify(result, null, 1));
} else {
  const prewarm = args.includes('--prewarm');
  console.log(JSON.stringify(await once(args.filter((a) => !a.startsWith('--'))[0], prewarm)));
}
