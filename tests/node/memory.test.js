// Leak gate: thousands of requests through the production shim
// (createWorker(module).fetch), for every session engine, must not grow the
// module's linear memory once the workload has been seen once. WASM memory never shrinks, so
// a leak of anything request-sized (a session value, a cookie, a response
// body) shows as growth: one leaked 40 KB value per request is 40 MB over
// the measured phase.
//
// The workload mixes fresh visitors, returning visitors, big values (up to
// 40 KB in KV/D1, 2.5 KB in a cookie), tampered and garbage cookies, flush
// and cycle_key, on the home page and the test views (/__test__/session, in
// the test module: the same core with test hooks).
//
// The bindings are in-memory stand-ins with KV's and D1's interface (below),
// not Miniflare: a Miniflare D1 round trip costs 15-50 ms on the CI machine,
// which would put a few thousand requests far over this test's 20 s budget.
// What they answer does not matter for a leak in the core; that the shim and
// core behave with real KV and D1 is tests/node/stores.test.js's job. They
// accept only the SQL the core sends and throw on anything else, so a change
// there fails here loudly instead of quietly testing less.
//
// Run from the repository root (needs scripts/build-wasm.sh wasi and the
// wasm-wasi-test preset built):
//   node --test --test-concurrency=1 tests/node/memory.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_ENV, MODULES, TEST_MODULE, cookieValue, loadModule, recordingConsole, visit } from './helpers.js';
import { createWorker } from '../../js-shim/worker.js';

const ENGINES = {
  signed_cookies: 'django.contrib.sessions.backends.signed_cookies',
  cache: 'django.contrib.sessions.backends.cache',
  db: 'django.contrib.sessions.backends.db',
  cached_db: 'django.contrib.sessions.backends.cached_db',
  durable_object: 'locallibrary.sessions.backends.durable_object',
};
const WARMUP_ROUNDS = 3;
const MEASURED_ROUNDS = 30;

function memoryKv() {
  const map = new Map();
  return {
    async get(key) { return map.has(key) ? map.get(key) : null; },
    async put(key, value) { map.set(key, String(value)); },
    async delete(key) { map.delete(key); },
  };
}

function memoryD1() {
  const sessions = new Map(); // session_key -> { data, expire }
  const COUNTS = {
    'SELECT COUNT(*) AS n FROM catalog_book': 12,
    'SELECT COUNT(*) AS n FROM catalog_bookinstance': 28,
    "SELECT COUNT(*) AS n FROM catalog_bookinstance WHERE status = 'a'": 7,
    'SELECT COUNT(*) AS n FROM catalog_author': 8,
  };
  const run = (sql, p) => {
    const changed = (changes) => ({ results: [], success: true, meta: { changes } });
    if (sql in COUNTS) return { results: [{ n: COUNTS[sql] }], success: true, meta: {} };
    switch (sql) {
      case 'SELECT session_data FROM django_session WHERE session_key = ?1 AND expire_date > ?2': {
        const row = sessions.get(p[0]);
        return { results: row && row.expire > p[1] ? [{ session_data: row.data }] : [], success: true, meta: {} };
      }
      case 'INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?1, ?2, ?3)':
        if (sessions.has(p[0])) throw new Error('D1_ERROR: UNIQUE constraint failed: django_session.session_key');
        sessions.set(p[0], { data: p[1], expire: p[2] });
        return changed(1);
      case 'UPDATE django_session SET session_data = ?2, expire_date = ?3 WHERE session_key = ?1':
        if (!sessions.has(p[0])) return changed(0);
        sessions.set(p[0], { data: p[1], expire: p[2] });
        return changed(1);
      case 'UPDATE django_session SET session_data = ?2, expire_date = ?3 WHERE session_key = ?1 AND session_data = ?4':
        if (sessions.get(p[0])?.data !== p[3]) return changed(0);
        sessions.set(p[0], { data: p[1], expire: p[2] });
        return changed(1);
      case 'DELETE FROM django_session WHERE session_key = ?1':
        return changed(sessions.delete(p[0]) ? 1 : 0);
      default:
        throw new Error(`memoryD1: unexpected SQL ${sql}`);
    }
  };
  return {
    prepare(sql) {
      return { sql, params: [], bind(...params) { return { ...this, params }; } };
    },
    async batch(statements) { return statements.map((st) => run(st.sql, st.params)); },
  };
}

// A Durable Object namespace with SessionObject's RPC interface
// (worker/session_object.js), in memory.
function memoryObjects() {
  const records = new Map(); // name -> { value, expireAt, version }
  const live = (name) => {
    const r = records.get(name);
    return r && r.expireAt * 1000 > Date.now() ? r : null;
  };
  return {
    idFromName: (name) => name,
    get: (name) => ({
      async load() {
        const r = live(name);
        return r ? { value: r.value, version: r.version } : null;
      },
      async save(value, expireAt, expect, mustExist) {
        const r = live(name);
        if (!r && (mustExist || expect > 0)) return 'missing';
        if (r && expect === 0 && !mustExist) return 'exists';
        if (r && expect > 0 && r.version !== expect) return 'conflict';
        records.set(name, { value, expireAt, version: (records.get(name)?.version ?? 0) + 1 });
        return 'ok';
      },
      async remove() { records.delete(name); },
    }),
  };
}

const bindings = { env: { SESSIONS: memoryKv(), DB: memoryD1(), SESSION_OBJECTS: memoryObjects() } };

const script = (ops) => `/__test__/session?${ops.map((op) => `op=${encodeURIComponent(op)}`).join('&')}`;

function tamper(value) {
  // Flip one character of the signature (signed cookies) or of the key.
  const i = value.length - 3;
  return value.slice(0, i) + (value[i] === 'a' ? 'b' : 'a') + value.slice(i + 1);
}

// One round: ~70 requests of every kind. Returns the number of requests made.
async function round(worker, env, engine, n) {
  const bigStored = engine === 'signed_cookies' ? 2500 : 40000;
  let requests = 0;
  const go = async (opts, expect = [200]) => {
    const r = await visit(worker, env, opts);
    requests++;
    assert.ok(expect.includes(r.status), `${engine} ${opts.path ?? '/catalog/'}: ${r.status} ${r.body.slice(0, 200)}`);
    return r;
  };
  for (let v = 0; v < 6; v++) {
    // A fresh visitor who comes back a few times.
    let r = await go({});
    assert.equal(r.visits, 1);
    let cookie = cookieValue(r.setCookie);
    for (let k = 2; k <= 4; k++) {
      r = await go({ cookie: `sessionid=${cookie}` });
      assert.equal(r.visits, k);
      cookie = cookieValue(r.setCookie) ?? cookie;
    }
    // A big value, read back, then dropped.
    r = await go({ path: script([`big:${bigStored - (n % 7) * 100}`, `set:n=${n}`]), cookie: `sessionid=${cookie}` });
    cookie = cookieValue(r.setCookie) ?? cookie;
    r = await go({ path: script(['get:n', 'pop:big']), cookie: `sessionid=${cookie}` });
    assert.equal(JSON.parse(r.body).results[0], n);
    cookie = cookieValue(r.setCookie) ?? cookie;
    // Tampered and garbage cookies: a fresh session, never a 5xx.
    r = await go({ cookie: `sessionid=${tamper(cookie)}` });
    assert.equal(r.visits, 1);
    await go({ cookie: `sessionid=${'x'.repeat(40 + v)}; other=${'y'.repeat(100)}` });
    await go({ cookie: 'sessionid=.eJzLSM3JyQcABiwCFQ:1r31eq:AAAA' });
    // cycle_key, then logout.
    r = await go({ path: script(['cycle', 'set:after=1']), cookie: `sessionid=${cookie}` });
    cookie = cookieValue(r.setCookie) ?? cookie;
    await go({ path: script(['flush']), cookie: `sessionid=${cookie}` });
  }
  return requests;
}

for (const [engine, engineName] of Object.entries(ENGINES)) {
  test(`${engine}: linear memory does not grow after warm-up`, async () => {
    const worker = createWorker(loadModule(TEST_MODULE), { log: recordingConsole() });
    const env = { ...BASE_ENV, ...bindings.env, SESSION_ENGINE: engineName };
    let n = 0;
    for (let i = 0; i < WARMUP_ROUNDS; i++) n += await round(worker, env, engine, n);
    const instance = worker.core.instance;
    const warm = instance.exports.memory.buffer.byteLength;
    let measured = 0;
    for (let i = 0; i < MEASURED_ROUNDS; i++) measured += await round(worker, env, engine, n + measured);
    assert.equal(worker.core.instance, instance, 'no trap re-created the instance during the run');
    const end = instance.exports.memory.buffer.byteLength;
    console.log(`# ${engine}: ${n} warm-up + ${measured} measured requests, memory ${warm} -> ${end} bytes`);
    assert.equal(end, warm, `linear memory grew by ${end - warm} bytes over ${measured} requests`);
  });
}

// The release module on the page alone (no test views there).
test('release (wasi) module, signed_cookies: the counter and bad cookies do not grow memory', async () => {
  const worker = createWorker(loadModule(MODULES.wasi), { log: recordingConsole() });
  const env = { ...BASE_ENV, ...bindings.env };
  const visitMany = async (count) => {
    let cookie;
    for (let i = 0; i < count; i++) {
      const fresh = i % 25 === 0;
      const bad = i % 10 === 5 && cookie;
      const r = await visit(worker, env, { cookie: fresh ? undefined : bad ? `sessionid=${tamper(cookie)}` : cookie && `sessionid=${cookie}` });
      assert.equal(r.status, 200);
      if (!bad) cookie = cookieValue(r.setCookie) ?? cookie;
    }
  };
  await visitMany(200);
  const warm = worker.core.instance.exports.memory.buffer.byteLength;
  await visitMany(2000);
  assert.equal(worker.core.instance.exports.memory.buffer.byteLength, warm);
});
