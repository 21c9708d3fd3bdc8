// Throughput over loopback with wrk: our Worker (the `wrangler deploy
// --dry-run` bundle) on bare `workerd serve`, a static-response Worker (the
// floor), the limit (limit-worker.js: the same I/O and bytes, zero compute),
// the same job in plain JavaScript (js-worker.js), with Hono's signed cookies
// (hono-worker.js) and with React Router's createCookieSessionStorage
// (react-router-worker.js), and Django 3.2 + gunicorn (2 sync workers). Every request carries the same valid session
// cookie: ours and the plain-JS Worker a Django-signed one (20-byte payload),
// Hono and React Router the one they set on a first visit (their own
// formats); the counter re-issues a cookie each time, wrk keeps sending the
// first one. A target that answers anything but 2xx fails the run. Targets alternate within each round; the
// result per target is the median over rounds.
//
//   node bench/workerd/run.mjs --dist <wrangler outdir> --out result.json [--smoke]
//        [--wasi <core.wasm>]   also serve our bundle with this module swapped in
//        [--targets ours,hono,static]   only these (ours always; django only if named;
//                                       ours_logged: ours with its per-request log line)
//        [--also NAME=<wrangler outdir>]  another build of ours as target ours_NAME (A/B
//                                         work; repeatable)
//
// ours_replayed and ours_twice are diagnostics (ours-variant-worker.js): ours
// with the core's answer replayed instead of computed, and with the core
// called twice per request; they price the core inside workerd, cold and hot.
//
// Bare workerd has no D1: every Worker gets the same wrapped binding DB
// (fake-d1.js, fixed counts). Nothing here listens beyond 127.0.0.1.
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { createServer } from 'node:http';
import { SECRET, djangoSign, sessionOf, expectedVisits } from '../lib/fixtures.mjs';
import { summarize } from '../lib/cpuprofile.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const SMOKE = args.includes('--smoke');
const DIST = opt('--dist');
const OUT = opt('--out');
const WASI = opt('--wasi');
const WORK = opt('--work', join(ROOT, 'build/bench/http'));
const WORKERD = opt('--workerd', join(ROOT, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd'));
// Eight rounds of 3 s rather than fewer, longer ones: a target's CPU per
// request flips between two states that each last seconds (on this VM, whether
// waking wrk costs an interrupt: BENCHMARKS.md, Profiles), so shorter rounds
// sample more of them and the median of per-round ratios swings less.
const DURATION = Number(opt('--duration', SMOKE ? 1 : 3));
const ROUNDS = Number(opt('--rounds', SMOKE ? 1 : 8));
const CONNECTIONS = Number(opt('--connections', 16));
const BASE_PORT = Number(opt('--port', 18100));
// A subset for A/B work, e.g. --targets ours,hono,static (ours always runs:
// its page is the static and limit Workers' body).
const TARGETS = opt('--targets', '').split(',').filter(Boolean);
const ALSO = args.flatMap((a, i) => (a === '--also' ? [args[i + 1].split('=')] : []))
  .map(([name, dir]) => ({ target: `ours_${name}`, dir }));
const wanted = (name) => name === 'ours' || name === 'ours_wasi' || ALSO.some((a) => a.target === name)
  || !TARGETS.length || TARGETS.includes(name);
// After the rounds: our Worker again, with the inspector, profiled (V8
// Profiler over CDP) while wrk drives it.
const PROFILE = !args.includes('--no-profile');
const PROFILE_SECONDS = SMOKE ? 1 : 4;
// Profiles start from a fresh process: V8 moves a WASM function from its
// baseline compiler (Liftoff) to the optimizing one only after it has run a
// budget's worth of code, which for the functions a request calls once takes
// a few seconds at these rates (after 1 s of warm-up 5 % of the module's
// samples were still Liftoff code; after 5 s, 0.4 %).
const PROFILE_WARM_SECONDS = SMOKE ? 1 : 5;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

mkdirSync(WORK, { recursive: true });
// What earlier runs left (configs, bundles, modules named by their hash,
// logs, perf data) goes first: the directory holds this run's files only.
for (const f of readdirSync(WORK)) {
  if (/\.(capnp|wasm|js|log|perf\.data(\.old)?|cpuprofile)$/.test(f)) rmSync(join(WORK, f), { force: true });
}
const children = [];
const byName = {};
function start(name, cmd, argv, options = {}) {
  const log = join(WORK, `${name}.log`);
  const fd = openSync(log, 'w');
  const child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], ...options });
  closeSync(fd);
  child.logText = () => readFileSync(log, 'utf8');
  children.push(child);
  byName[name] = child;
  return child;
}
async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
function stopAll() {
  // Only the processes this script started, by pid.
  for (const c of children) if (c.exitCode === null) { try { c.kill('SIGTERM'); } catch {} }
}
process.on('exit', stopAll);
process.on('SIGINT', () => { stopAll(); process.exit(130); });

// Returns the milliseconds the first request that got through took: for a
// Worker, the isolate's first request (our module instantiated and
// configured on it).
async function waitUp(url, child, what, headers = {}) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited: ${child.logText().slice(-2000)}`);
    try {
      const t0 = performance.now();
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      return { ms: performance.now() - t0, status: res.status };
    } catch {}
    await sleep(100);
  }
  throw new Error(`${what} did not come up on ${url}: ${child.logText().slice(-2000)}`);
}

// ----------------------------------------------------------- workerd configs

const capnpString = (s) => JSON.stringify(s);
function workerConfig(name, port, modules, bindings) {
  const mods = modules.map((m) => `(name = ${capnpString(m.name)}, ${m.kind} = embed ${capnpString(m.file)})`).join(',\n      ');
  const binds = bindings.join(',\n      ');
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
  extensions = [ ( modules = [ (name = "bench:fake-d1", esModule = embed "fake-d1.js", internal = true) ] ) ],
);
const worker :Workerd.Worker = (
  modules = [
      ${mods}
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [
      ${binds}
  ],
);
`;
}

const BINDINGS = [
  `(name = "SECRET_KEY", text = ${capnpString(SECRET)})`,
  `(name = "SESSION_ENGINE", text = "django.contrib.sessions.backends.signed_cookies")`,
  `(name = "DB", wrapped = (moduleName = "bench:fake-d1"))`,
];
// Ours runs as configured by default, without the per-request log line (the
// peers log nothing either); ours_logged is the same bundle with REQUEST_LOG on.
const OURS_LOGGED_BINDINGS = [...BINDINGS, '(name = "REQUEST_LOG", text = "true")'];

// The JavaScript Workers are bundled as a user's build would (esbuild, which
// wrangler uses), each into one module.
const JS_WORKERS = { js: 'js-worker.js', hono: 'hono-worker.js', react_router: 'react-router-worker.js', limit: 'limit-worker.js' };
// flags: what differs per entry (ours' variants are minified like wrangler's
// bundle and leave the module and cloudflare:workers to workerd).
function bundle(name, defines = {}, entry = JS_WORKERS[name], flags = ['--minify-syntax']) {
  execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), [join(HERE, entry), '--bundle', '--format=esm',
    '--platform=neutral', '--conditions=workerd,worker,browser', '--main-fields=module,main', '--external:node:*',
    ...flags, `--outfile=${join(WORK, `${name}.js`)}`, '--log-level=warning',
    ...Object.entries(defines).map(([k, v]) => `--define:${k}=${JSON.stringify(v)}`)]);
}

// ours_replayed and ours_twice (ours-variant-worker.js): ours' cost split
// into the core's and the rest; diagnostics, in no budget.
const VARIANTS = { ours_replayed: 'replayed', ours_twice: 'twice' };
const bundleVariant = (name) => bundle(name, { VARIANT: VARIANTS[name] }, 'ours-variant-worker.js',
  ['--minify', '--external:cloudflare:*', '--external:*.wasm']);

function prepareConfigs(page) {
  for (const f of ['fake-d1.js', 'static-worker.js']) copyFileSync(join(HERE, f), join(WORK, f));
  writeFileSync(join(WORK, 'page.js'), `export const PAGE = ${JSON.stringify(page)};\n`);
  const distFiles = readdirSync(DIST);
  const wasm = distFiles.find((f) => f.endsWith('.wasm'));
  if (!wasm || !distFiles.includes('index.js')) throw new Error(`${DIST} lacks index.js or the .wasm module`);
  copyFileSync(join(DIST, 'index.js'), join(WORK, 'index.js'));
  copyFileSync(join(DIST, wasm), join(WORK, wasm));
  const configs = {};
  const ours = [{ name: 'index.js', kind: 'esModule', file: 'index.js' }, { name: wasm, kind: 'wasm', file: wasm }];
  configs.ours = workerConfig('ours', 0, ours, BINDINGS);
  configs.ours_logged = workerConfig('ours_logged', 0, ours, OURS_LOGGED_BINDINGS);
  if (WASI) {
    copyFileSync(WASI, join(WORK, 'wasi-core.wasm'));
    configs.ours_wasi = workerConfig('ours_wasi', 0, [ours[0], { name: wasm, kind: 'wasm', file: 'wasi-core.wasm' }], BINDINGS);
  }
  for (const name of Object.keys(VARIANTS)) {
    if (!wanted(name)) continue;
    bundleVariant(name);
    configs[name] = workerConfig(name, 0, [{ name: `${name}.js`, kind: 'esModule', file: `${name}.js` },
      { name: 'core.wasm', kind: 'wasm', file: wasm }], BINDINGS);
  }
  for (const { target, dir } of ALSO) {
    const files = readdirSync(dir);
    const otherWasm = files.find((f) => f.endsWith('.wasm'));
    copyFileSync(join(dir, 'index.js'), join(WORK, `${target}-index.js`));
    copyFileSync(join(dir, otherWasm), join(WORK, `${target}-${otherWasm}`));
    configs[target] = workerConfig(target, 0, [
      { name: 'index.js', kind: 'esModule', file: `${target}-index.js` },
      { name: otherWasm, kind: 'wasm', file: `${target}-${otherWasm}` },
    ], BINDINGS);
  }
  for (const name of Object.keys(JS_WORKERS)) {
    configs[name] = workerConfig(name, 0, [{ name: `${name}.js`, kind: 'esModule', file: `${name}.js` }], BINDINGS);
  }
  configs.static = workerConfig('static', 0, [
    { name: 'static-worker.js', kind: 'esModule', file: 'static-worker.js' },
    { name: 'page.js', kind: 'esModule', file: 'page.js' },
  ], BINDINGS);
  return configs;
}

// --------------------------------------------------------------------- wrk

// CPU time (user + system) a process has used, in seconds: requests per CPU
// second is steadier than requests per second on a shared machine.
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
// The process and its live descendants (gunicorn's workers are children of
// its master; a workerd process is one process).
function cpuSeconds(pid) {
  let total = 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    total = (Number(fields[11]) + Number(fields[12])) / TICKS;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const kid of kids ? kids.split(' ') : []) total += cpuSeconds(Number(kid));
    }
  } catch {} // a process that just exited
  return total;
}

function wrk(url, cookie, seconds) {
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Cookie: ${cookie}`, url],
    { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const rps = Number((out.match(/Requests\/sec:\s+([\d.]+)/) || [])[1]);
  const non2xx = Number((out.match(/Non-2xx or 3xx responses:\s+(\d+)/) || [0, 0])[1]);
  const errors = out.match(/Socket errors:[^\n]*/);
  const toMs = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
  const lat = (p) => {
    const m = out.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`));
    return m ? toMs(m[1], m[2]) : null;
  };
  const total = Number((out.match(/(\d+) requests in/) || [])[1]);
  return { rps, total, non2xx, socket_errors: errors ? errors[0] : null, p50_ms: lat(50), p99_ms: lat(99) };
}

// ------------------------------------------------------------- profiling

async function profileWorkerd(name, configFile, url, inspectorPort) {
  const child = start(`${name}-profiled`, WORKERD, ['serve', configFile, `--inspector-addr=127.0.0.1:${inspectorPort}`], { cwd: WORK });
  await waitUp(url, child, `workerd (${name}, inspector)`);
  const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  let id = 0;
  const pending = new Map();
  const send = (method, params = {}) => new Promise((resolve) => {
    pending.set(++id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
  };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  wrk(url, cookie, PROFILE_WARM_SECONDS);
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 100 });
  await send('Profiler.start');
  const run = wrk(url, cookie, PROFILE_SECONDS);
  const stopped = await send('Profiler.stop');
  ws.close();
  child.kill('SIGTERM');
  writeFileSync(join(WORK, `${name}.cpuprofile`), JSON.stringify(stopped.result.profile));
  return { target: name, seconds: PROFILE_SECONDS, rps_while_profiled: run.rps, ...summarize(stopped.result.profile) };
}

// The whole process, runtime included (the V8 profiler above sees only JS
// and WASM): `perf record` samples a fresh workerd serving the target while
// wrk drives it, one sample per millisecond of CPU (cpu-clock, so no hardware
// counters are needed), with V8's perf map (--perf-basic-prof) naming the
// JIT code. Each sample is put in one place: the kernel (sockets, scheduling),
// WASM, JavaScript (JIT code and V8's builtins), V8's garbage collector, or the
// runtime (workerd's C++: HTTP, Request/Response/Headers, the event loop, V8's
// API, the allocator).
function perfAvailable() {
  try {
    execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-o', '/dev/null', '--', 'true'], { stdio: 'pipe', timeout: 30000 });
    return null;
  } catch (err) {
    return `perf record failed: ${String((err.stderr && err.stderr.toString()) || err.message).trim().split('\n').slice(-1)[0]}`;
  }
}

const PERF_PLACES = ['kernel', 'runtime', 'js', 'gc', 'wasm'];
function perfPlace(dso, symbol) {
  if (dso.startsWith('[kernel')) return 'kernel';
  // V8 names JIT code "JS:<marker><function> <file>:<line>:<col>" for
  // JavaScript and "JS:<wasm function>-<index>-<tier>" for WASM.
  if (dso.startsWith('[JIT]')) return /^JS:[*+^~]|\.m?js:\d/.test(symbol) || !/^JS:.*-\d+-(turbofan|liftoff)$/.test(symbol) ? 'js' : 'wasm';
  if (/^Builtins?_|^Builtin:/.test(symbol)) return 'js';
  if (/v8::internal::(Heap|Scavenger|MarkCompact|MinorMarkSweep|Sweeper|ConcurrentMarking|IncrementalMarking|MemoryAllocator|GlobalHandles)|cppgc::|GCTracer|HeapTracer/.test(symbol)) return 'gc';
  return 'runtime';
}

async function perfProfile(name, configFile, url, port, seconds) {
  const config = readFileSync(configFile, 'utf8')
    .replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`)
    .replace('  sockets =', '  v8Flags = ["--perf-basic-prof"],\n  sockets =');
  const file = join(WORK, `${name}-perf.capnp`);
  writeFileSync(file, config);
  const child = start(`${name}-perf`, WORKERD, ['serve', file], { cwd: WORK });
  const target = `http://127.0.0.1:${port}/catalog/`;
  try {
    await waitUp(target, child, `workerd (${name}, perf)`);
    wrk(target, cookies[name], PROFILE_WARM_SECONDS);
    const data = join(WORK, `${name}.perf.data`);
    const rec = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-c', '1000000', '-p', String(child.pid), '-o', data, '--', 'sleep', String(seconds + 0.5)], { stdio: 'ignore' });
    const recorded = new Promise((resolve) => rec.on('exit', resolve));
    await sleep(200);
    const run = wrk(target, cookies[name], seconds);
    await recorded;
    const report = execFileSync('perf', ['report', '-i', data, '--no-children', '-g', 'none', '--sort', 'dso,sym', '-n', '--stdio'],
      { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    const samples = Object.fromEntries(PERF_PLACES.map((k) => [k, 0]));
    const symbols = new Map();
    for (const line of report.split('\n')) {
      const m = line.match(/^\s*[\d.]+%\s+(\d+)\s+(\[[^\]]+\](?: tid \d+)?|\S+)\s+\[.\]\s+(.*)$/);
      if (!m) continue;
      const n = Number(m[1]);
      const place = perfPlace(m[2], m[3].trim());
      samples[place] += n;
      const key = place === 'wasm' ? '(WASM)' : m[3].trim().replace(/\((?!anonymous).*$/, '').slice(0, 90);
      symbols.set(key, (symbols.get(key) || 0) + n);
    }
    // One sample per ms of CPU: µs per request = samples * 1000 / requests.
    const per = (n) => (n * 1000) / run.total;
    const total = Object.values(samples).reduce((a, b) => a + b, 0);
    return {
      target: name, seconds, requests: run.total, rps: run.rps, samples: total,
      us_per_request: per(total),
      by_place_us: Object.fromEntries(PERF_PLACES.map((k) => [k, per(samples[k])])),
      top: [...symbols].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([symbol, n]) => ({ symbol, us: per(n) })),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
    try { rmSync(`/tmp/perf-${child.pid}.map`, { force: true }); } catch {}
  }
}

// -------------------------------------------------------------------- main

async function get(url, cookie) {
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, body: await res.text(), setCookie: res.headers.get('set-cookie'), headers: [...res.headers] };
}

// Node loads and compiles its fetch implementation on the first fetch() of
// the process: ~10 ms that would otherwise land on the first target's
// first-request time (ours, as it runs first).
async function warmClient() {
  const server = createServer((req, res) => res.end('warm'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${server.address().port}/`, { headers: { cookie: 'a=b' } })).text();
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

// Fresh processes per Worker for its isolate's first request (one sample is
// at the mercy of the machine's moment).
const FIRST_SAMPLES = SMOKE ? 1 : 5;

const djangoCookie = `sessionid=${djangoSign(sessionOf(20))}`;
// The Cookie header each target gets: Hono's and React Router's own format,
// from a first visit; everyone else Django's.
const cookies = {};
const cookie = djangoCookie; // for the profiles (ours)
const visitsOf = (body) => Number((body.match(/You have visited this page (\d+) times?\./) || [])[1]);
const firstRequests = {};
const result = { smoke: SMOKE, duration_s: DURATION, rounds: ROUNDS, connections: CONNECTIONS, wrk_threads: 1, cookie_bytes: djangoCookie.length - 'sessionid='.length, targets: {} };

try {
  await warmClient();
  // Our Worker first: its page becomes the static Worker's body.
  const urls = {};
  let port = BASE_PORT;
  const configs = prepareConfigs('');
  const order = ['ours', 'ours_logged', ...(WASI ? ['ours_wasi'] : []), ...ALSO.map((a) => a.target), ...Object.keys(VARIANTS), 'js', 'hono', 'react_router', 'limit', 'static'].filter(wanted);
  let oursPage = null;
  let oursSetCookie = null;
  for (const name of order) {
    if (name === 'static') {
      writeFileSync(join(WORK, 'page.js'), `export const PAGE = ${JSON.stringify(oursPage)};\n`);
    }
    if (JS_WORKERS[name]) bundle(name, name === 'limit' ? { LIMIT_PAGE: oursPage, LIMIT_SET_COOKIE: oursSetCookie } : {});
    const p = port++;
    const file = join(WORK, `${name}.capnp`);
    writeFileSync(file, configs[name].replace('127.0.0.1:0', `127.0.0.1:${p}`));
    urls[name] = `http://127.0.0.1:${p}/catalog/`;
    const firsts = [];
    let child;
    let up;
    for (let sample = 0; sample < FIRST_SAMPLES; sample++) {
      if (child) await stop(child);
      child = start(name, WORKERD, ['serve', file], { cwd: WORK });
      up = await waitUp(urls[name], child, `workerd (${name})`, name === 'static' ? {} : { cookie: djangoCookie });
      if (up.status !== 200) throw new Error(`${name}: the first request answered ${up.status}`);
      firsts.push(up.ms);
    }
    {
      // The isolate's first request vs the next ones (same cookie), for
      // every Worker: ours and the peers compared from a cold start too.
      const next = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await get(urls[name], name === 'static' ? null : djangoCookie);
        next.push(performance.now() - t0);
        if (name === 'ours' && i === 0) {
          oursPage = r.body;
          oursSetCookie = r.setCookie;
        }
      }
      firstRequests[name] = { first_ms: median(firsts), first_samples_ms: firsts, first_status: up.status, next_median_ms: median(next) };
    }
    cookies[name] = djangoCookie;
    if (name === 'hono' || name === 'react_router') {
      const first = await get(urls[name], null);
      cookies[name] = (first.setCookie || '').split(';')[0];
    }
  }
  // Django + gunicorn, 2 sync workers, Debian's python3.
  if (wanted('django')) {
    const p = port++;
    const child = start('django', '/usr/bin/python3', ['-m', 'gunicorn', '--workers', '2', '--bind', `127.0.0.1:${p}`, 'benchsite.wsgi:application'],
      { cwd: join(ROOT, 'bench/django'), env: { ...process.env, BENCH_SECRET_KEY: SECRET, PYTHONDONTWRITEBYTECODE: '1' } });
    urls.django = `http://127.0.0.1:${p}/catalog/`;
    await waitUp(urls.django, child, 'gunicorn (django)');
    order.push('django');
    cookies.django = djangoCookie;
  }

  // Each target must do the real job: 200, the visit counted from the cookie,
  // a new cookie (not the static floor), the same page as ours.
  for (const name of order) {
    const r = await get(urls[name], cookies[name]);
    const own = name === 'hono' || name === 'react_router';
    const check = {
      status: r.status,
      visits: visitsOf(r.body),
      sets_cookie: !!r.setCookie,
      body_bytes: Buffer.byteLength(r.body),
      same_page_as_ours: r.body === oursPage,
    };
    const visits = own ? 2 : expectedVisits(20);
    if (r.status !== 200 || !check.same_page_as_ours && !own || (name !== 'static' && (check.visits !== visits || !check.sets_cookie))) {
      throw new Error(`${name} does not do the job: ${JSON.stringify(check)} ${r.body.slice(0, 300)}`);
    }
    result.targets[name] = { url: urls[name], check, runs: [], ...(firstRequests[name] ? { first_request: firstRequests[name] } : {}) };
  }
  // Warm-up, then rounds with the target order rotated each round.
  for (const name of order) wrk(urls[name], cookies[name], SMOKE ? 1 : 2);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < order.length; k++) {
      const name = order[(k + round) % order.length];
      const load = loadavg()[0];
      const cpu0 = cpuSeconds(byName[name].pid);
      const r = wrk(urls[name], cookies[name], DURATION);
      const cpu_us_per_request = ((cpuSeconds(byName[name].pid) - cpu0) / r.total) * 1e6;
      result.targets[name].runs.push({ round, loadavg_1m: +load.toFixed(2), ...r, cpu_us_per_request });
      console.log(`round ${round} ${name.padEnd(12)} ${r.rps.toFixed(0).padStart(7)} req/s  ${cpu_us_per_request.toFixed(0).padStart(5)} µs CPU/req  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  non-2xx ${r.non2xx}  (load ${load.toFixed(2)})`);
    }
  }
  for (const t of Object.values(result.targets)) {
    t.median_rps = median(t.runs.map((r) => r.rps));
    t.median_cpu_us_per_request = median(t.runs.map((r) => r.cpu_us_per_request));
    t.median_p50_ms = median(t.runs.map((r) => r.p50_ms));
    t.median_p99_ms = median(t.runs.map((r) => r.p99_ms));
    t.non2xx = t.runs.reduce((a, r) => a + r.non2xx, 0);
  }
  const T = result.targets;
  const failing = order.filter((name) => T[name].non2xx > 0 || T[name].runs.some((r) => r.socket_errors && /timeout [1-9]/.test(r.socket_errors)));
  if (failing.length) {
    throw new Error(`targets answered errors under load: ${failing.map((n) => `${n} (${T[n].non2xx} non-2xx)`).join(', ')}`);
  }
  // Ratios within a round (same machine state), then the median over rounds.
  const perRound = (a, b) => (T[a] && T[b] ? median(T[a].runs.map((r, i) => r.rps / T[b].runs[i].rps)) : null);
  // The same comparisons by CPU time per request (lower is better, so the
  // ratio is theirs over ours: > 1 means we use less CPU).
  const cpuRatio = (a, b) => (T[a] && T[b] ? median(T[a].runs.map((r, i) => T[b].runs[i].cpu_us_per_request / r.cpu_us_per_request)) : null);
  result.cpu_ratios = {
    ours_over_floor: cpuRatio('ours', 'static'),
    limit_over_floor: cpuRatio('limit', 'static'),
    js_over_floor: cpuRatio('js', 'static'),
    hono_over_floor: cpuRatio('hono', 'static'),
    react_router_over_floor: cpuRatio('react_router', 'static'),
    django_over_floor: cpuRatio('django', 'static'),
    ours_over_js: cpuRatio('ours', 'js'),
    ours_over_hono: cpuRatio('ours', 'hono'),
    ours_over_react_router: cpuRatio('ours', 'react_router'),
  };
  result.ratios = {
    ours_over_floor: perRound('ours', 'static'),
    limit_over_floor: perRound('limit', 'static'),
    js_over_floor: perRound('js', 'static'),
    hono_over_floor: perRound('hono', 'static'),
    react_router_over_floor: perRound('react_router', 'static'),
    django_over_floor: perRound('django', 'static'),
    ours_over_js: perRound('ours', 'js'),
    ours_over_hono: perRound('ours', 'hono'),
    ours_over_react_router: perRound('ours', 'react_router'),
    ours_over_django: perRound('ours', 'django'),
    ours_over_limit: perRound('ours', 'limit'),
    ours_replayed_over_limit: perRound('ours_replayed', 'limit'),
    ours_replayed_over_django: perRound('ours_replayed', 'django'),
    ...(T.ours_wasi ? { ours_wasi_over_floor: perRound('ours_wasi', 'static'), ours_wasi_over_js: perRound('ours_wasi', 'js') } : {}),
  };
  // The core's CPU per request inside workerd, from the variants: as it
  // runs (cold) and called again at once (hot); medians of per-round
  // differences.
  const cpuDiff = (a, b) => (T[a] && T[b] ? median(T[a].runs.map((r, i) => r.cpu_us_per_request - T[b].runs[i].cpu_us_per_request)) : null);
  result.core_cost_us = { cold: cpuDiff('ours', 'ours_replayed'), hot: cpuDiff('ours_twice', 'ours') };
  if (PROFILE && typeof WebSocket === 'function') {
    result.profiles = [];
    let inspector = port + 10;
    for (const name of order.filter((n) => n === 'ours' || n === 'ours_wasi')) {
      byName[name].kill('SIGTERM');
      await sleep(300);
      const p = await profileWorkerd(name, join(WORK, `${name}.capnp`), urls[name], inspector++);
      result.profiles.push(p);
      console.log(`profile ${name}: ${p.categories.slice(0, 6).map((c) => `${c.name} ${c.pct.toFixed(0)}%`).join(', ')}`);
    }
  }
  if (PROFILE) {
    // Where each Worker's CPU goes, whole process: the floor, the limit and
    // ours, alternating; medians over the rounds.
    const unavailable = perfAvailable();
    if (unavailable) {
      result.process_profiles = { unavailable };
      console.log(`process profile skipped: ${unavailable}`);
    } else {
      const names = ['static', 'limit', 'ours'].filter((n) => order.includes(n));
      const rounds = SMOKE ? 1 : 3;
      const seconds = SMOKE ? 1 : 4;
      const runs = Object.fromEntries(names.map((n) => [n, []]));
      let perfPort = port + 30;
      let failed = null;
      for (let r = 0; r < rounds && !failed; r++) {
        for (const name of r % 2 ? [...names].reverse() : names) {
          let p;
          try {
            p = await perfProfile(name, join(WORK, `${name}.capnp`), urls[name], perfPort++, seconds);
          } catch (err) {
            // A profiler that cannot attach or report is not a failed benchmark.
            failed = `perf on ${name}: ${String(err.message).split('\n')[0]}`;
            break;
          }
          runs[name].push(p);
          console.log(`process profile ${name}: ${p.us_per_request.toFixed(1)} µs/request (${PERF_PLACES.map((k) => `${k} ${p.by_place_us[k].toFixed(1)}`).join(', ')}) at ${p.rps.toFixed(0)} req/s`);
        }
      }
      // How an idle vCPU waits (a VM's guest): what a wakeup of wrk costs.
      const sysText = (f) => { try { return readFileSync(f, 'utf8').trim(); } catch { return null; } };
      if (failed) {
        result.process_profiles = { unavailable: failed };
        console.log(`process profile skipped: ${failed}`);
      } else {
        result.process_profiles = {
          rounds, seconds, period_ms: 1, places: PERF_PLACES, targets: {},
          cpuidle_driver: sysText('/sys/devices/system/cpu/cpuidle/current_driver'),
          guest_halt_poll_ns: sysText('/sys/module/haltpoll/parameters/guest_halt_poll_ns'),
        };
        for (const name of names) {
          const list = runs[name];
          result.process_profiles.targets[name] = {
            us_per_request: median(list.map((p) => p.us_per_request)),
            by_place_us: Object.fromEntries(PERF_PLACES.map((k) => [k, median(list.map((p) => p.by_place_us[k]))])),
            rps: median(list.map((p) => p.rps)),
            runs: list,
          };
        }
      }
    }
  }
  result.workerd_version = execFileSync(WORKERD, ['--version'], { encoding: 'utf8' }).trim();
  result.wrk_version = (execFileSync('sh', ['-c', 'wrk -v 2>&1 || true'], { encoding: 'utf8' }).split('\n')[0] || '').trim();
  for (const name of order) console.log(`median ${name.padEnd(14)} ${T[name].median_cpu_us_per_request.toFixed(1).padStart(6)} µs CPU/req  ${T[name].median_rps.toFixed(0).padStart(6)} req/s`);
  console.log(JSON.stringify(result.ratios));
  console.log(JSON.stringify(result.cpu_ratios));
} finally {
  stopAll();
}
if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 1));
