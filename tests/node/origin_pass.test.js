// The ORIGIN setting through the production shim in Node (ISSUE 13), both
// toolchains' modules, against a small Node HTTP server standing in for the
// Django origin: what the edge serves and what it passes on, the request as
// the origin receives it (method, path, query, headers, Cookie, streamed body,
// X-Forwarded-*), the answer as the visitor receives it (status, Set-Cookie,
// redirects not followed, X-Served-By), the logged-in rule, 502/504 with
// nothing stored, the settings ORIGIN needs, and the JSON log line.
// The real Django origin, workerd and a browser: origin_walk.test.js.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBindings } from './bindings.js';
import { BASE_ENV, MODULES, ROOT, djangoSign, recordingConsole, visitsOf, workerFor } from './helpers.js';
import { freePort, startWranglerDev } from './wrangler.js';

let bindings;
let origin;
let deadPort;
const seen = [];

// The stand-in origin: records each request (body included) and answers as
// the path asks.
async function startFakeOrigin() {
  const port = await freePort();
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    if (req.url.startsWith('/hang')) return; // never answers
    if (req.url.startsWith('/redirect')) {
      res.writeHead(302, { Location: '/accounts/login/?next=/catalog/mybooks/' });
      return res.end();
    }
    if (req.url.startsWith('/echo')) {
      res.writeHead(201, { 'Content-Type': 'application/octet-stream', 'X-Origin': 'yes' });
      return res.end(body);
    }
    res.writeHead(200, [
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Set-Cookie', 'sessionid=from-origin; Path=/; HttpOnly'],
      ['Set-Cookie', 'csrftoken=abc; Path=/; SameSite=Lax'],
      ['X-Served-By', 'django-itself'],
    ]);
    res.end(`<h1>origin page ${req.url}</h1>`);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

before(async () => {
  bindings = await startBindings();
  origin = await startFakeOrigin();
  deadPort = await freePort(); // nothing listens here
});
after(async () => {
  await origin?.close();
  await bindings?.dispose();
});

const envWith = (vars) => ({ ...BASE_ENV, ...bindings.env, ...vars });
const signed = (data) => djangoSign(JSON.stringify(data));

async function send(worker, env, path, { method = 'GET', headers = {}, body } = {}) {
  const init = { method, headers, body };
  if (body) init.duplex = 'half';
  const res = await worker.fetch(new Request(`https://library.example${path}`, init), env);
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf.toString('utf8'), bytes: buf, cookies: res.headers.getSetCookie() };
}

for (const [toolchain, path] of Object.entries(MODULES)) {
  describe(`ORIGIN pass-through (${toolchain} module)`, () => {
    const log = recordingConsole();
    const worker = workerFor(path, { log });

    test('ORIGIN unset: the edge answers everything itself, X-Served-By: edge', async () => {
      const env = envWith({});
      const home = await send(worker, env, '/catalog/');
      assert.equal(home.status, 200);
      assert.equal(home.headers.get('x-served-by'), 'edge');
      const other = await send(worker, env, '/catalog/books/');
      assert.equal(other.status, 404);
      assert.equal(other.headers.get('x-served-by'), 'edge');
    });

    test('the home page is served at the edge from the origin project\'s templates, for an anonymous visitor', async () => {
      const res = await send(worker, envWith({ ORIGIN: origin.base }), '/catalog/');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-served-by'), 'edge');
      assert.equal(visitsOf(res.body), 1);
      assert.equal(res.cookies.length, 1);
      // examples/django-origin/catalog/templates/base_generic.html, with its
      // route names from examples/django-origin/routes.json.
      for (const piece of ['href="/catalog/bookinstances/">All book copies', 'href="/catalog/books/">All books',
                           'href="/catalog/genres/">All genres', 'href="/catalog/languages/">All languages',
                           'href="/accounts/login/?next=/catalog/">Login']) {
        assert.ok(res.body.includes(piece), piece);
      }
      assert.ok(!res.body.includes('User:') && !res.body.includes('Logout') && !res.body.includes('Staff'));
    });

    test('any other request goes to the origin unchanged: method, path, query, headers, Cookie; X-Forwarded-* set', async () => {
      seen.length = 0;
      const res = await send(worker, envWith({ ORIGIN: origin.base }), '/catalog/books/?page=2&q=a%20b', {
        headers: {
          cookie: 'sessionid=abc; csrftoken=xyz',
          'accept-language': 'fr',
          'cf-connecting-ip': '203.0.113.7',
          'x-forwarded-for': '6.6.6.6',
          'x-forwarded-host': 'evil.example',
          'x-forwarded-proto': 'http',
        },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body, '<h1>origin page /catalog/books/?page=2&q=a%20b</h1>');
      assert.equal(seen.length, 1);
      const got = seen[0];
      assert.equal(got.method, 'GET');
      assert.equal(got.url, '/catalog/books/?page=2&q=a%20b');
      assert.equal(got.headers.cookie, 'sessionid=abc; csrftoken=xyz');
      assert.equal(got.headers['accept-language'], 'fr');
      assert.equal(got.headers['x-forwarded-for'], '203.0.113.7', 'the client address as Cloudflare saw it, not what the client claimed');
      assert.equal(got.headers['x-forwarded-host'], 'library.example');
      assert.equal(got.headers['x-forwarded-proto'], 'https');
      assert.equal(got.headers.host, origin.base.slice('http://'.length));
      // The origin's answer, headers and all; X-Served-By is the Worker's.
      assert.deepEqual(res.cookies, ['sessionid=from-origin; Path=/; HttpOnly', 'csrftoken=abc; Path=/; SameSite=Lax']);
      assert.equal(res.headers.get('x-served-by'), 'origin');
    });

    test('/ and the home page for other methods are the origin\'s too', async () => {
      seen.length = 0;
      const env = envWith({ ORIGIN: origin.base });
      assert.equal((await send(worker, env, '/')).headers.get('x-served-by'), 'origin');
      assert.equal((await send(worker, env, '/catalog/', { method: 'POST', body: 'a=1' })).headers.get('x-served-by'), 'origin');
      assert.deepEqual(seen.map((r) => `${r.method} ${r.url}`), ['GET /', 'POST /catalog/']);
    });

    test('request and response bodies are streamed both ways, byte for byte', async () => {
      seen.length = 0;
      const payload = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
      const res = await send(worker, envWith({ ORIGIN: origin.base }), '/echo', {
        method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Blob([payload]).stream(),
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('x-origin'), 'yes');
      assert.ok(res.bytes.equals(payload));
      assert.ok(seen[0].body.equals(payload));
    });

    test('redirects are passed back, not followed', async () => {
      seen.length = 0;
      const res = await send(worker, envWith({ ORIGIN: origin.base }), '/redirect');
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/accounts/login/?next=/catalog/mybooks/');
      assert.equal(res.headers.get('x-served-by'), 'origin');
      assert.equal(seen.length, 1);
    });

    test('a session with a logged-in user (_auth_user_id) gets the origin\'s home page; an anonymous one the edge\'s', async () => {
      seen.length = 0;
      const env = envWith({ ORIGIN: origin.base });
      const user = await send(worker, env, '/catalog/', { headers: { cookie: `sessionid=${signed({ num_visits: 2, _auth_user_id: '1', _auth_user_backend: 'django.contrib.auth.backends.ModelBackend', _auth_user_hash: 'x' })}` } });
      assert.equal(user.headers.get('x-served-by'), 'origin');
      assert.equal(seen.length, 1);
      const anonymous = await send(worker, env, '/catalog/', { headers: { cookie: `sessionid=${signed({ num_visits: 2 })}` } });
      assert.equal(anonymous.headers.get('x-served-by'), 'edge');
      assert.equal(visitsOf(anonymous.body), 3);
      // A cookie signed with another key is no session at all: the edge's page.
      const forged = await send(worker, env, '/catalog/', { headers: { cookie: `sessionid=${djangoSign(JSON.stringify({ _auth_user_id: '1' }), { secret: 'not-the-key' })}` } });
      assert.equal(forged.headers.get('x-served-by'), 'edge');
      assert.equal(visitsOf(forged.body), 1);
      assert.equal(seen.length, 1);
    });

    test('the origin unreachable: 502, a small page, no cookie; the session untouched', async () => {
      const res = await send(worker, envWith({ ORIGIN: `http://127.0.0.1:${deadPort}` }), '/catalog/books/',
        { headers: { cookie: `sessionid=${signed({ num_visits: 4 })}` } });
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('x-served-by'), 'edge');
      assert.equal(res.headers.get('set-cookie'), null);
      assert.match(res.body, /Bad Gateway \(502\)/);
      assert.ok(log.lines.some((l) => l.level === 'error' && /origin could not be reached/.test(l.text)));
    });

    test('the origin silent past ORIGIN_TIMEOUT: 504, no cookie', async () => {
      const started = Date.now();
      const res = await send(worker, envWith({ ORIGIN: origin.base, ORIGIN_TIMEOUT: '1' }), '/hang');
      assert.equal(res.status, 504);
      assert.equal(res.headers.get('set-cookie'), null);
      assert.match(res.body, /Gateway Timeout \(504\)/);
      assert.ok(Date.now() - started < 5000);
    });

    test('ORIGIN needs the signed_cookies engine and a bare http(s) URL: otherwise ImproperlyConfigured', async () => {
      for (const [vars, why] of [
        [{ ORIGIN: origin.base, SESSION_ENGINE: 'django.contrib.sessions.backends.db' }, /ORIGIN: needs SESSION_ENGINE/],
        [{ ORIGIN: 'ftp://example.com' }, /ORIGIN: must be/],
        [{ ORIGIN: 'https://example.com/prefix' }, /ORIGIN: must be/],
        [{ ORIGIN: origin.base, ORIGIN_TIMEOUT: '0' }, /ORIGIN_TIMEOUT/],
      ]) {
        log.lines.length = 0;
        const res = await send(worker, envWith(vars), '/catalog/');
        assert.equal(res.status, 500);
        assert.ok(log.lines.some((l) => why.test(l.text)), `${JSON.stringify(vars)}: ${JSON.stringify(log.lines)}`);
      }
      // A trailing slash is fine.
      assert.equal((await send(worker, envWith({ ORIGIN: `${origin.base}/` }), '/catalog/books/')).headers.get('x-served-by'), 'origin');
    });

    test('REQUEST_LOG = true: one JSON log line per request: method, path, status, engine, served_by, ms', async () => {
      const env = envWith({ ORIGIN: origin.base, REQUEST_LOG: 'true' });
      log.lines.length = 0;
      await send(worker, env, '/catalog/');
      await send(worker, env, '/catalog/books/?page=2');
      const lines = log.lines.filter((l) => l.level === 'log' && l.text.startsWith('{')).map((l) => JSON.parse(l.text));
      assert.equal(lines.length, 2);
      assert.deepEqual(lines.map(({ ms, ...rest }) => rest), [
        { method: 'GET', path: '/catalog/', status: 200, engine: 'signed_cookies', served_by: 'edge' },
        { method: 'GET', path: '/catalog/books/', status: 200, engine: 'signed_cookies', served_by: 'origin' },
      ]);
      assert.ok(lines.every((l) => Number.isInteger(l.ms) && l.ms >= 0));
    });

    test('REQUEST_LOG unset or false: no per-request line, the other log lines stay', async () => {
      for (const [value, expected] of [[undefined, 0], ['false', 0], ['0', 0], ['true', 1], [true, 1], [false, 0]]) {
        const env = envWith(value === undefined ? { ORIGIN: origin.base } : { ORIGIN: origin.base, REQUEST_LOG: value });
        log.lines.length = 0;
        const res = await send(worker, env, '/catalog/');
        assert.equal(res.status, 200);
        const lines = log.lines.filter((l) => l.level === 'log' && l.text.startsWith('{'));
        assert.equal(lines.length, expected, `REQUEST_LOG=${JSON.stringify(value)}: ${JSON.stringify(log.lines)}`);
      }
      // A value that is not a boolean is a configuration error naming it.
      log.lines.length = 0;
      const res = await send(worker, envWith({ REQUEST_LOG: 'sometimes' }), '/catalog/');
      assert.equal(res.status, 500);
      assert.ok(log.lines.some((l) => /REQUEST_LOG/.test(l.text)), JSON.stringify(log.lines));
    });
  });
}

// The deployment README.md describes ("Deploying in front of Django"):
// wrangler.toml's [env.production] bundles, with its route, ORIGIN and
// SESSION_COOKIE_SECURE, its own bindings, and no secret.
test('wrangler deploy --env production --dry-run: the README\'s deployment in front of Django bundles', () => {
  const out = mkdtempSync(join(tmpdir(), 'll-dist-production-'));
  try {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--env', 'production', '--outdir', out],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' } });
    const text = r.stdout + r.stderr;
    assert.equal(r.status, 0, text);
    assert.match(text, /env\.SESSIONS \([^)]*\)\s+KV Namespace/);
    assert.match(text, /env\.DB \(locallibrary\)\s+D1 Database/);
    assert.match(text, /env\.SESSION_ENGINE \("django\.contrib\.sessions\.backends\.sign/);
    assert.match(text, /env\.SESSION_COOKIE_SECURE \("true"\)/);
    assert.match(text, /env\.ORIGIN \("https:\/\/library\.example\.com"\)/);
    assert.doesNotMatch(text, /SECRET_KEY/);
    const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
    assert.match(toml, /\[env\.production\]\nroutes = \[\{ pattern = "library\.example\.com\/\*", zone_name = "example\.com" \}\]/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// The same pass-through in workerd (wrangler dev), where the shim's fetch()
// is the runtime's: the forwarded headers as Miniflare reports the client
// (CF-Connecting-IP), a POST body, and two Set-Cookie headers kept apart.
test('through workerd: X-Forwarded-*, a POST body and two Set-Cookie headers', async () => {
  const dev = await startWranglerDev({ vars: { ORIGIN: origin.base, SECRET_KEY: 'workerd-origin-test-key' } });
  try {
    seen.length = 0;
    const res = await fetch(`${dev.base}/accounts/login/?next=/catalog/`, {
      method: 'POST', body: 'username=reader&password=x', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'csrftoken=t', 'x-forwarded-for': '6.6.6.6' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-served-by'), 'origin');
    assert.deepEqual(res.headers.getSetCookie(), ['sessionid=from-origin; Path=/; HttpOnly', 'csrftoken=abc; Path=/; SameSite=Lax']);
    const got = seen[0];
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/accounts/login/?next=/catalog/');
    assert.equal(got.body.toString(), 'username=reader&password=x');
    assert.equal(got.headers.cookie, 'csrftoken=t');
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
    assert.equal(got.headers['x-forwarded-host'], new URL(dev.base).host);
    const home = await fetch(`${dev.base}/catalog/`);
    assert.equal(home.headers.get('x-served-by'), 'edge');
    assert.match(await home.text(), /href="\/catalog\/bookinstances\/">All book copies/);
  } finally {
    dev.stop();
  }
});
