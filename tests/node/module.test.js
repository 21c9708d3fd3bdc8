// The module's boundary is the proof that the core does no I/O behind the
// shim's back: its imports must stay within this allowlist, and its exports
// are exactly src/wasm/exports.txt (plus toolchain plumbing). A deployable
// module has none of the test build's hooks (the /__test__/session route, the
// x-test-trap header), checked by behaviour through the public shim entry
// createWorker(module).fetch(request, env). The deployable bundle must build
// with `wrangler deploy --dry-run`, carry the release module, and bind what
// wrangler.toml declares.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createWorker } from '../../js-shim/worker.js';
import { startBindings } from './bindings.js';
import { BASE_ENV, MODULES, ROOT, TEST_MODULE, cookieValue, loadModule, recordingConsole, visit } from './helpers.js';

// Real KV and D1 (Miniflare): the home page reads its counts from D1.
let bindings;
const env = { ...BASE_ENV };
before(async () => {
  bindings = await startBindings();
  Object.assign(env, bindings.env);
});
after(() => bindings?.dispose());

// What a module does with the test build's two hooks, through the shim.
async function hooks(module) {
  const worker = createWorker(module, { log: recordingConsole() });
  const route = await visit(worker, env, { path: '/__test__/session?op=set:a=1' });
  const first = await visit(worker, env);
  const cookie = `sessionid=${cookieValue(first.setCookie)}`;
  const trapped = await visit(worker, env, { cookie, headers: { 'x-test-trap': 'unreachable' } });
  return { route, first, trapped };
}

const ALLOWED_IMPORTS = new Set([
  'll.random', 'll.deflate', 'll.inflate',
  // libc's few WASI calls: abort messages to stderr, exit. Nothing reads
  // files, clocks, randomness or the environment.
  'wasi_snapshot_preview1.fd_write', 'wasi_snapshot_preview1.fd_close', 'wasi_snapshot_preview1.fd_seek',
  'wasi_snapshot_preview1.proc_exit',
  'env.emscripten_notify_memory_growth',
]);
const EXPORTS = readFileSync(join(ROOT, 'src/wasm/exports.txt'), 'utf8').split('\n').filter(Boolean);

for (const [toolchain, path] of Object.entries(MODULES)) {
  test(`${toolchain} module imports only the allowlisted platform services`, () => {
    const imports = WebAssembly.Module.imports(loadModule(path)).map((i) => `${i.module}.${i.name}`);
    const unexpected = imports.filter((name) => !ALLOWED_IMPORTS.has(name));
    assert.deepEqual(unexpected, [], `unexpected imports: ${unexpected.join(', ')}`);
  });

  test(`${toolchain} module exports the boundary in src/wasm/exports.txt`, () => {
    const names = new Set(WebAssembly.Module.exports(loadModule(path)).map((e) => e.name));
    // _initialize and ll_preload run once per module: the WASI build runs them
    // at build time (wasm-ctor-eval) and ships their memory, so the templates
    // arrive parsed and the exports are gone; Emscripten's shim calls them.
    const init = ['_initialize', 'll_preload'];
    for (const name of [...EXPORTS.filter((n) => !init.includes(n)), 'memory']) assert.ok(names.has(name), `missing export ${name}`);
    for (const name of init) assert.equal(names.has(name), toolchain !== 'wasi', `${name} exported`);
    const test_only = [...names].filter((n) => /test|trap/i.test(n));
    assert.deepEqual(test_only, [], 'no test hooks in a deployable module');
  });

  test(`${toolchain} module answers 404 to the test route and ignores the trap header`, async () => {
    const { route, first, trapped } = await hooks(loadModule(path));
    assert.equal(route.status, 404, '/__test__/session is not routed');
    assert.equal(route.setCookie, null);
    assert.equal(first.visits, 1);
    assert.equal(trapped.status, 200, 'x-test-trap: unreachable does not trap');
    assert.equal(trapped.visits, 2, 'the request is served as if the header were absent');
  });

  test(`${toolchain} module is under 150 KB gzipped`, () => {
    const gz = gzipSync(readFileSync(path), { level: 9 }).length;
    assert.ok(gz < 150 * 1024, `${gz} bytes gzipped`);
  });
}

test('the test module does have both hooks (so the release checks above are not vacuous)', async () => {
  const { route, trapped } = await hooks(loadModule(TEST_MODULE));
  assert.equal(route.status, 200);
  assert.deepEqual(JSON.parse(route.body).results, []);
  assert.equal(trapped.status, 500);
});

test('wrangler deploy --dry-run builds the bundle within Workers limits', async () => {
  const out = mkdtempSync(join(tmpdir(), 'll-dist-'));
  try {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const m = (r.stdout + r.stderr).match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
    assert.ok(m, 'wrangler reports the upload size');
    assert.ok(Number(m[1]) < 64 * 1024, `upload ${m[1]} KiB`);
    // The bindings wrangler.toml declares, and no secret among the variables
    // (SECRET_KEY comes from `wrangler secret put`, never from the bundle).
    const text = r.stdout + r.stderr;
    assert.match(text, /env\.SESSIONS \([^)]*\)\s+KV Namespace/);
    assert.match(text, /env\.DB \(locallibrary\)\s+D1 Database/);
    assert.match(text, /env\.SESSION_OBJECTS \(SessionObject\)\s+Durable Object/);
    assert.match(text, /env\.SESSION_ENGINE \("django\.contrib\.sessions\.backends\.sign/);
    assert.doesNotMatch(text, /SECRET_KEY/);
    // The bundle carries exactly one module, the release WASI build (the one
    // the README says is deployed), which has no test hooks.
    const wasm = readdirSync(out).filter((f) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `bundled modules: ${wasm.join(', ')}`);
    const bundled = readFileSync(join(out, wasm[0]));
    assert.ok(bundled.equals(readFileSync(MODULES.wasi)), 'the bundled module is build/wasm-wasi/src/core.wasm');
    const { route, trapped } = await hooks(new WebAssembly.Module(bundled));
    assert.equal(route.status, 404);
    assert.equal(trapped.status, 200);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
