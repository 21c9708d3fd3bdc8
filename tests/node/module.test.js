// The module's boundary is the proof that the core does no I/O behind the
// shim's back: its imports must stay within this allowlist, and its exports
// are exactly src/wasm/exports.txt (plus toolchain plumbing). The deployable
// bundle must build with `wrangler deploy --dry-run`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MODULES, ROOT, loadModule } from './helpers.js';

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
    for (const name of [...EXPORTS, 'memory', '_initialize']) assert.ok(names.has(name), `missing export ${name}`);
    const test_only = [...names].filter((n) => /test|trap/i.test(n));
    assert.deepEqual(test_only, [], 'no test hooks in a deployable module');
  });

  test(`${toolchain} module is under 150 KB gzipped`, () => {
    const gz = gzipSync(readFileSync(path), { level: 9 }).length;
    assert.ok(gz < 150 * 1024, `${gz} bytes gzipped`);
  });
}

test('wrangler deploy --dry-run builds the bundle within Workers limits', () => {
  const out = mkdtempSync(join(tmpdir(), 'll-dist-'));
  try {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const m = (r.stdout + r.stderr).match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
    assert.ok(m, 'wrangler reports the upload size');
    assert.ok(Number(m[1]) < 64 * 1024, `upload ${m[1]} KiB`);
    assert.match(r.stdout + r.stderr, /env\.DB|DB/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
