// A trap inside the module (unreachable, abort, out of memory) answers 500
// with the core's error page, the shim re-creates the instance, and the next
// request succeeds. Uses the test-only build with LL_TEST_HOOKS.
import { test, before, after } from 'node:test';
import { startBindings } from './bindings.js';
import assert from 'node:assert/strict';
import { BASE_ENV, TEST_MODULE, cookieValue, recordingConsole, visit, workerFor } from './helpers.js';

let bindings;
const env = { ...BASE_ENV };
before(async () => {
  bindings = await startBindings();
  Object.assign(env, bindings.env);
});
after(() => bindings?.dispose());

for (const kind of ['unreachable', 'abort', 'oom']) {
  test(`after a ${kind} trap the next request succeeds on a fresh instance`, async () => {
    const log = recordingConsole();
    const worker = workerFor(TEST_MODULE, { log });
    const first = await visit(worker, env);
    assert.equal(first.visits, 1);
    const cookie = `sessionid=${cookieValue(first.setCookie)}`;

    const trapped = await visit(worker, env, { cookie, headers: { 'x-test-trap': kind } });
    assert.equal(trapped.status, 500);
    assert.match(trapped.body, /Server Error \(500\)/);
    assert.equal(trapped.setCookie, null, 'nothing is saved for the failed request');
    assert.ok(log.lines.some((l) => l.level === 'error' && /trapped/.test(l.text)));

    const after = await visit(worker, env, { cookie });
    assert.equal(after.status, 200);
    assert.equal(after.visits, 2, 'the session from before the trap continues');
    assert.equal(worker.core.instantiations, 2);
  });
}
