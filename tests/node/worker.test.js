// The counter end to end through the production shim, for both toolchains'
// modules: redirects, the count across visits, and bad input of every kind.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBindings } from './bindings.js';
import { BASE_ENV, MODULES, cookieValue, djangoSign, visit, workerFor, recordingConsole } from './helpers.js';

// Real KV and D1 (Miniflare) under the variables; the page's counts come from D1.
let bindings;
const env = { ...BASE_ENV };
before(async () => {
  bindings = await startBindings();
  Object.assign(env, bindings.env);
});
after(() => bindings?.dispose());

for (const [toolchain, path] of Object.entries(MODULES)) {
  describe(`worker (${toolchain} module)`, () => {
    const worker = workerFor(path, { log: recordingConsole() });

    test('/ redirects permanently to /catalog/', async () => {
      const r = await visit(worker, env, { path: '/' });
      assert.equal(r.status, 301);
      assert.equal(r.headers.get('location'), '/catalog/');
    });

    test('/catalog redirects to /catalog/ keeping the query', async () => {
      const r = await visit(worker, env, { path: '/catalog?x=1' });
      assert.equal(r.status, 301);
      assert.equal(r.headers.get('location'), '/catalog/?x=1');
    });

    test('the count goes 1, 2, 3 with the cookie the worker sets', async () => {
      let cookie;
      for (const expected of [1, 2, 3]) {
        const r = await visit(worker, env, { cookie });
        assert.equal(r.status, 200);
        assert.equal(r.visits, expected);
        assert.match(r.body, new RegExp(`You have visited this page ${expected} time${expected === 1 ? '' : 's'}\\.`));
        assert.match(r.setCookie, /^sessionid=[A-Za-z0-9_\-.:]+; expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly; Max-Age=1209600; Path=\/; SameSite=Lax$/);
        assert.equal(r.headers.get('vary'), 'Cookie');
        assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
        cookie = `sessionid=${cookieValue(r.setCookie)}`;
      }
    });

    test('the page shows the catalog counts from D1', async () => {
      const r = await visit(worker, env);
      for (const [label, n] of [['Books', 12], ['Copies', 28], ['Copies available', 13], ['Authors', 8]]) {
        assert.ok(r.body.includes(`<strong>${label}:</strong> ${n}<`), `${label}: ${n}`);
      }
    });

    test('a failing catalog database answers 503 and leaves the session untouched', async () => {
      const first = await visit(worker, env);
      const cookie = `sessionid=${cookieValue(first.setCookie)}`;
      const broken = { ...env, DB: { prepare: env.DB.prepare.bind(env.DB), batch: async () => { throw new Error('D1_ERROR: injected'); } } };
      const r = await visit(worker, broken, { cookie });
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(r.setCookie, null);
      assert.equal((await visit(worker, env, { cookie })).visits, 2, 'the failed visit was not counted');
      const missing = await visit(worker, { ...env, DB: undefined }, { cookie });
      assert.equal(missing.status, 503);
    });

    test('the page has the LocalLibrary content', async () => {
      const r = await visit(worker, env);
      for (const text of ['Local Library Home', 'Books:', 'Copies:', 'Copies available:', 'Authors:',
                          'href="/catalog/books/"', 'href="/accounts/login/?next=/catalog/"', '/static/css/styles.css']) {
        assert.ok(r.body.includes(text), `page should contain ${text}`);
      }
    });

    test('other cookies around ours do not disturb it', async () => {
      const first = await visit(worker, env);
      const v = cookieValue(first.setCookie);
      const r = await visit(worker, env, { cookie: `csrftoken=abc; sessionid=${v}; theme=dark` });
      assert.equal(r.visits, 2);
    });

    const bad = {
      'missing cookie': undefined,
      'empty cookie': 'sessionid=',
      'garbage cookie': 'sessionid=not-a-signed-value-at-all',
      'truncated cookie': 'sessionid=eyJudW1fdmlzaXRzIjo5fQ:1r31eq:1PPFpxns0uWboT8URB5',
      'tampered payload': null, // filled in below from a real cookie
      'wrong key': 'sessionid=eyJudW1fdmlzaXRzIjo1fQ:1r31eq:n8hZNrb1gbvkjhBDtGiM8MGVpavP21Lau4eiJMnJhWo',
      'expired (signed in 2023)': 'sessionid=eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44',
      'short value': 'sessionid=abc',
      'quoted junk': 'sessionid="\\012\\"junk"',
      'binary junk': 'sessionid=\u00ff\u00fe\u0001',
      'many semicolons': 'sessionid=' + ';'.repeat(5000),
      'huge header': 'sessionid=' + 'a'.repeat(20000),
    };
    for (const [name, cookie] of Object.entries(bad)) {
      test(`${name} gives a fresh session (count 1), never a 5xx`, async () => {
        let c = cookie;
        if (name === 'tampered payload') {
          const first = await visit(worker, env);
          const v = cookieValue(first.setCookie);
          // {"num_visits":9} with the original signature
          c = `sessionid=${Buffer.from('{"num_visits":9}').toString('base64url')}${v.slice(v.indexOf(':'))}`;
        }
        const r = await visit(worker, env, { cookie: c });
        assert.equal(r.status, 200);
        assert.equal(r.visits, 1);
        assert.ok(cookieValue(r.setCookie)?.length > 20, 'a new signed cookie is issued');
      });
    }

    // Django's view does get('num_visits', 0) + 1: Python arithmetic for
    // numbers and bools; what Django would crash on (TypeError) restarts at 1.
    const hostile = {
      'a string': ['{"num_visits":"lots"}', '1 time.'],
      'a float': ['{"num_visits":2.5}', '3.5 times.'],
      'a whole float': ['{"num_visits":2.0}', '3.0 times.'],
      'True': ['{"num_visits":true}', '2 times.'],
      'a negative number': ['{"num_visits":-7}', '-6 times.'],
      'null': ['{"num_visits":null}', '1 time.'],
      'a nested object': ['{"num_visits":{"a":[1,2,{"b":null}]}}', '1 time.'],
      'the largest int64': ['{"num_visits":9223372036854775807}', '9223372036854775808 times.'],
      'a JSON array instead of a dict': ['[1,2,3]', '1 time.'],
      'deeply nested values': ['{"x":' + '['.repeat(3000) + ']'.repeat(3000) + '}', '1 time.'],
      'latin-1 bytes': ['{"n\u00e9":"\u00ff","num_visits":4}', '5 times.'],
      'NaN': ['{"num_visits":NaN}', 'nan times.'],  // str(float('nan')), as Django's template shows it
    };
    for (const [name, [json, expected]] of Object.entries(hostile)) {
      test(`a validly signed session holding ${name} is answered, not crashed on`, async () => {
        const r = await visit(worker, env, { cookie: `sessionid=${djangoSign(json)}` });
        assert.equal(r.status, 200);
        assert.ok(r.body.includes(`You have visited this page ${expected}`), r.body.match(/visited this page.*/)?.[0]);
      });
    }

    test('other keys in a foreign session survive the counter, byte for byte', async () => {
      const json = '{"cart":[1,2.5,"\\u00e9\\ud83d\\ude00"],"num_visits":1,"z":{"k":null}}';
      const r = await visit(worker, env, { cookie: `sessionid=${djangoSign(json)}` });
      assert.equal(r.visits, 2);
      const payload = cookieValue(r.setCookie).split(':')[0];
      assert.equal(Buffer.from(payload, 'base64url').toString('latin1'),
                   '{"cart":[1,2.5,"\\u00e9\\ud83d\\ude00"],"num_visits":2,"z":{"k":null}}');
    });

    test('HEAD answers like GET without a body', async () => {
      const r = await visit(worker, env, { method: 'HEAD' });
      assert.equal(r.status, 200);
      assert.equal(r.body, '');
      assert.ok(r.setCookie);
    });

    test('other methods on the page get 405 with Allow', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const r = await visit(worker, env, { method });
        assert.equal(r.status, 405);
        assert.equal(r.headers.get('allow'), 'GET, HEAD');
        assert.equal(r.setCookie, null);
      }
    });

    test('unknown paths get a 404 page', async () => {
      const r = await visit(worker, env, { path: '/nope' });
      assert.equal(r.status, 404);
      assert.match(r.body, /Not Found/);
    });

    test('an oversized URL gets 414, a Cookie header over 32 KiB 431; headers the core does not read are not its to limit', async () => {
      assert.equal((await visit(worker, env, { path: '/catalog/?' + 'q'.repeat(9000) })).status, 414);
      assert.equal((await visit(worker, env, { cookie: `other=${'v'.repeat(33 * 1024)}` })).status, 431);
      const headers = {};
      for (let i = 0; i < 120; i++) headers[`x-h${i}`] = 'v'.repeat(300);
      const r = await visit(worker, env, { headers });
      assert.equal(r.status, 200);
      assert.equal(r.visits, 1);
    });
  });
}

describe('configuration', () => {
  test('a missing SECRET_KEY is a clear error naming the setting, not a crash', async () => {
    const log = recordingConsole();
    const worker = workerFor(MODULES.wasi, { log });
    const origError = console.error;
    const seen = [];
    console.error = (...a) => seen.push(a.join(' '));
    try {
      const r = await visit(worker, { ...env, SECRET_KEY: undefined });
      assert.equal(r.status, 500);
      assert.doesNotMatch(r.body, /SECRET_KEY/, 'internals stay out of the page');
      assert.ok([...log.lines.map((l) => l.text), ...seen].some((t) => t.includes('SECRET_KEY') && t.includes('not set')));
    } finally {
      console.error = origError;
    }
  });

  test('an unparsable setting names the setting', async () => {
    const log = recordingConsole();
    const worker = workerFor(MODULES.emscripten, { log });
    const origError = console.error;
    console.error = () => {};
    try {
      const r = await visit(worker, { ...env, SESSION_COOKIE_AGE: 'two weeks' });
      assert.equal(r.status, 500);
      assert.ok(log.lines.some((l) => l.text.includes('SESSION_COOKIE_AGE')));
    } finally {
      console.error = origError;
    }
  });
});

// worker/index.js calls prepare(env) when the isolate starts (cloudflare:workers'
// env), so that its first request finds the module instantiated and configured.
describe('prepare: the per-isolate set-up before the first request', () => {
  for (const [toolchain, path] of Object.entries(MODULES)) {
    test(`${toolchain}: configures once, and the requests with the same variables reuse it`, async () => {
      const worker = workerFor(path, { log: recordingConsole() });
      worker.prepare({ ...env });
      assert.equal(worker.core.instantiations, 1);
      assert.ok(worker.core.manifest, 'configured before any request');
      const configured = worker.core.manifest;
      // A request's env is another object with the same variables.
      const first = await visit(worker, { ...env });
      const second = await visit(worker, env, { cookie: `sessionid=${cookieValue(first.setCookie)}` });
      assert.equal(first.visits, 1);
      assert.equal(second.visits, 2);
      assert.equal(worker.core.instantiations, 1, 'not instantiated again');
      assert.equal(worker.core.manifest, configured, 'not configured again');
    });
  }

  test('a configuration error is logged at start-up, never thrown, and the requests answer it as before', async () => {
    const log = recordingConsole();
    const worker = workerFor(MODULES.wasi, { log });
    const bad = { ...env, SESSION_COOKIE_AGE: 'two weeks' };
    assert.doesNotThrow(() => worker.prepare(bad));
    assert.ok(log.lines.some((l) => l.level === 'error' && l.text.includes('SESSION_COOKIE_AGE')), 'logged when the isolate starts');
    const r = await visit(worker, bad);
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.body, /SESSION_COOKIE_AGE/, 'internals stay out of the page');
    // Fixed variables (a new deployment's env) configure it again.
    const good = await visit(worker, env);
    assert.equal(good.status, 200);
    assert.equal(good.visits, 1);
  });

  test('variables that differ from the start-up ones configure the instance again', async () => {
    const worker = workerFor(MODULES.wasi, { log: recordingConsole() });
    worker.prepare({ ...env, SESSION_COOKIE_NAME: 'startup' });
    const r = await visit(worker, env);
    assert.equal(r.status, 200);
    assert.match(r.setCookie, /^sessionid=/, 'the request\'s variables win');
    assert.equal(worker.core.instantiations, 1, 'the same instance, configured again');
  });
});
