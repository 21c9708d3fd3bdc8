// The shim's functions that configuring and a first request run are compiled
// when its script loads, not lazily by the first request (js-shim/core.js says
// why: ~2 ms of a new isolate's first request under Node). V8 logs every
// function it compiles (--log-function-events); nothing from js-shim/ may be
// compiled between the probe's markers. No timing is asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODULES, ROOT } from './helpers.js';

function compiledDuringFirstRequest(modulePath) {
  const dir = mkdtempSync(join(tmpdir(), 'll-first-request-'));
  try {
    const logfile = join(dir, 'v8.log');
    const run = spawnSync(process.execPath,
      ['--log-function-events', `--logfile=${logfile}`, '--no-logfile-per-isolate', join(ROOT, 'tests/node/first_request_probe.mjs'), modulePath],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const answer = JSON.parse(run.stdout.trim().split('\n').pop());
    const scripts = new Map();
    const compiled = [];
    let inWindow = false;
    // function,<event>,<script id>,<start>,<end>,<ms>,<timestamp>,<name>
    for (const line of readFileSync(logfile, 'utf8').split('\n')) {
      const f = line.split(',');
      if (f[0] === 'script-details') scripts.set(f[1], f[2]);
      if (f[0] !== 'function') continue;
      if (f[1] === 'first-execution' && f[7] === 'probeWindowStart') inWindow = true;
      if (f[1] === 'first-execution' && f[7] === 'probeWindowEnd') inWindow = false;
      if (inWindow && f[1] === 'parse-function') compiled.push({ script: scripts.get(f[2]) || '', name: f[7] || `(anonymous at ${f[3]})` });
    }
    return { answer, compiled };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [toolchain, path] of Object.entries(MODULES)) {
  test(`${toolchain}: configuring and a first request compile none of the shim's functions`, () => {
    const { answer, compiled } = compiledDuringFirstRequest(path);
    assert.deepEqual(answer, { status: 200, visits: 1 });
    assert.ok(compiled.some((c) => c.name === 'probeLazyInWindow'), 'the log records lazy compiles inside the window');
    const shim = compiled.filter((c) => /\/js-shim\/[^/]+\.js$/.test(c.script));
    assert.deepEqual(shim.map((c) => `${c.script.split('/').pop()}: ${c.name}`), [], 'compiled lazily by the first request');
  });
}
