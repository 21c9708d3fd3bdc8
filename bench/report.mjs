// Writes BENCHMARKS.md from the JSON results bench/run.sh leaves in
// build/bench/results/. Budgets are reported (met / missed, with numbers),
// never asserted.
//   node bench/report.mjs --results build/bench/results --out BENCHMARKS.md [--plot bench/scaling.png]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const RES = opt('--results', join(ROOT, 'build/bench/results'));
const OUT = opt('--out', join(ROOT, 'BENCHMARKS.md'));
const PLOT = opt('--plot', null);

const read = (f) => (existsSync(join(RES, f)) ? JSON.parse(readFileSync(join(RES, f), 'utf8')) : null);
const readText = (f) => (existsSync(join(RES, f)) ? readFileSync(join(RES, f), 'utf8') : null);
const meta = read('meta.json') || {};
const native = read('native.json');
const wasm = read('wasm.json');
const start = read('start.json');
const http = read('http.json');
const profile = read('profile.json');
const proposals = read('proposals.json');
const dryrun = readText('dryrun.txt');

const f1 = (x) => (x == null || Number.isNaN(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x) => (x == null ? 'n/a' : `${(x * 100).toFixed(0)} %`);
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ok = (met) => (met == null ? 'n/a' : met ? '**met**' : '**missed**');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

// ------------------------------------------------------------ native results
const nat = new Map(); // run_name -> {us, counters}
if (native) {
  for (const b of native.benchmarks) {
    const isMedian = b.aggregate_name === 'median';
    const single = !b.aggregate_name && b.run_type !== 'aggregate';
    if (!isMedian && !(single && !nat.has(b.run_name || b.name))) continue;
    const scale = { ns: 1e-3, us: 1, ms: 1e3 }[b.time_unit] ?? 1;
    nat.set(b.run_name || b.name, { us: b.real_time * scale, b, error: b.error_message });
  }
}
const natReq = (payload, fallbacks) => nat.get(`BM_request/payload:${payload}/fallbacks:${fallbacks}`)?.us;

// ------------------------------------------------------------- wasm results
const wasmRow = (module, payload, fallbacks) => wasm?.speed?.find((s) => s.module === module && s.payload === payload && s.fallbacks === fallbacks);

// ------------------------------------------------------------------- sizes
const sizes = {};
for (const [name, path] of Object.entries({ wasi: 'build/wasm-wasi/src/core.wasm', emscripten: 'build/wasm-emscripten/src/core.wasm' })) {
  const p = join(ROOT, path);
  if (existsSync(p)) {
    const bytes = readFileSync(p);
    sizes[name] = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }
}
const deployed = meta.deployed_module || 'emscripten';
let upload = null;
if (dryrun) {
  const m = dryrun.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
  if (m) upload = { kib: Number(m[1]), gzip_kib: Number(m[2]) };
}

// ------------------------------------------------------------------ budgets
const budgets = [];
{
  const n20 = natReq(20, 0);
  budgets.push(['Native: whole /catalog/ path, 20-byte session, median', '< 10 µs', n20 == null ? 'n/a' : `${f1(n20)} µs`, n20 == null ? null : n20 < 10]);
  for (const module of ['emscripten', 'wasi']) {
    const w = wasmRow(module, 20, 0);
    if (!w || n20 == null) continue;
    const worst = Math.max(...wasm.speed.filter((s) => s.module === module).map((s) => s.shim_us / (natReq(s.payload, s.fallbacks) ?? NaN)));
    budgets.push([`WASM under Node through the shim (${module}${module === deployed ? ', deployed' : ''}), 20 B / 0 fallbacks`, '< 3× native',
      `${f1(w.shim_us / n20)}× (${f1(w.shim_us)} µs; core only ${f1(w.core_us / n20)}×, exports only ${f1(w.exports_us / n20)}×; worst case in the matrix ${f1(worst)}×)`, w.shim_us / n20 < 3]);
  }
  if (http?.ratios) {
    const r = http.ratios;
    const T = http.targets;
    budgets.push(['workerd: ours vs plain-JS Worker (req/s)', '≥ 1.3×', `${f1(r.ours_over_js)}× (${f1(T.ours.median_rps)} vs ${f1(T.js.median_rps)})`, r.ours_over_js >= 1.3]);
    budgets.push(['workerd: ours vs static floor (req/s)', '≥ 70 %', `${pct(r.ours_over_floor)} (${f1(T.ours.median_rps)} vs ${f1(T.static.median_rps)})`, r.ours_over_floor >= 0.7]);
    budgets.push(['workerd: ours vs Django 3.2 + gunicorn (req/s)', '≥ 5×', `${f1(r.ours_over_django)}× (${f1(T.ours.median_rps)} vs ${f1(T.django.median_rps)})`, r.ours_over_django >= 5]);
  }
  if (sizes[deployed]) {
    budgets.push([`Module size, gzipped (${deployed}, deployed)`, '< 150 KB', `${(sizes[deployed].gzip / 1000).toFixed(1)} KB (${sizes[deployed].gzip} B)`, sizes[deployed].gzip < 150000]);
  }
  if (start?.[deployed]) {
    const s = start[deployed];
    budgets.push([`First request after instantiation starts (${deployed}, Node)`, '< 10 ms',
      `${f1(s.instantiation_to_first_response_ms)} ms (instantiate ${f1(s.instantiate_ms)} + first request ${f1(s.first_request_ms)})`, s.instantiation_to_first_response_ms < 10]);
  }
  for (const m of wasm?.memory || []) {
    const at = (n) => m.points.find((p) => p.requests === n)?.bytes;
    const a = at(10000);
    const b = at(100000);
    if (a == null || b == null) continue;
    budgets.push([`Linear memory 10k → 100k requests (${m.module}, ${m.engine})`, 'flat', `${kb(a)} → ${kb(b)}`, a === b]);
  }
}

// ------------------------------------------------------------------- write
const L = [];
const today = (meta.date || new Date().toISOString()).slice(0, 10);
L.push('# Benchmarks');
L.push('');
L.push(`Generated by \`bench/run.sh${meta.mode === 'smoke' ? ' --smoke' : ''}\` on ${meta.date || today}${meta.mode === 'smoke' ? ' — **smoke run: a few seconds per benchmark, numbers are not meaningful**' : ''}. Re-run with \`bench/run.sh\` (about ${meta.mode === 'smoke' ? 'a minute' : '5 minutes'}); budgets are reported, never asserted.`);
L.push('');
L.push(`- **Machine:** ${meta.cpu || 'n/a'}, ${meta.cores || '?'} cores, ${meta.memory || '?'} RAM, ${meta.kernel || ''}`);
L.push(`- **Software:** Node ${meta.node || '?'}, workerd ${http?.workerd_version?.replace(/^workerd\s*/, '') || meta.workerd || '?'}, ${meta.compilers || ''}, Google Benchmark ${meta.benchmark || '?'}, ${meta.wrk || 'wrk'}, Django ${meta.django || '?'} + gunicorn ${meta.gunicorn || '?'}`);
L.push(`- **Tree:** ${meta.commit || '?'}${meta.dirty ? ' plus uncommitted changes' : ''}; the page is rendered by ${meta.page_renderer || '?'}`);
L.push(`- **Load:** other processes share this machine (fuzzers, builds): load average ${meta.load_start || '?'} at the start, ${meta.load_end || '?'} at the end; every result below carries the load seen when it ran. Medians of alternating runs throughout.`);
L.push('');
L.push('## Budgets');
L.push('');
L.push(table(['Budget', 'Target', 'Measured', 'Result'], budgets.map(([a, b, c, d]) => [a, b, c, ok(d)])));
L.push('');

// 1. native
L.push('## 1. Native core (Google Benchmark)');
L.push('');
L.push('The whole `/catalog/` path as the WASM exports run it: decode the shim envelope, `plan()` (session + four D1 count queries), encode the plan; decode the envelope with the four counts loaded, `handle()` (find the cookie, verify + decode it, count the visit, encode + sign the new cookie, render the page), encode the response. OpenSSL (HMAC, SHA-256) and the system zlib as platform, `-O2 -g` (the project\'s native preset). Payload = the session JSON as Django serializes it: `{"num_visits":12345}` (20 B, stored uncompressed) or `{"num_visits":41,"recent":[32-hex strings…]}` padded to size (deflates to ~55 %, so the compressed `.` path). The cookie is signed with `SECRET_KEY`; all keys are tried anyway (constant time across keys).');
L.push('');
if (native) {
  L.push(`Median of ${meta.native_repetitions || '?'} repetitions; load average during the run ${native.context?.load_avg?.map((x) => x.toFixed(2)).join(', ') || '?'}. Times in µs per request.`);
  L.push('');
  const rows = [];
  for (const p of [20, 1024, 3584]) {
    const cb = nat.get(`BM_request/payload:${p}/fallbacks:0`)?.b?.cookie_bytes;
    rows.push([`${p} B`, cb ? `${cb} B` : 'n/a', ...[0, 1, 3].map((fb) => f1(natReq(p, fb)))]);
  }
  L.push(table(['Session payload', 'Cookie', '0 fallback keys', '1 fallback key', '3 fallback keys'], rows));
  L.push('');
  const of = nat.get('BM_request_oldest_fallback/payload:20');
  if (of) L.push(`Signed with the oldest of 3 fallback keys (verify, then re-sign with \`SECRET_KEY\`): ${f1(of.us)} µs.`);
  L.push('');
  L.push('The pieces on their own (µs):');
  L.push('');
  const pieces = [
    ['envelope decode ×2 + encode plan + encode response', 'BM_envelope_only/payload:20', 'BM_envelope_only/payload:3584'],
    ['`plan()`', 'BM_plan_only/payload:20', null],
    ['`handle()`', 'BM_handle_only/payload:20', 'BM_handle_only/payload:3584'],
    ['verify + decode the cookie (`signing.loads`)', 'BM_unsign/payload:20', 'BM_unsign/payload:3584'],
    ['encode + sign (`signing.dumps`, compress=True)', 'BM_sign/payload:20', 'BM_sign/payload:3584'],
    ['Python-exact JSON parse + dump', 'BM_json_roundtrip/payload:20', 'BM_json_roundtrip/payload:3584'],
    ['HMAC-SHA256 (OpenSSL `HMAC()`), 32 B / 4 KiB', 'BM_hmac_sha256/bytes:32', 'BM_hmac_sha256/bytes:4096'],
    ['render index.html with the template engine', 'BM_template_index', null],
  ];
  L.push(table(['Piece', '20 B', '3.5 KB'], pieces.map(([label, a, b]) => [label, f1(nat.get(a)?.us), b ? f1(nat.get(b)?.us) : '—'])));
  L.push('');
}

// 2. wasm
L.push('## 2. WASM under Node, through the production shim');
L.push('');
L.push('`createWorker(module)` from `js-shim/worker.js` with `js-shim/platform.js` (node:crypto HMAC, node:zlib), a fake D1 with fixed counts, one reused `Request` per case with browser-like headers; each request is `await (await worker.fetch(request, env)).arrayBuffer()`. "Core only" leaves out the shim\'s Request/Response/binding handling: the envelope is encoded once, then `core.plan()` + `core.handle()` (copy in, run, copy out, decode; platform imports included) — the like-for-like counterpart of the native number. "Exports only" leaves out all JS: the two inputs stay in WASM memory and `ll_plan` + `ll_handle` are called directly (the output is not read): WASM execution plus the platform imports (HMAC, SHA-256, zlib in JS). Batches alternate between all cases; medians of the batch means. µs per request; ratio = WASM / native.');
L.push('');
if (wasm?.speed) {
  const rows = [];
  for (const s of wasm.speed) {
    const n = natReq(s.payload, s.fallbacks);
    rows.push([s.module, `${s.payload} B`, s.fallbacks, f1(s.shim_us), n ? `${f1(s.shim_us / n)}×` : 'n/a', f1(s.core_us), n ? `${f1(s.core_us / n)}×` : 'n/a',
      f1(s.exports_us), n && s.exports_us != null ? `${f1(s.exports_us / n)}×` : 'n/a']);
  }
  L.push(table(['Module', 'Payload', 'Fallbacks', 'Shim µs', 'Shim / native', 'Core only µs', 'Core / native', 'Exports only µs', 'Exports / native'], rows));
  L.push('');
  L.push(`Node ${wasm.node}; load average at the start of this part ${meta.load_wasm || '?'}.`);
  L.push('');
}

// 3. http
L.push('## 3. Through workerd and Django, with wrk');
L.push('');
if (http) {
  L.push(`Bare \`workerd serve\` (not \`wrangler dev\`, whose proxy caps every Worker near 1.5k req/s here), one process per Worker, config generated from the \`wrangler deploy --dry-run\` bundle (index.js + the .wasm), \`nodejs_compat\`, compatibility date 2025-09-01. **D1 is a fake:** bare workerd has no D1, so every Worker gets the same wrapped binding \`DB\` (\`bench/workerd/fake-d1.js\`) answering the four counts with fixed rows. Django 3.2 (Debian) under gunicorn, 2 sync workers (no keep-alive: one connection per request), signed_cookies engine, rendering the same \`src/templates/\` with the same fixed counts (no database). wrk ${http.wrk_threads} thread, ${http.connections} connections, ${http.duration_s} s per run, ${http.rounds} rounds with the order rotated, loopback only; every request carries the same valid ${http.cookie_bytes}-byte session cookie (20-byte payload). wrk and the servers share the 2 cores.`);
  L.push('');
  const names = { ours: 'ours (deployed bundle)', ours_wasi: 'ours, WASI module swapped in', js: 'plain-JS Worker (WebCrypto + template literal)', static: 'static-response Worker (floor)', django: 'Django 3.2 + gunicorn (2 sync workers)' };
  const rows = Object.entries(http.targets).map(([k, t]) => [names[k] || k, f1(t.median_rps), f1(t.median_p50_ms), f1(t.median_p99_ms), t.non2xx, t.check.same_page_as_ours ? 'yes' : 'no', t.runs.map((r) => `${f1(r.rps)}@${r.loadavg_1m}`).join(', ')]);
  L.push(table(['Target', 'Median req/s', 'p50 ms', 'p99 ms', 'Non-2xx', 'Same HTML as ours', 'Runs (req/s @ load avg)'], rows));
  L.push('');
  const r = http.ratios;
  L.push(`Ratios: ours / floor ${pct(r.ours_over_floor)}, ours / plain JS ${f1(r.ours_over_js)}×, ours / Django ${f1(r.ours_over_django)}×${r.ours_wasi_over_floor != null ? `; with the WASI module: / floor ${pct(r.ours_wasi_over_floor)}, / plain JS ${f1(r.ours_wasi_over_js)}×` : ''}.`);
  L.push('');
}

// 4. size and start
L.push('## 4. Size and start');
L.push('');
{
  const rows = Object.entries(sizes).map(([k, s]) => [k + (k === deployed ? ' (deployed)' : ''), `${s.raw} B`, `${s.gzip} B`]);
  L.push(table(['Module', 'Raw', 'gzip -9'], rows));
  L.push('');
  if (upload) L.push(`\`wrangler deploy --dry-run\`: Total Upload ${upload.kib} KiB / gzip ${upload.gzip_kib} KiB (index.js + the module).`);
  L.push('');
  if (start) {
    L.push('Cold start in Node, each sample a fresh process (median of the runs): compile = `new WebAssembly.Module(bytes)`; instantiate = `createWorker()` + `core.ensure()` (instantiate, `_initialize`, `ll_configure`: settings, key derivation, template parsing); first request = the first `/catalog/` fetch through the shim, with a session cookie.');
    L.push('');
    L.push(table(['Module', 'Compile ms', 'Instantiate ms', 'First request ms', 'Instantiation start → first response ms', 'Second request ms', 'Runs'],
      Object.entries(start).map(([k, s]) => [k, f1(s.compile_ms), f1(s.instantiate_ms), f1(s.first_request_ms), f1(s.instantiation_to_first_response_ms), f1(s.second_request_ms), s.runs])));
    L.push('');
    L.push('"JS runtime pre-warmed" rows first exercise node:crypto, node:zlib, URL, Request/Response/Headers, TextEncoder/Decoder and timers, so only our module is cold. Where the time goes: the same steps by hand on a second instance of the same module in the now-warm process (V8 has compiled the functions by then):');
    L.push('');
    L.push(table(['Module', 'Instantiate ms', '_initialize ms', 'll_configure ms', 'First ll_plan + ll_handle ms'],
      Object.entries(start).filter(([k]) => !k.includes('pre-warmed')).map(([k, s]) => [k, f1(s.warm_process_instantiate_ms), f1(s.warm_process_initialize_ms), f1(s.warm_process_configure_ms), f1(s.warm_process_first_plan_handle_ms)])));
    L.push('');
  }
}

// 5. memory
L.push('## 5. Memory');
L.push('');
if (wasm?.memory) {
  L.push('`worker.core.instance.exports.memory.buffer.byteLength` after N requests through the shim, one worker per row. Varied sessions: 2000 visitors, each keeping the cookie the Worker returns; signed_cookies sessions start at 20 B … 3.5 KB (a quarter arrive with no cookie), every 97th request carries a tampered cookie (signed_cookies) or a made-up session key (cache). The cache engine uses an in-memory fake KV (a Map).');
  L.push('');
  const cps = wasm.memory[0].points.map((p) => p.requests);
  L.push(table(['Module', 'Engine', ...cps.map((n) => `${n >= 1000 ? n / 1000 + 'k' : n}`), 'Non-200', 'Instantiations'],
    wasm.memory.map((m) => [m.module, m.engine, ...m.points.map((p) => kb(p.bytes)), m.non_200, m.instantiations])));
  L.push('');
}

// 6. scaling
L.push('## 6. Scaling');
L.push('');
const scaling = { session: [], template: [] };
{
  const sizesList = [20, 128, 512, 1024, 2048, 3584];
  const rows = [];
  for (const p of sizesList) {
    const n = natReq(p, 0);
    const e = wasmRow('emscripten', p, 0);
    const w = wasmRow('wasi', p, 0);
    const cb = nat.get(`BM_request/payload:${p}/fallbacks:0`)?.b?.cookie_bytes;
    rows.push([`${p} B`, cb ? `${cb} B` : 'n/a', f1(n), f1(w?.core_us), f1(w?.shim_us), f1(e?.core_us), f1(e?.shim_us)]);
    scaling.session.push({ payload: p, native: n ?? null, wasi_core: w?.core_us ?? null, wasi_shim: w?.shim_us ?? null, emscripten_core: e?.core_us ?? null, emscripten_shim: e?.shim_us ?? null });
  }
  L.push('Time per request vs session size (0 fallback keys), µs:');
  L.push('');
  L.push(table(['Payload', 'Cookie', 'Native', 'WASI core', 'WASI shim', 'Emscripten core', 'Emscripten shim'], rows));
  L.push('');
  const trows = [];
  const idx = nat.get('BM_template_index');
  if (idx) {
    trows.push(['index.html (the page)', 'index.html + base_generic.html', `${idx.b.output_bytes ?? '?'} B`, f1(idx.us)]);
  }
  for (const k of [1, 4, 16, 64]) {
    const t = nat.get(`BM_template_size/kb:${k}`);
    if (!t) continue;
    trows.push([`${k} KiB`, `${t.b.template_bytes} B`, `${t.b.output_bytes} B`, f1(t.us)]);
    scaling.template.push({ kb: k, template_bytes: t.b.template_bytes, output_bytes: t.b.output_bytes, native_us: t.us });
  }
  if (trows.length) {
    L.push('Template render time vs template size (native, the Django template engine; parsed once per isolate, rendered per request). The synthetic templates extend base_generic.html with a content block of one realistic line repeated (markup, two variables, a filter with an argument, `{% if %}`, `{% url %}`):');
    L.push('');
    L.push(table(['Template', 'Source', 'Output', 'Render µs'], trows));
    L.push('');
    const p4 = nat.get('BM_template_parse/kb:4');
    const p64 = nat.get('BM_template_parse/kb:64');
    if (p4 && p64) L.push(`Parsing + linking all templates (per isolate, in \`ll_configure\`): ${f1(p4.us)} µs with the 4 KiB template, ${f1(p64.us)} µs with the 64 KiB one.`);
    L.push('');
  }
  if (PLOT) L.push(`![Time per request vs session size and template size](${relative(dirname(OUT), PLOT)})`);
  L.push('');
  writeFileSync(join(RES, 'scaling.json'), JSON.stringify(scaling, null, 1));
}

// profile
L.push('## Profiles');
L.push('');
if (profile) {
  if (profile.native) {
    L.push(`Native, \`valgrind --tool=callgrind\`, ${profile.native.iterations} requests of the 20-byte case (${f1(profile.native.ir_per_request / 1000)}k instructions per request). Inclusive share of instructions (kernel time is not counted by callgrind: see the findings for page faults):`);
    L.push('');
    L.push(table(['Function (inclusive)', 'Share', 'Instructions / request'], profile.native.top.map((t) => [`\`${t.fn}\``, `${t.pct.toFixed(1)} %`, f1(t.ir_per_request / 1000) + 'k'])));
    L.push('');
  }
  if (profile.node) {
    L.push(`WASM under Node, \`node --cpu-prof\`, ${profile.node.module} module through the shim, ${profile.node.requests} requests of the 20-byte case. Self time by category:`);
    L.push('');
    L.push(table(['Category', 'Share of samples'], profile.node.categories.map((c) => [c.name, `${c.pct.toFixed(1)} %`])));
    L.push('');
    L.push('Top self-time functions:');
    L.push('');
    L.push(table(['Function', 'Share'], profile.node.top.map((t) => [`\`${t.fn}\``, `${t.pct.toFixed(1)} %`])));
    L.push('');
  }
  for (const p of http?.profiles || []) {
    L.push(`Inside workerd: the V8 profiler over the inspector protocol (\`workerd serve --inspector-addr\`), ${p.target === 'ours' ? 'our deployed bundle' : p.target}, while wrk drives it for ${p.seconds} s (${f1(p.rps_while_profiled)} req/s while profiled; the isolate was busy ${pct(p.busy_fraction)} of the time). Self time by category (the shim is bundled into index.js; its functions are told apart by name):`);
    L.push('');
    L.push(table(['Category', 'Share of busy samples'], p.categories.map((c) => [c.name, `${c.pct.toFixed(1)} %`])));
    L.push('');
    L.push(table(['Function', 'Share'], p.top.slice(0, 12).map((t) => [`\`${t.fn}\``, `${t.pct.toFixed(1)} %`])));
    L.push('');
  }
  if (proposals) {
    const e = proposals.encode_input_us;
    L.push(`Measured shim proposal (\`bench/node/proposals.mjs\`, Node): \`encodeInput()\` for the 20-byte request with its four loaded counts (${proposals.envelope_bytes} B, called twice per request) takes ${f1(e.current)} µs as \`js-shim/core.js\` writes it now, ${f1(e.single_buffer)} µs with one growable buffer written with \`encodeInto\` (no per-string arrays), ${f1(e.reused_buffer)} µs with that buffer reused per isolate; same bytes: ${proposals.same_bytes ? 'yes' : '**no**'}. Other per-request shim steps:`);
    L.push('');
    if (proposals.steps_us) L.push(table(['Step', 'µs'], Object.entries(proposals.steps_us).map(([k, v]) => [k, f1(v)])));
    L.push('');
  }
} else {
  L.push('(not run: `bench/run.sh` without `--smoke` profiles)');
  L.push('');
}
const findings = join(ROOT, 'bench/FINDINGS.md');
if (existsSync(findings)) {
  L.push(readFileSync(findings, 'utf8').trim());
  L.push('');
}
writeFileSync(OUT, L.join('\n'));
console.log(`wrote ${relative(process.cwd(), OUT)}`);
for (const [a, b, c, d] of budgets) console.log(`${d == null ? 'n/a   ' : d ? 'met   ' : 'MISSED'}  ${a}: ${c} (target ${b})`);
