// Profiles of the 20-byte /catalog/ request:
//   native: valgrind --tool=callgrind on `ll_bench_native --profile-loop N`,
//           inclusive instruction counts per function (callgrind_annotate)
//   node:   node --cpu-prof on N requests through the shim, self time by
//           category (WASM, node:zlib, the shim, undici, GC)
//   wasm:   node --cpu-prof on the exports-only loop (ll_request on the
//           20-byte request, no JS in between) of a build that keeps function
//           names (--names-module: LL_WASM_KEEP_NAMES, otherwise the deployed
//           module's pipeline), self time by function and by group
//   node bench/profile.mjs --out profile.json [--native-bin path] [--module path]
//        [--names-module path] [--smoke]
//   node bench/profile.mjs --target <core.wasm> <seconds>          (the profiled loops
//   node bench/profile.mjs --exports-target <core.wasm> <seconds>   themselves)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { category, summarize } from './lib/cpuprofile.mjs';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);

if (args[0] === '--target') {
  const { createWorker } = await import('../js-shim/worker.js');
  const { SECRET, ENGINES, djangoSign, sessionOf, browserHeaders, fakeD1 } = await import('./lib/fixtures.mjs');
  const worker = createWorker(new WebAssembly.Module(readFileSync(args[1])), { log: { log() {}, warn() {}, error() {} } });
  const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES.signed_cookies, DB: fakeD1() };
  const request = new Request('http://localhost:8787/catalog/', { headers: browserHeaders(djangoSign(sessionOf(Number(args[3] || 20)))) });
  // Runs for args[2] seconds (after 200 warm-up requests); prints the count.
  for (let i = 0; i < 200; i++) await (await worker.fetch(request, env)).arrayBuffer();
  const until = performance.now() + Number(args[2]) * 1000;
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) await (await worker.fetch(request, env)).arrayBuffer();
    n += 50;
  }
  console.log(n);
  process.exit(0);
}

if (args[0] === '--exports-target') {
  const { createWorker } = await import('../js-shim/worker.js');
  const { SECRET, ENGINES, djangoSign, sessionOf, browserHeaders, fakeD1 } = await import('./lib/fixtures.mjs');
  const worker = createWorker(new WebAssembly.Module(readFileSync(args[1])), { log: { log() {}, warn() {}, error() {} } });
  const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES.signed_cookies, DB: fakeD1() };
  const request = new Request('http://localhost:8787/catalog/', { headers: browserHeaders(djangoSign(sessionOf(20))) });
  await (await worker.fetch(request, env)).arrayBuffer();
  // The input of the request's last ll_request call (the one that answers),
  // as the shim wrote it; then only that call, again and again.
  const core = worker.core;
  const ex = core.exports;
  let length = -1;
  core.exports = { ...ex, ll_request: (n) => { length = n; return ex.ll_request(n); } };
  const res = await worker.fetch(request, env);
  await res.arrayBuffer();
  core.exports = ex;
  if (res.status !== 200) throw new Error(`exports-only profile: status ${res.status}`);
  const until = performance.now() + Number(args[2]) * 1000;
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 200; i++) ex.ll_request(length);
    n += 200;
  }
  console.log(n);
  process.exit(0);
}

// What a WASM function of the core belongs to, by its (demangled) name.
const WASM_GROUPS = [
  ['SHA-256 / HMAC (BearSSL)', /^br_|^sha2|hmac/i],
  ['template rendering (tmpl::)', /^tmpl::/],
  ['envelope: request decode, response encode', /^envelope::|^ll_request$|^\(anonymous namespace\)::respond/],
  ['JSON (nlohmann, pyjson)', /nlohmann|^pyjson::/],
  // src/wasm/malloc.c's functions, and dlmalloc's in a module built before it.
  ['malloc / free', /^(dlmalloc|dlfree|malloc|free|calloc|realloc|block_alloc|block_of|carve|operator new|operator delete)\b/],
  ['std::string, containers and libc string functions (calls at -Oz)', /^std::|^(void |bool )?std::|^(memcpy|memmove|memset|memcmp|memchr|strlen)$/],
  ['session, signing, cookies, app', /^(signing|session|cookie|middleware|app|enc|http|catalog|pages|timeutil|config|platform)::/],
];

const SMOKE = args.includes('--smoke');
const OUT = opt('--out');
const NATIVE = opt('--native-bin', join(ROOT, 'build/bench/native/ll_bench_native'));
const MODULE = opt('--module', join(ROOT, 'build/wasm-wasi/src/core.wasm'));
const MODULE_NAME = opt('--module-name', 'wasi');
const result = {};

// ------------------------------------------------------------------ native
{
  const iterations = SMOKE ? 200 : 2000;
  const dir = mkdtempSync(join(tmpdir(), 'll-callgrind-'));
  const out = join(dir, 'callgrind.out');
  execFileSync('valgrind', ['--tool=callgrind', '--toggle-collect=ll_bench_profile_loop', `--callgrind-out-file=${out}`, NATIVE, '--profile-loop', String(iterations), '20', '0'], { stdio: 'ignore' });
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  rmSync(dir, { recursive: true, force: true });
  const rows = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)$/);
    if (!m) continue;
    let fn = m[3].replace(/\s+\[[^\]]*\]\s*$/, '');
    fn = fn.replace(/^[^:]*:(?=[^:])/, ''); // drop "file:" prefix
    rows.push({ ir: Number(m[1].replace(/,/g, '')), pct: Number(m[2]), fn });
  }
  // Collection is on only inside ll_bench_profile_loop: the totals are the loop.
  const total = rows.find((r) => r.fn.includes('PROGRAM TOTALS'))?.ir ?? rows[0]?.ir;
  const skip = /PROGRAM TOTALS|ll_bench_profile_loop|below main|__libc_start|^main$|^0x|std::function|_Function_handler|^\?\?\?:0x/;
  const seen = new Set();
  const top = [];
  for (const r of rows) {
    const short = r.fn
      .replace(/nlohmann::json_abi_v3_11_2::/g, 'nlohmann::')
      .replace(/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/g, 'std::string')
      .replace(/std::basic_string_view<char, std::char_traits<char> >/g, 'std::string_view')
      .replace(/\(anonymous namespace\)/g, '{anon}')
      .replace(/\(.*\).*$/, '()');
    if (skip.test(r.fn) || seen.has(short)) continue;
    seen.add(short);
    top.push({ fn: short, pct: (r.ir / total) * 100, ir_per_request: r.ir / iterations });
    if (top.length >= 18) break;
  }
  result.native = { iterations, ir_per_request: total / iterations, top };
}

// -------------------------------------------------------------------- node
{
  const seconds = SMOKE ? 1 : 5;
  const dir = mkdtempSync(join(tmpdir(), 'll-cpuprof-'));
  const requests = Number(execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, fileURLToPath(import.meta.url), '--target', MODULE, String(seconds)], { encoding: 'utf8' }).trim()) + 200;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  result.node = { module: MODULE_NAME, requests, ...summarize(prof) };
}

// ------------------------------------------------------------- wasm by name
const NAMES_MODULE = opt('--names-module');
if (NAMES_MODULE) {
  const seconds = SMOKE ? 1 : 5;
  const dir = mkdtempSync(join(tmpdir(), 'll-cpuprof-'));
  const calls = Number(execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '200', `--cpu-prof-dir=${dir}`, fileURLToPath(import.meta.url), '--exports-target', NAMES_MODULE, String(seconds)], { encoding: 'utf8' }).trim());
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let wasmTotal = 0;
  let total = 0;
  prof.samples.forEach((id, i) => {
    const t = prof.timeDeltas[i] || 0;
    const cf = byId.get(id).callFrame;
    if (['(idle)', '(program)', '(root)'].includes(cf.functionName)) return;
    total += t;
    if (category(cf) !== 'WASM core (compiled C++)') return;
    wasmTotal += t;
    self.set(cf.functionName, (self.get(cf.functionName) || 0) + t);
  });
  const groups = new Map();
  for (const [fn, t] of self) {
    const g = WASM_GROUPS.find(([, re]) => re.test(fn))?.[0] ?? 'other';
    groups.set(g, (groups.get(g) || 0) + t);
  }
  const short = (fn) => (fn.startsWith('decltype(') ? 'std::less<> (a map\'s string comparison)' : fn)
    .replace(/nlohmann::json_abi_v3_11_2::/g, 'nlohmann::')
    .replace(/std::__2::basic_string<char, std::__2::char_traits<char>, std::__2::allocator<char> >/g, 'std::string')
    .replace(/std::__2::basic_string_view<char, std::__2::char_traits<char> >/g, 'std::string_view')
    .replace(/std::__2::/g, 'std::')
    .replace(/\(anonymous namespace\)/g, '{anon}')
    .replace(/\(.*\).*$/, '()');
  const pct = (t) => (t / wasmTotal) * 100;
  result.wasm_by_name = {
    calls, wasm_fraction: wasmTotal / total,
    groups: [...groups].sort((a, b) => b[1] - a[1]).map(([name, t]) => ({ name, pct: pct(t) })),
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([fn, t]) => ({ fn: short(fn), pct: pct(t) })),
  };
}

if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 1));
console.log(`native: ${(result.native.ir_per_request / 1000).toFixed(1)}k instructions/request; top: ${result.native.top.slice(0, 5).map((t) => `${t.fn} ${t.pct.toFixed(0)}%`).join(', ')}`);
if (result.wasm_by_name) console.log(`wasm by name: ${result.wasm_by_name.groups.slice(0, 4).map((g) => `${g.name} ${g.pct.toFixed(0)}%`).join(', ')}`);
console.log(`node: ${result.node.categories.map((c) => `${c.name} ${c.pct.toFixed(0)}%`).join(', ')}`);

