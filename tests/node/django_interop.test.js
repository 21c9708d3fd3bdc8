// Interoperability with real Django (Debian's python3-django 3.2.25, run with
// /usr/bin/python3): cookies Django's signed_cookies backend mints must load in
// our worker, and cookies our worker issues must load in Django, with the same
// secret. Also compares our Set-Cookie / Vary headers with SessionMiddleware's
// byte for byte, and replays tests/django/golden_vectors.json.
//
// Run from the repository root: node --test tests/node/django_interop.test.js
// Needs both WASM builds (scripts/build-wasm.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createWorker, envJson } from '../../js-shim/worker.js';
import { startBindings } from './bindings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = '/usr/bin/python3'; // Debian's interpreter: the one with Django
const TOOL = `${ROOT}tests/django/django_session_tool.py`;
const VECTORS = JSON.parse(readFileSync(`${ROOT}tests/django/golden_vectors.json`, 'utf8'));

const MODULES = {
  wasi: 'build/wasm-wasi/src/core.wasm',
  emscripten: 'build/wasm-emscripten/src/core.wasm',
};
const MODULE_NAMES = Object.keys(MODULES);
const SECRET = 'interop-secret-\u00e9-key'; // non-ASCII on purpose: both sides hash its UTF-8 bytes
const ENGINE = 'django.contrib.sessions.backends.signed_cookies';
const AGE = 1209600;

// ---------------------------------------------------------------- Django side

// One interpreter start for a list of operations (see the tool's `batch`).
function django(ops) {
  const r = spawnSync(PYTHON, [TOOL, 'batch'], { input: JSON.stringify(ops), encoding: 'utf8', cwd: ROOT });
  if (r.error) throw new Error(`cannot run ${PYTHON} ${TOOL}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${TOOL} batch exited ${r.status}:\n${r.stderr}`);
  const results = JSON.parse(r.stdout);
  results.forEach((res, i) => {
    if (res && res.error) throw new Error(`Django op ${JSON.stringify(ops[i])} failed: ${res.error}`);
  });
  return results;
}

// ---------------------------------------------------------------- our side

const compiled = new Map();
function wasmModule(name) {
  if (!compiled.has(name)) {
    const path = `${ROOT}${MODULES[name]}`;
    if (!existsSync(path)) {
      throw new Error(`${MODULES[name]} is missing: build both WASM modules first with scripts/build-wasm.sh`);
    }
    compiled.set(name, new WebAssembly.Module(readFileSync(path)));
  }
  return compiled.get(name);
}

const workers = new Map();
function workerFor(name, env) {
  const key = `${name} ${envJson(env)}`;
  if (!workers.has(key)) workers.set(key, createWorker(wasmModule(name)));
  return workers.get(key);
}

// Django settings (Python values) -> Worker env strings.
// Real KV/D1 bindings (Miniflare): the page's counts come from D1.
let bindings;
before(async () => { bindings = await startBindings(); });
after(() => bindings?.dispose());

function envWith(extra = {}) {
  const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINE, ...bindings.env };
  for (const [k, v] of Object.entries(extra)) env[k] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  return env;
}

// Runs the worker's counter view (GET /catalog/). The worker's console output
// (e.g. "session cookie rejected") is collected for failure messages instead of printed.
async function visit(module, env, cookie, { cookieName = 'sessionid' } = {}) {
  const headers = cookie === undefined || cookie === null ? {} : { cookie: `${cookieName}=${cookie}` };
  const saved = {};
  const logs = [];
  for (const level of ['log', 'info', 'warn', 'error']) {
    saved[level] = console[level];
    console[level] = (...args) => logs.push(`${level}: ${args.join(' ')}`);
  }
  const startedAt = Math.floor(Date.now() / 1000);
  let res;
  let body;
  try {
    res = await workerFor(module, env).fetch(new Request('http://localhost/catalog/', { headers }), env);
    body = await res.text();
  } finally {
    Object.assign(console, saved);
  }
  const m = body.match(/You have visited this page (\d+) times?\./);
  const setCookie = res.headers.getSetCookie();
  let value = null;
  for (const h of setCookie) {
    if (h.startsWith(`${cookieName}=`)) value = h.slice(cookieName.length + 1).split(';')[0];
  }
  return {
    module, status: res.status, count: m ? Number(m[1]) : null, setCookie, vary: res.headers.get('vary'),
    cookie: value, startedAt, logs,
  };
}

// The worker takes its clock from Date.now(); pin it for fixed-time vectors.
async function atTime(seconds, fn) {
  const realNow = Date.now;
  Date.now = () => seconds * 1000;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function b62decode(s) {
  let n = 0;
  for (const c of s) n = n * 62 + B62.indexOf(c);
  return n;
}
const signedAt = (cookie) => b62decode(cookie.split(':')[1]);

// 'name=value; attr; attr' -> { name, value, attrs }
function splitCookie(header) {
  const i = header.indexOf(';');
  const pair = i < 0 ? header : header.slice(0, i);
  const eq = pair.indexOf('=');
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs: i < 0 ? '' : header.slice(i) };
}

// Our Set-Cookie headers against Django's. Full byte equality, except that a compressed
// (".eJ...") value only has to be compressed too: our WASM builds deflate with Node's bundled
// zlib, whose bytes differ from the system zlib CPython uses (README: "Limits");
// the caller checks such values by reading them back with Django.
function assertSameSetCookie(ours, theirs, label) {
  assert.equal(ours.length, theirs.length, `${label}: Set-Cookie count ${JSON.stringify(ours)} vs Django ${JSON.stringify(theirs)}`);
  ours.forEach((h, i) => {
    const a = splitCookie(h);
    const b = splitCookie(theirs[i]);
    if (b.value.startsWith('.') && a.value.startsWith('.') && a.value !== b.value) {
      assert.equal(`${a.name}=.<compressed>:${a.value.split(':')[1]}:<sig>${a.attrs}`,
        `${b.name}=.<compressed>:${b.value.split(':')[1]}:<sig>${b.attrs}`, `${label}: Set-Cookie differs from Django`);
    } else {
      assert.equal(h, theirs[i], `${label}: Set-Cookie differs from Django`);
    }
  });
}

const where = (r) => `[${r.module}] logs: ${JSON.stringify(r.logs)} set-cookie: ${JSON.stringify(r.setCookie)}`;

function assertIssued(r, count) {
  assert.equal(r.status, 200, where(r));
  assert.equal(r.count, count, `[${r.module}] page count ${where(r)}`);
  assert.ok(r.cookie, `[${r.module}] no session cookie issued ${where(r)}`);
}

// ---------------------------------------------------------------- fixtures

const LONG = Array.from({ length: 80 }, (_, i) => `Chapter ${i}: the quick brown fox jumps over the lazy dog.`).join(' ');
// Written as Python's json text (not JSON.stringify) so that 1.0 stays a float, -0.0 keeps
// its sign and 64-bit integers stay exact on the Django side.
const RICH_TEXT = String.raw`{"num_visits":17,` +
  String.raw`"greeting":"Gr\u00fc\u00dfe, \u65e5\u672c\u8a9e, \ud83d\ude00\ud83c\uddfa\ud83c\uddf8 \u2028 \"quoted\" \\ / \t\n\u0000",` +
  String.raw`"\u00e9\ud83d\ude00":"non-ASCII key",` +
  String.raw`"nested":{"list":[1,2.5,1.0,1e+16,1e-05,0.1,123456789.123,-0.0,true,false,null,""],"obj":{"z":1,"a":[{},[]]}},` +
  String.raw`"zeta_before_alpha":{"zeta":1,"alpha":2},"big_int":9223372036854775807,"min_int":-9223372036854775808,` +
  `"long":"${LONG}"}`;
// Django's JSONSerializer writes bare NaN/Infinity tokens (json.dumps allow_nan=True).
const NONFINITE_TEXT = '{"num_visits":2,"inf":Infinity,"ninf":-Infinity,"nan":NaN,"list":[NaN,1.5]}';

let minted; // cookies Django minted at the real current time, before the tests ran

before(() => {
  JSON.parse(RICH_TEXT); // well-formed
  const now = Math.floor(Date.now() / 1000);
  const ops = {
    visits41: { secret: SECRET, data: { num_visits: 41 } },
    rich: { secret: SECRET, data: RICH_TEXT },
    nonfinite: { secret: SECRET, data: NONFINITE_TEXT },
    oldKey: { secret: 'old-key', data: { num_visits: 5 } },
    otherSecret: { secret: 'some-other-secret', data: { num_visits: 41 } },
    expired: { secret: SECRET, data: { num_visits: 41 }, time: now - AGE - 1 },
    empty: { secret: SECRET, data: {} },
  };
  const names = Object.keys(ops);
  const results = django(names.map((n) => ({ cmd: 'mint', ...ops[n] })));
  minted = Object.fromEntries(names.map((n, i) => [n, results[i]]));
});

test('both WASM modules are built (scripts/build-wasm.sh)', () => {
  for (const name of MODULE_NAMES) assert.ok(wasmModule(name), name);
});

test('a Django-minted cookie continues the count, and Django reads our cookie back', async () => {
  const env = envWith();
  const ours = [];
  for (const m of MODULE_NAMES) ours.push(await visit(m, env, minted.visits41.cookie));
  for (const r of ours) assertIssued(r, 42);
  const read = django(ours.map((r) => ({ cmd: 'read', secret: SECRET, cookie: r.cookie })));
  ours.forEach((r, i) => {
    assert.equal(read[i].valid, true, `[${r.module}] Django rejected ${r.cookie}`);
    assert.deepEqual(read[i].data, { num_visits: 42 }, `[${r.module}]`);
  });
});

test('our first-visit cookie reads as 1 in Django, and 3 after three visits', async () => {
  const env = envWith();
  const chains = [];
  for (const m of MODULE_NAMES) {
    const chain = [await visit(m, env, null)];
    for (let i = 0; i < 2; i++) chain.push(await visit(m, env, chain[chain.length - 1].cookie));
    chain.forEach((r, i) => assertIssued(r, i + 1));
    chains.push(...chain);
  }
  const read = django(chains.map((r) => ({ cmd: 'read', secret: SECRET, cookie: r.cookie })));
  chains.forEach((r, i) => {
    assert.equal(read[i].valid, true, `[${r.module}] Django rejected ${r.cookie}`);
    assert.deepEqual(read[i].data, { num_visits: (i % 3) + 1 }, `[${r.module}] visit ${(i % 3) + 1}`);
  });
});

test('unicode, nested, float and compressed data round-trip through our worker exactly', async () => {
  assert.ok(minted.rich.cookie.startsWith('.'), 'the rich fixture should be compressed by Django');
  const env = envWith();
  const ours = [];
  for (const m of MODULE_NAMES) {
    ours.push({ ...(await visit(m, env, minted.rich.cookie)), expect: minted.rich, shown: 18 });
  }
  for (const r of ours) assertIssued(r, r.shown);
  const read = django(ours.map((r) => ({ cmd: 'read', secret: SECRET, cookie: r.cookie })));
  ours.forEach((r, i) => {
    assert.equal(read[i].valid, true, `[${r.module}] Django rejected ${r.cookie}`);
    // Django's serialization of what it loaded equals its serialization of the original
    // data with num_visits incremented: same keys, key order, floats, ints and escapes.
    assert.equal(read[i].json, r.expect.after_json, `[${r.module}] data changed in the round trip`);
  });
  for (const r of ours) {
    assert.ok(r.cookie.startsWith('.'), `[${r.module}] long session not compressed: ${r.cookie.slice(0, 40)}`);
  }
});

test('fallback keys: an old-key cookie is accepted and re-issued under the new key', async () => {
  const rotated = envWith({ SECRET_KEY: 'new-key', SECRET_KEY_FALLBACKS: ['old-key'] });
  const noFallback = envWith({ SECRET_KEY: 'new-key' });
  const ours = [];
  const fresh = [];
  for (const m of MODULE_NAMES) {
    ours.push(await visit(m, rotated, minted.oldKey.cookie));
    fresh.push(await visit(m, noFallback, minted.oldKey.cookie));
  }
  for (const r of ours) assertIssued(r, 6);
  for (const r of fresh) assertIssued(r, 1);
  const [plain, withFallback, ...read] = django([
    { cmd: 'read', secret: 'new-key', cookie: minted.oldKey.cookie }, // sanity: new-key alone rejects it
    { cmd: 'read', secret: 'new-key', cookie: minted.oldKey.cookie, fallbacks: ['old-key'] },
    ...ours.map((r) => ({ cmd: 'read', secret: 'new-key', cookie: r.cookie })),
  ]);
  assert.equal(plain.valid, false);
  assert.deepEqual(withFallback.data, { num_visits: 5 });
  ours.forEach((r, i) => {
    assert.equal(read[i].valid, true, `[${r.module}] Django with only new-key rejected ${r.cookie}`);
    assert.deepEqual(read[i].data, { num_visits: 6 }, `[${r.module}]`);
  });
});

function badCookies() {
  const good = minted.visits41.cookie;
  const [payload, ts, sig] = good.split(':');
  const flip = (c) => (c === 'A' ? 'B' : 'A');
  // The 43rd base64 character carries 4 signature bits and 2 unused ones: comparing
  // decoded bytes would wrongly accept this one; Django compares the text.
  const lowBits = B64URL[B64URL.indexOf(sig[42]) ^ 1];
  const forged = Buffer.from('{"num_visits":99}').toString('base64url');
  return {
    'different secret': minted.otherSecret.cookie,
    expired: minted.expired.cookie,
    'signature first char': `${payload}:${ts}:${flip(sig[0])}${sig.slice(1)}`,
    'signature unused low bits': `${payload}:${ts}:${sig.slice(0, 42)}${lowBits}`,
    'signature truncated': `${payload}:${ts}:${sig.slice(0, 42)}`,
    'signature padded': `${payload}:${ts}:${sig}=`,
    'payload replaced': `${forged}:${ts}:${sig}`,
    'timestamp changed': `${payload}:${ts.slice(0, -1)}${flip(ts.slice(-1))}:${sig}`,
    'compression flag added': `.${good}`,
    'compression flag removed': minted.rich.cookie.slice(1),
    'payload case changed': `${payload.toUpperCase()}:${ts}:${sig}`,
    'extra colon field': `x:${good}`,
    'no colons': `${payload}${ts}${sig}`,
    garbage: 'not-a-valid-session-cookie',
    'short (< 8 chars)': 'abc',
  };
}

test('a cookie with another secret, tampered or expired starts a fresh session', async () => {
  const env = envWith();
  const cases = Object.entries(badCookies());
  const ours = [];
  for (const m of MODULE_NAMES) {
    for (const [label, cookie] of cases) ours.push({ ...(await visit(m, env, cookie)), label, sent: cookie });
  }
  const results = django([
    ...cases.map(([, cookie]) => ({ cmd: 'read', secret: SECRET, cookie })),
    ...ours.map((r) => ({ cmd: 'read', secret: SECRET, cookie: r.cookie || 'no-cookie-issued' })),
  ]);
  cases.forEach(([label], i) => {
    assert.equal(results[i].valid, false, `Django accepted the '${label}' cookie: the fixture is wrong`);
  });
  const read = results.slice(cases.length);
  ours.forEach((r, i) => {
    const label = `[${r.module}] '${r.label}' (${r.sent})`;
    assert.equal(r.count, 1, `${label} ${where(r)}`);
    assert.equal(read[i].valid, true, `${label}: Django rejected our new cookie ${r.cookie}`);
    assert.deepEqual(read[i].data, { num_visits: 1 }, label);
  });
});

test("a quoted cookie value is unquoted as Django's parse_cookie does", async () => {
  const env = envWith();
  const sent = `"${minted.visits41.cookie}"`;
  const ours = [];
  for (const m of MODULE_NAMES) ours.push(await visit(m, env, sent));
  const [dj] = django([{ cmd: 'middleware', secret: SECRET, cookie: sent, view: 'counter' }]);
  assert.equal(dj.session_json, '{"num_visits":42}', 'Django loads the quoted cookie');
  for (const r of ours) assertIssued(r, 42);
});

// Settings overrides as Django settings (Python values); the worker gets them as env strings.
const HEADER_CASES = [
  { label: 'first visit, default settings', cookie: null },
  { label: 'Django cookie, default settings', cookie: () => minted.visits41.cookie },
  { label: 'compressed unicode cookie', cookie: () => minted.rich.cookie },
  { label: 'empty session cookie', cookie: () => minted.empty.cookie },
  { label: 'invalid cookie', cookie: 'not-a-valid-session-cookie' },
  { label: 'short cookie', cookie: 'abc' },
  { label: 'expired cookie', cookie: () => minted.expired.cookie },
  {
    label: 'secure, strict, domain, path, name, age',
    cookie: () => minted.visits41.cookie,
    settings: {
      SESSION_COOKIE_SECURE: true, SESSION_COOKIE_SAMESITE: 'Strict', SESSION_COOKIE_DOMAIN: '.example.com',
      SESSION_COOKIE_PATH: '/catalog/', SESSION_COOKIE_NAME: 'sid', SESSION_COOKIE_AGE: 3600,
    },
  },
  { label: 'SameSite=None', cookie: null, settings: { SESSION_COOKIE_SAMESITE: 'None', SESSION_COOKIE_SECURE: true } },
  { label: 'no SameSite, no HttpOnly', cookie: null, settings: { SESSION_COOKIE_SAMESITE: false, SESSION_COOKIE_HTTPONLY: false } },
  { label: 'expire at browser close', cookie: () => minted.visits41.cookie, settings: { SESSION_EXPIRE_AT_BROWSER_CLOSE: true } },
  { label: 'SESSION_COOKIE_AGE 0', cookie: null, settings: { SESSION_COOKIE_AGE: 0 } },
  { label: 'save every request', cookie: () => minted.visits41.cookie, settings: { SESSION_SAVE_EVERY_REQUEST: true } },
  { label: 'rotated key', cookie: () => minted.oldKey.cookie, secret: 'new-key', settings: { SECRET_KEY_FALLBACKS: ['old-key'] } },
];

test("Set-Cookie and Vary equal Django's SessionMiddleware byte for byte (counter view)", async () => {
  const ours = [];
  for (const m of MODULE_NAMES) {
    for (const c of HEADER_CASES) {
      const cookie = typeof c.cookie === 'function' ? c.cookie() : c.cookie;
      const env = envWith({ SECRET_KEY: c.secret || SECRET, ...(c.settings || {}) });
      const r = await visit(m, env, cookie, { cookieName: c.settings?.SESSION_COOKIE_NAME || 'sessionid' });
      ours.push({ ...r, c, sent: cookie });
    }
  }
  // Pin Django's clock to the second our cookie was signed, so the value and expires match too.
  const results = django([
    ...ours.map((r) => ({
      cmd: 'middleware',
      secret: r.c.secret || SECRET,
      cookie: r.sent,
      view: 'counter',
      time: r.cookie && r.cookie.split(':').length === 3 ? signedAt(r.cookie) : r.startedAt,
      settings_overrides: r.c.settings || null,
    })),
    ...ours.map((r) => ({ cmd: 'read', secret: r.c.secret || SECRET, cookie: r.cookie || 'no-cookie-issued' })),
  ]);
  const read = results.splice(ours.length);
  ours.forEach((r, i) => {
    const label = `[${r.module}] ${r.c.label}`;
    assert.equal(r.status, 200, `${label} ${where(r)}`);
    assertSameSetCookie(r.setCookie, results[i].set_cookie, label);
    assert.equal(r.vary, results[i].vary, `${label}: Vary differs from Django`);
    assert.equal(read[i].json, results[i].session_json, `${label}: Django reads our cookie as different data`);
  });
});

test('golden vectors: every vector loads in our worker with the data Django loaded', async () => {
  const byName = Object.fromEntries(VECTORS.map((v) => [v.name, v]));
  assert.equal(byName.expired.valid, false);
  assert.equal(byName.max_age_boundary.valid, true);
  assert.ok(byName.compressed_long.compressed && !byName.uncompressed.compressed);
  assert.ok(byName.unicode.json.includes('\\ud83d\\ude00'), 'the emoji must be a \\ud83d\\ude00 escape');

  const ours = [];
  for (const m of MODULE_NAMES) {
    for (const v of VECTORS) {
      const fallbacks = v.load_fallbacks.length ? { SECRET_KEY_FALLBACKS: v.load_fallbacks } : {};
      const env = envWith({ SECRET_KEY: v.load_secret, ...fallbacks });
      const r = await atTime(v.now, () => visit(m, env, v.cookie));
      ours.push({ ...r, v });
    }
  }
  const [regenerated, ...read] = django([
    { cmd: 'vectors' }, // the committed file is what this Django generates
    ...ours.map((r) => ({ cmd: 'read', secret: r.v.load_secret, cookie: r.cookie || 'no-cookie-issued', time: r.v.now })),
  ]);
  assert.deepEqual(regenerated, VECTORS, 'golden_vectors.json is stale: regenerate it (see the tool docstring)');
  ours.forEach((r, i) => {
    const v = r.v;
    const label = `[${r.module}] vector ${v.name}`;
    const expected = v.valid ? (v.data.num_visits ?? 0) + 1 : 1;
    assert.equal(r.count, expected, `${label} ${where(r)}`);
    assert.equal(read[i].valid, true, `${label}: Django rejected our cookie ${r.cookie}`);
    assert.equal(read[i].json, v.after_json, `${label}: Django read back different data`);
    // Same clock on both sides: the whole header, value and expires included, must match.
    assertSameSetCookie(r.setCookie, v.after_set_cookie, label);
    assert.equal(r.vary, v.after_vary, `${label}: Vary`);
  });
});

// ---------------------------------------------------------------- values JSON alone cannot carry
// Python's json writes NaN/Infinity tokens and unbounded integers; both survive our worker.

test('non-finite floats (NaN, Infinity) in a Django session survive our worker', async () => {
  const env = envWith();
  const ours = [];
  for (const m of MODULE_NAMES) ours.push(await visit(m, env, minted.nonfinite.cookie));
  for (const r of ours) assertIssued(r, 3);
  const read = django(ours.map((r) => ({ cmd: 'read', secret: SECRET, cookie: r.cookie })));
  ours.forEach((r, i) => assert.equal(read[i].json, minted.nonfinite.after_json, `[${r.module}]`));
});

test('integers beyond 64 bits keep their exact value through our worker', async () => {
  const [big] = django([{ cmd: 'mint', secret: SECRET, data: '{"num_visits":1,"u65":18446744073709551616,"n65":-9223372036854775809}' }]);
  const ours = [];
  for (const m of MODULE_NAMES) ours.push(await visit(m, envWith(), big.cookie));
  for (const r of ours) assertIssued(r, 2);
  const read = django(ours.map((r) => ({ cmd: 'read', secret: SECRET, cookie: r.cookie })));
  ours.forEach((r, i) => assert.equal(read[i].json, big.after_json, `[${r.module}]`));
});

