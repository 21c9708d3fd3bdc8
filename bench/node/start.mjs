// Cold start of one module in a fresh Node process (V8 caches compiled code
// per process, so each sample is its own process):
//   shim load      import of js-shim/worker.js: its scripts parsed, and the
//                  functions every request runs compiled (js-shim/core.js);
//                  in Workers, part of the isolate's start-up, reported apart
//   compile        new WebAssembly.Module(bytes)  (the bytes read before)
//   instantiate    createWorker() + core.instantiate(): new WebAssembly.Instance, _initialize
//   configure      core.ensure(env): ll_configure (settings parsed, keys
//                  derived, templates parsed), the manifest read
//   first request  the first /catalog/ fetch through the shim with a session
//                  cookie and a fake D1, to the end of its body
// "cold start" = instantiate + configure + first request: from
// createWorker/new WebAssembly.Instance to the first response, the part a new
// isolate pays on its first request (Workers compile the module at upload).
//
//   node bench/node/start.mjs [--prewarm] <core.wasm>   one sample, one JSON line
//   node bench/node/start.mjs --runs N --out f.json <name>=<core.wasm> ...
//
// A first response that is not 200 with the visit counted fails the run.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SECRET, ENGINES, djangoSign, sessionOf, browserHeaders, fakeD1, expectedVisits } from '../lib/fixtures.mjs';

const args = process.argv.slice(2);

// Exercises the JS runtime pieces the shim uses (node:zlib, URL,
// Headers/Request/Response, TextEncoder/Decoder, crypto.getRandomValues,
// timers) so that only our module is cold: closer to a warm workerd process
// creating a new isolate.
async function prewarmRuntime() {
  const { deflateSync, inflateSync } = await import('node:zlib');
  inflateSync(deflateSync(Buffer.from('prewarm prewarm prewarm')), { maxOutputLength: 1024 });
  crypto.getRandomValues(new Uint8Array(48));
  const u = new URL('http://localhost/x?y=1');
  const req = new Request(u, { headers: { cookie: 'a=b' } });
  for (const _ of req.headers);
  if (!req.url || !req.method || req.headers.get('cookie') !== 'a=b') throw new Error('prewarm: Request is broken');
  const h = new Headers();
  h.append('set-cookie', 'a=b');
  await new Response(new TextEncoder().encode('x'), { status: 200, headers: h }).text();
  new TextDecoder().decode(new Uint8Array(4));
  let timer;
  await Promise.race([Promise.resolve(1), new Promise((r) => { timer = setTimeout(r, 1000); })]).finally(() => clearTimeout(timer));
}

async function once(path, prewarm) {
  if (prewarm) await prewarmRuntime();
  const tl = performance.now();
  const { createWorker, envJson } = await import('../../js-shim/worker.js');
  const load_ms = performance.now() - tl;
  const bytes = readFileSync(path);
  const cookie = djangoSign(sessionOf(20));
  const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES.signed_cookies, DB: fakeD1() };
  const request = new Request('http://localhost:8787/catalog/', { headers: browserHeaders(cookie) });
  const errors = [];
  const log = { log() {}, warn() {}, error(...a) { errors.push(a.join(' ')); } };
  const t0 = performance.now();
  const module = new WebAssembly.Module(bytes);
  const t1 = performance.now();
  const worker = createWorker(module, { log });
  worker.core.instantiate();
  const t2 = performance.now();
  worker.core.ensure(envJson(env));
  const t3 = performance.now();
  const res = await worker.fetch(request, env);
  const body = await res.text();
  const t4 = performance.now();
  const ok = res.status === 200 && body.includes(`You have visited this page ${expectedVisits(20)} times.`);
  // Two more requests, for the steady state.
  await (await worker.fetch(request, env)).text();
  const t5 = performance.now();
  const again = await worker.fetch(request, env);
  await again.text();
  const t6 = performance.now();
  // A second instance of the same module in the same process: V8 compiles a
  // module's functions lazily, on first call, and keeps the code per module,
  // so this instance's configure and first request run compiled code. The
  // difference to the first instance is compilation (and the shim's JS
  // warming up), not our work.
  const second = createWorker(module, { log });
  const t7 = performance.now();
  second.core.instantiate();
  second.core.ensure(envJson(env));
  const t8 = performance.now();
  const res2 = await second.fetch(request, env);
  await res2.text();
  const t9 = performance.now();
  return {
    ok: ok && again.status === 200 && res2.status === 200 && worker.core.instantiations === 1, status: res.status, errors,
    load_ms, compile_ms: t1 - t0, instantiate_ms: t2 - t1, configure_ms: t3 - t2, first_request_ms: t4 - t3,
    cold_start_ms: t4 - t1, second_request_ms: t5 - t4, third_request_ms: t6 - t5,
    compiled_configure_ms: t8 - t7, compiled_first_request_ms: t9 - t8,
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
  const self = fileURLToPath(import.meta.url);
  const kinds = [];
  for (const [name, path] of targets) {
    kinds.push({ name, module: name, prewarmed: false, path, samples: [] });
    kinds.push({ name: `${name}, JS runtime pre-warmed`, module: name, prewarmed: true, path, samples: [] });
    // V8 compiles WebAssembly lazily, each function on its first call, so by
    // default the cold start pays for compiling what it runs. Compiled
    // eagerly, the whole module is compiled in `new WebAssembly.Module` (for
    // Workers, at upload or when the process loads the script).
    kinds.push({ name: `${name}, compiled eagerly`, module: name, prewarmed: false, eager: true, path, samples: [] });
  }
  for (let r = 0; r < runs; r++) {
    for (const k of r % 2 ? [...kinds].reverse() : kinds) {
      const argv = [...(k.eager ? ['--no-wasm-lazy-compilation'] : []), self, ...(k.prewarmed ? ['--prewarm'] : []), k.path];
      k.samples.push(JSON.parse(execFileSync(process.execPath, argv, { encoding: 'utf8' })));
    }
  }
  const result = {};
  let failed = false;
  for (const k of kinds) {
    const list = k.samples;
    const r = { module: k.module, prewarmed: k.prewarmed, eager: !!k.eager, runs: list.length, ok: list.every((s) => s.ok) };
    for (const key of Object.keys(list[0]).filter((x) => x.endsWith('_ms'))) {
      r[key] = median(list.map((s) => s[key]));
      r[`${key.slice(0, -3)}_samples_ms`] = list.map((s) => +s[key].toFixed(3));
    }
    result[k.name] = r;
    if (!r.ok) {
      failed = true;
      console.error(`${k.name}: a first request failed: ${JSON.stringify(list.find((s) => !s.ok))}`);
    }
    console.log(`${k.name}: cold start ${r.cold_start_ms.toFixed(2)} ms (instantiate ${r.instantiate_ms.toFixed(2)} + configure ${r.configure_ms.toFixed(2)} + first request ${r.first_request_ms.toFixed(2)}); compile ${r.compile_ms.toFixed(2)} ms; medians of ${list.length}`);
  }
  if (out) writeFileSync(out, JSON.stringify(result, null, 1));
  if (failed) process.exit(1);
} else {
  const prewarm = args.includes('--prewarm');
  console.log(JSON.stringify(await once(args.filter((a) => !a.startsWith('--'))[0], prewarm)));
}
