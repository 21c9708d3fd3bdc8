// SessionMiddleware's behaviour matrix (Django's
// django/contrib/sessions/middleware.py, SessionMiddleware.process_response), the
// exact deletion header, the Vary rules and SECRET_KEY rotation, end to end
// through real workerd: `wrangler dev` with tests/worker/wrangler.toml (the
// test module with the /__test__/session views, signed-cookie engine,
// SECRET_KEY "django-insecure-example-key"), reached over HTTP.
//
// The clock is real here, so cookie values are checked by re-deriving them
// with an independent signer (helpers.js djangoSign) at the timestamp the
// cookie carries; byte-exact values at a fixed time are in
// tests/native/middleware_test.cpp.
//
// Run from the repository root (needs the wasm-wasi-test preset built):
//   cmake --preset wasm-wasi-test && cmake --build --preset wasm-wasi-test
//   node --test tests/node/session_matrix.test.js
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { SECRET, TEST_MODULE, djangoSign, visitsOf } from './helpers.js';
import { startWranglerDev } from './wrangler.js';

const CONFIG = 'tests/worker/wrangler.toml';
const COOKIE_SALT = 'django.contrib.sessions.backends.signed_cookies';
const AGE = 1209600;
const DELETION = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax';
const COOKIE_RE = /^sessionid=(\.?[A-Za-z0-9_-]+):([0-9A-Za-z]+):([A-Za-z0-9_-]{43})(; .*)$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const b62decode = (s) => [...s].reduce((n, c) => n * 62 + B62.indexOf(c), 0);

// What a signed cookie carries, checked against an independent HMAC.
function parseCookie(setCookie) {
  const m = COOKIE_RE.exec(setCookie);
  assert.ok(m, `not a signed session cookie: ${setCookie}`);
  const [, payload, ts, , attrs] = m;
  const value = setCookie.slice('sessionid='.length, setCookie.indexOf(';'));
  return { value, payload, time: b62decode(ts), attrs };
}

function signedWith(value, secret) {
  const i = value.lastIndexOf(':');
  const key = createHash('sha256').update(`${COOKIE_SALT}signer${secret}`).digest();
  return createHmac('sha256', key).update(value.slice(0, i)).digest('base64url') === value.slice(i + 1);
}

// The JSON inside an uncompressed cookie.
function jsonOf(parsed) {
  assert.ok(!parsed.payload.startsWith('.'), 'expected an uncompressed payload');
  return Buffer.from(parsed.payload, 'base64url').toString('latin1');
}

// Django's attributes for a default cookie saved at `time` with `maxAge`.
function defaultAttrs(time, maxAge = AGE) {
  return `; expires=${new Date((time + maxAge) * 1000).toUTCString()}; HttpOnly; Max-Age=${maxAge}; Path=/; SameSite=Lax`;
}

// An incompressible string (zlib cannot shrink it below the browser limit).
function incompressible(n) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let x = 0x2545f491;
  let out = '';
  for (let i = 0; i < n; ++i) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out += alphabet[x % 64];
  }
  return out;
}

async function get(dev, path, cookie) {
  const res = await fetch(`${dev.base}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  const body = await res.text();
  return {
    status: res.status,
    body,
    setCookies: res.headers.getSetCookie(),
    vary: res.headers.get('vary'),
    json: (res.headers.get('content-type') || '').startsWith('application/json') ? JSON.parse(body) : null,
    visits: visitsOf(body),
  };
}

const script = (dev, ops, cookie) =>
  get(dev, `/__test__/session?${ops.map((op) => `op=${encodeURIComponent(op)}`).join('&')}`, cookie);

let dev;
before(async () => {
  assert.ok(existsSync(TEST_MODULE), `${TEST_MODULE} is missing: cmake --build --preset wasm-wasi-test`);
  dev = await startWranglerDev({ config: CONFIG });
});
after(() => dev?.stop());

// ------------------------------------------------------------ process_response matrix

describe('behaviour matrix (SessionMiddleware.process_response)', () => {
  test('first counter visit: a cookie for {"num_visits":1} with default attributes, and Vary: Cookie', async () => {
    const r = await get(dev, '/catalog/');
    assert.equal(r.status, 200);
    assert.equal(r.visits, 1);
    assert.equal(r.setCookies.length, 1);
    const c = parseCookie(r.setCookies[0]);
    assert.equal(c.value, djangoSign('{"num_visits":1}', { time: c.time }));
    assert.equal(c.attrs, defaultAttrs(c.time));
    assert.ok(Math.abs(c.time - Date.now() / 1000) < 60);
    assert.equal(r.vary, 'Cookie');
  });

  test('second visit with that cookie re-signs {"num_visits":2}', async () => {
    const first = parseCookie((await get(dev, '/catalog/')).setCookies[0]);
    const r = await get(dev, '/catalog/', `sessionid=${first.value}`);
    assert.equal(r.visits, 2);
    assert.equal(r.setCookies.length, 1);
    const c = parseCookie(r.setCookies[0]);
    assert.equal(c.value, djangoSign('{"num_visits":2}', { time: c.time }));
    assert.equal(c.attrs, defaultAttrs(c.time));
    assert.equal(r.vary, 'Cookie');
  });

  test('valid cookie, view never touches the session: no Set-Cookie, no Vary', async () => {
    const r = await script(dev, [], `sessionid=${djangoSign('{"a":1}')}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.setCookies, []);
    assert.equal(r.vary, null);
  });

  test('valid cookie, view only reads: Vary: Cookie, no Set-Cookie', async () => {
    const r = await script(dev, ['get:a'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.deepEqual(r.json.results, [1]);
    assert.deepEqual(r.setCookies, []);
    assert.equal(r.vary, 'Cookie');
  });

  test('tampered or garbage cookie (>= 8 chars), view reads: a new cookie for {}', async () => {
    const good = djangoSign('{"a":1}');
    for (const bad of [`${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`, 'garbage-cookie-value',
      djangoSign('{"a":1}', { secret: 'some-other-key' })]) {
      const r = await script(dev, ['get:a'], `sessionid=${bad}`);
      assert.deepEqual(r.json.results, ['<KeyError>'], bad);
      assert.equal(r.setCookies.length, 1, bad);
      const c = parseCookie(r.setCookies[0]);
      assert.equal(c.value, djangoSign('{}', { time: c.time }));
      assert.equal(c.attrs, defaultAttrs(c.time));
      assert.equal(r.vary, 'Cookie');
    }
  });

  test('cookie shorter than 8 chars, view reads: deleted', async () => {
    const r = await script(dev, ['get:a'], 'sessionid=abc');
    assert.deepEqual(r.setCookies, [DELETION]);
    assert.equal(r.vary, 'Cookie');
  });

  test('cookie shorter than 8 chars, view writes: a new valid cookie', async () => {
    const r = await script(dev, ['set:a=1'], 'sessionid=abc');
    assert.equal(r.setCookies.length, 1);
    const c = parseCookie(r.setCookies[0]);
    assert.equal(c.value, djangoSign('{"a":1}', { time: c.time }));
    assert.equal(r.vary, 'Cookie');
  });

  test('flush with a cookie present: the deletion header', async () => {
    const r = await script(dev, ['flush'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.deepEqual(r.setCookies, [DELETION]);
    assert.equal(r.vary, 'Cookie');
  });

  test('flush without a cookie: no Set-Cookie, Vary: Cookie', async () => {
    const r = await script(dev, ['flush']);
    assert.deepEqual(r.setCookies, []);
    assert.equal(r.vary, 'Cookie');
  });

  test('view writes and answers 503: nothing saved (Django 4.2+), Vary: Cookie', async () => {
    const r = await script(dev, ['set:a=2', 'status:503'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.equal(r.status, 503);
    assert.deepEqual(r.setCookies, []);
    assert.equal(r.vary, 'Cookie');
  });
});

// ------------------------------------------------------------ deletion and Vary

describe('deletion header and Vary rules', () => {
  test('cookie "abc" plus flush: exactly one Set-Cookie, byte for byte Django\'s delete_cookie', async () => {
    const r = await script(dev, ['flush'], 'sessionid=abc');
    assert.deepEqual(r.setCookies, ['sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax']);
    assert.equal(r.vary, 'Cookie');
  });

  test('a 5xx response still deletes the cookie after flush', async () => {
    const r = await script(dev, ['flush', 'status:500'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.equal(r.status, 500);
    assert.deepEqual(r.setCookies, [DELETION]);
  });

  test('a short cookie is deleted even when the view never touches the session', async () => {
    const r = await script(dev, [], 'sessionid=abc');
    assert.deepEqual(r.setCookies, [DELETION]);
    assert.equal(r.vary, 'Cookie');
  });

  test('a session emptied with del but holding a key is saved as {} and re-sent', async () => {
    const r = await script(dev, ['del:a'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.equal(r.setCookies.length, 1);
    const c = parseCookie(r.setCookies[0]);
    assert.equal(c.value, djangoSign('{}', { time: c.time }));
    assert.equal(r.vary, 'Cookie');
  });

  test('modified set by hand, session never read: Set-Cookie without Vary', async () => {
    const r = await script(dev, ['modified'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.equal(r.setCookies.length, 1);
    const c = parseCookie(r.setCookies[0]);
    assert.equal(jsonOf(c), '{"a":1}');
    assert.equal(r.vary, null);
  });

  test('no session involved (redirect, static asset, 404): no Vary, no Set-Cookie', async () => {
    for (const path of ['/', '/static/css/styles.css', '/no/such/page']) {
      const r = await get(dev, path, `sessionid=${djangoSign('{"a":1}')}`);
      assert.deepEqual(r.setCookies, [], path);
      assert.notEqual((r.vary || '').toLowerCase(), 'cookie', path);
    }
  });

  test('Vary is a single "Cookie" value, never repeated', async () => {
    const r = await script(dev, ['get:a', 'set:b=2', 'flush'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.equal(r.vary, 'Cookie');
  });
});

// ------------------------------------------------------------ expiry and size

describe('expiry and cookie size', () => {
  test('set_expiry(10): Max-Age=10 and expires ten seconds after the signing time', async () => {
    const r = await script(dev, ['expiry:10']);
    const c = parseCookie(r.setCookies[0]);
    assert.equal(jsonOf(c), '{"_session_expiry":10}');
    assert.equal(c.attrs, defaultAttrs(c.time, 10));
  });

  test('set_expiry(0): a browser-session cookie without Max-Age or expires', async () => {
    const r = await script(dev, ['expiry:0']);
    const c = parseCookie(r.setCookies[0]);
    assert.equal(c.attrs, '; HttpOnly; Path=/; SameSite=Lax');
  });

  test('server-side expiry: a cookie replayed after its set_expiry(3) deadline loads empty', async () => {
    const r = await script(dev, ['set:a=1', 'expiry:3']);
    const cookie = `sessionid=${parseCookie(r.setCookies[0]).value}`;
    const soon = await script(dev, ['get:a'], cookie);
    assert.deepEqual(soon.json.results, [1]);
    await sleep(4100);
    const late = await script(dev, ['get:a'], cookie);
    assert.deepEqual(late.json.results, ['<KeyError>']);
  });

  test('a session too large for a cookie is not sent; the page still answers 200', async () => {
    const r = await script(dev, [`set:big="${incompressible(5000)}"`]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.setCookies, []);
    assert.equal(r.json.cookie_action, 3); // middleware::CookieAction::too_large
    assert.equal(r.vary, 'Cookie');
  });

  test('big:100 fits and is sent', async () => {
    const r = await script(dev, ['big:100']);
    assert.equal(r.status, 200);
    assert.equal(r.setCookies.length, 1);
    const c = parseCookie(r.setCookies[0]);
    assert.ok(signedWith(c.value, SECRET));
    assert.ok(c.value.length < 4096);
    assert.equal(r.json.cookie_action, 1); // middleware::CookieAction::set
  });
});

// ------------------------------------------------------------ key rotation

describe('SECRET_KEY rotation with SECRET_KEY_FALLBACKS', () => {
  let rotated;
  before(async () => {
    rotated = await startWranglerDev({
      config: CONFIG,
      vars: { SECRET_KEY: 'new-key', SECRET_KEY_FALLBACKS: `["${SECRET}"]` },
    });
  });
  after(() => rotated?.stop());

  test('a cookie from the old server keeps working and is re-signed with the new key', async () => {
    // Two visits on the server that still signs with the old key.
    let r = await get(dev, '/catalog/');
    r = await get(dev, '/catalog/', `sessionid=${parseCookie(r.setCookies[0]).value}`);
    assert.equal(r.visits, 2);
    const old = parseCookie(r.setCookies[0]);
    assert.ok(signedWith(old.value, SECRET));

    // The rotated server accepts it through the fallback and counts on.
    const next = await get(rotated, '/catalog/', `sessionid=${old.value}`);
    assert.equal(next.status, 200);
    assert.equal(next.visits, 3);
    assert.equal(next.setCookies.length, 1);
    const c = parseCookie(next.setCookies[0]);
    assert.equal(c.value, djangoSign('{"num_visits":3}', { secret: 'new-key', time: c.time }));
    assert.ok(signedWith(c.value, 'new-key'));
    assert.ok(!signedWith(c.value, SECRET));
    assert.equal(c.attrs, defaultAttrs(c.time));

    // And the re-signed cookie keeps working there.
    const again = await get(rotated, '/catalog/', `sessionid=${c.value}`);
    assert.equal(again.visits, 4);
  });

  test('a fallback-signed cookie that is only read is not re-sent', async () => {
    const r = await script(rotated, ['get:a'], `sessionid=${djangoSign('{"a":1}')}`);
    assert.deepEqual(r.json.results, [1]);
    assert.deepEqual(r.setCookies, []);
    assert.equal(r.vary, 'Cookie');
  });

  test('the old server does not accept cookies signed with the new key', async () => {
    const r = await get(dev, '/catalog/', `sessionid=${djangoSign('{"num_visits":7}', { secret: 'new-key' })}`);
    assert.equal(r.visits, 1);
    const c = parseCookie(r.setCookies[0]);
    assert.ok(signedWith(c.value, SECRET));
  });
});
