// The server-side session engines (SESSION_ENGINE cache = Workers KV, db = D1,
// cached_db = KV in front of D1, durable_object = one Durable Object per
// session) through the production shim, against REAL KV, D1 and Durable
// Objects (Miniflare's workerd), with tests/node/fake_bindings.js between
// them to count writes and inject the faults production has: failed, hung and
// malformed reads and writes, KV's 1-write/s/key 429s, stale reads from
// another location, records deleted by a concurrent request.
//
// Run from the repository root (needs scripts/build-wasm.sh and the
// wasm-wasi-test preset built):
//   node --test --test-concurrency=1 tests/node/stores.test.js
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { createWorker } from '../../js-shim/worker.js';
import { MODULES, SECRET, TEST_MODULE, cookieValue, djangoSign, recordingConsole, visit } from './helpers.js';
import { around, failing, rateLimitedKv, recording, staleKv, startBindings } from './fake_bindings.js';

const ENGINES = {
  cache: 'django.contrib.sessions.backends.cache',
  db: 'django.contrib.sessions.backends.db',
  cached_db: 'django.contrib.sessions.backends.cached_db',
  durable_object: 'locallibrary.sessions.backends.durable_object',
};
const KV_PREFIX = { cache: 'django.contrib.sessions.cache', cached_db: 'django.contrib.sessions.cached_db' };
const usesKv = (engine) => engine in KV_PREFIX;
const usesD1 = (engine) => engine === 'db' || engine === 'cached_db';
const usesDo = (engine) => engine === 'durable_object';
const STORE_SALT = 'django.contrib.sessions.SessionStore';
const AGE = 1209600;
const KEY_RE = /^[a-z0-9]{32}$/;
const D1_DATETIME_RE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;
const DELETION = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax';

let B; // the real bindings: B.kv, B.db
before(async () => { B = await startBindings(); });
after(async () => { await B?.dispose(); });

// ------------------------------------------------------------------ helpers

const compiled = new Map();
function compiledModule(path) {
  if (!compiled.has(path)) compiled.set(path, new WebAssembly.Module(readFileSync(path)));
  return compiled.get(path);
}

// A worker for one engine with recording (and optionally faulty) bindings.
// wrapKv/wrapDb receive the recording wrapper around the real binding, so
// what they inject is what the shim sees and the recorder counts only what
// reached the store.
function setup(engine, { module = TEST_MODULE, wrapKv = (b) => b, wrapDb = (b) => b, wrapDo = (b) => b, env = {} } = {}) {
  const log = recordingConsole();
  const kv = recording(B.kv);
  const db = recording(B.db);
  const objects = recording(B.objects);
  const worker = createWorker(compiledModule(module), { log });
  const fullEnv = {
    SECRET_KEY: SECRET, SESSION_ENGINE: ENGINES[engine], SESSIONS: wrapKv(kv), DB: wrapDb(db), SESSION_OBJECTS: wrapDo(objects), ...env,
  };
  const ctx = {
    engine, log, kv, db, objects, worker, env: fullEnv,
    writes: () => [...kv.writes(), ...db.writes(), ...objects.writes()],
    // Session reads only: the home page also reads its catalog counts from D1.
    reads: () => [...kv.reads(), ...sessionSql(db.reads()), ...objects.reads()],
    d1SessionReads: () => sessionSql(db.reads()),
    clearLog() { kv.clear(); db.clear(); objects.clear(); log.lines.length = 0; },
    page: (cookie) => visit(worker, fullEnv, { cookie: cookie && `sessionid=${cookie}` }),
    async script(ops, cookie) {
      const query = ops.map((op) => `op=${encodeURIComponent(op)}`).join('&');
      const r = await visit(worker, fullEnv, { path: `/__test__/session?${query}`, cookie: cookie && `sessionid=${cookie}` });
      r.json = r.status === 200 ? JSON.parse(r.body) : null;
      r.key = cookieValue(r.setCookie);
      return r;
    },
    logged: (re, level) => log.lines.some((l) => re.test(l.text) && (!level || l.level === level)),
  };
  return ctx;
}

const sessionSql = (entries) => entries.filter((e) => /django_session/.test(e.sql));
const touchesSessions = (call) => call.statements.some((st) => /django_session/.test(st.sql));
const isSelect = (call) => call.statements.every((st) => /^\s*SELECT/i.test(st.sql));

// Moves the clock the shim reads (Date.now) by offsetMs for the duration of fn.
async function later(offsetMs, fn) {
  const real = Date.now;
  Date.now = () => real.call(Date) + offsetMs;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function d1Datetime(unixSeconds) {
  const iso = new Date(unixSeconds * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}000`;
}
const parseD1Datetime = (text) => Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`) / 1000;

function randomKey() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let key = '';
  for (const byte of createHash('sha256').update(String(Math.random()) + process.hrtime.bigint()).digest()) key += alphabet[byte % 36];
  return key.slice(0, 32);
}

// SessionBase.encode() output, decoded and checked independently of the core.
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function decodeRecord(encoded, { secret = SECRET } = {}) {
  const sigAt = encoded.lastIndexOf(':');
  const value = encoded.slice(0, sigAt);
  const key = createHash('sha256').update(`${STORE_SALT}signer${secret}`).digest();
  const expected = createHmac('sha256', key).update(value).digest('base64url');
  const [payload, ts] = value.split(':');
  let bytes = Buffer.from(payload.replace(/^\./, ''), 'base64url');
  if (payload.startsWith('.')) bytes = inflateSync(bytes);
  return {
    validSignature: expected === encoded.slice(sigAt + 1),
    data: JSON.parse(bytes.toString('latin1')),
    time: [...ts].reduce((n, c) => n * 62 + B62.indexOf(c), 0),
  };
}

const encodeRecord = (json, { time = nowSeconds(), secret = SECRET } = {}) => djangoSign(json, { salt: STORE_SALT, time, secret });

const sessionObject = (key) => B.objects.get(B.objects.idFromName(key));

// The stored state of one session key, read straight from the real bindings.
async function stored(engine, key) {
  const out = {};
  if (usesKv(engine)) out.kv = await B.kv.get(KV_PREFIX[engine] + key);
  if (usesD1(engine)) out.row = await B.db.prepare('SELECT * FROM django_session WHERE session_key = ?1').bind(key).first();
  if (usesDo(engine)) {
    const record = await sessionObject(key).load();
    out.object = record === null ? null : { value: record.value, version: record.version };
  }
  return out;
}
// The encode() values a key's stored state holds, in every store the engine uses.
const records = (s) => [s.kv, s.row?.session_data, s.object?.value].filter((x) => x !== undefined && x !== null);
const gone = (s) => !s.kv && !s.row && !s.object;

// Writes a session record directly, the way Django's backend would have.
async function plant(engine, key, json, { time = nowSeconds(), expireDate, kvOnly = false, d1Only = false, secret } = {}) {
  const encoded = encodeRecord(json, { time, secret });
  if (usesKv(engine) && !d1Only) await B.kv.put(KV_PREFIX[engine] + key, encoded, { expirationTtl: 3600 });
  if (usesD1(engine) && !kvOnly) {
    await B.db.prepare('INSERT OR REPLACE INTO django_session (session_key, session_data, expire_date) VALUES (?1, ?2, ?3)')
      .bind(key, encoded, d1Datetime(expireDate ?? time + AGE)).run();
  }
  if (usesDo(engine) && !kvOnly) {
    await sessionObject(key).remove();
    assert.equal(await sessionObject(key).save(encoded, expireDate ?? time + AGE, 0, false), 'ok');
  }
  return encoded;
}

// What a write touched: a KV key or the key parameter of a D1 statement.
const mentions = (w, key) => (w.key ?? '').endsWith(key) || (w.params ?? []).includes(key);

async function countTo(ctx, n, cookie) {
  const seen = [];
  for (let i = 0; i < n; i++) {
    const r = await ctx.page(cookie);
    assert.equal(r.status, 200, r.body.slice(0, 200));
    seen.push(r.visits);
    cookie = cookieValue(r.setCookie) ?? cookie;
  }
  return { seen, cookie };
}

// ------------------------------------------------------------------ every module: the counter

for (const engine of Object.keys(ENGINES)) {
  for (const [moduleName, module] of Object.entries({ ...MODULES, 'wasi-test': TEST_MODULE })) {
    describe(`${engine} engine, ${moduleName} module`, () => {
      test('counts 1, 2, 3 with one stable 32-char [a-z0-9] key; the store holds encode() output', async () => {
        const ctx = setup(engine, { module });
        let key;
        for (const expected of [1, 2, 3]) {
          const r = await ctx.page(key);
          assert.equal(r.status, 200);
          assert.equal(r.visits, expected);
          assert.match(r.setCookie, /^sessionid=[a-z0-9]{32}; expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly; Max-Age=1209600; Path=\/; SameSite=Lax$/);
          assert.equal(r.headers.get('vary'), 'Cookie');
          const value = cookieValue(r.setCookie);
          assert.match(value, KEY_RE);
          if (key) assert.equal(value, key, 'the key is stable across visits');
          key = value;
          const s = await stored(engine, key);
          for (const encoded of records(s)) {
            assert.ok(encoded, `a record for ${key}`);
            const rec = decodeRecord(encoded);
            assert.ok(rec.validSignature, 'signed with salt django.contrib.sessions.SessionStore and SECRET_KEY');
            assert.deepEqual(rec.data, { num_visits: expected });
            assert.ok(Math.abs(rec.time - nowSeconds()) <= 2, 'the timestamp is the save time');
          }
          if (usesD1(engine)) {
            assert.match(s.row.expire_date, D1_DATETIME_RE);
            assert.ok(Math.abs(parseD1Datetime(s.row.expire_date) - (Date.now() / 1000 + AGE)) < 3, s.row.expire_date);
          }
        }
        // One write per visit and store: no read-modify-write chatter.
        const kvPuts = ctx.kv.writes().filter((w) => w.op === 'put' && w.key.endsWith(key));
        const sql = ctx.db.writes().map((w) => w.sql.split(' ')[0]);
        if (usesKv(engine)) {
          assert.equal(kvPuts.length, 3);
          assert.ok(kvPuts.every((w) => w.options?.expirationTtl === AGE), JSON.stringify(kvPuts.map((w) => w.options)));
        }
        if (usesD1(engine)) assert.deepEqual(sql, ['INSERT', 'UPDATE', 'UPDATE']);
        if (usesDo(engine)) {
          // A create (no record may exist), then compare-and-set on the loaded version.
          const saves = ctx.objects.writes().map((w) => [w.op, w.args[2], w.args[3]]);
          assert.deepEqual(saves, [['save', 0, false], ['save', 1, true], ['save', 2, true]]);
          assert.equal((await stored(engine, key)).object.version, 3);
        }
      });

      test('a fixation attempt (a made-up 32-char key) gets a NEW key and nothing is written for the made-up one', async () => {
        const ctx = setup(engine, { module });
        const madeUp = randomKey();
        const r = await ctx.page(madeUp);
        assert.equal(r.status, 200);
        assert.equal(r.visits, 1);
        const key = cookieValue(r.setCookie);
        assert.match(key, KEY_RE);
        assert.notEqual(key, madeUp);
        assert.deepEqual(ctx.writes().filter((w) => mentions(w, madeUp)), []);
        const s = await stored(engine, madeUp);
        assert.ok(gone(s), 'no record under the made-up key');
        assert.ok(ctx.writes().some((w) => mentions(w, key)), 'the new key was stored');
      });
    });
  }
}

// ------------------------------------------------------------------ the session contract (test views)

for (const engine of Object.keys(ENGINES)) {
  describe(`${engine} engine: Django's backend contract`, () => {
    for (const [name, bad] of [
      ['an overlong key (1240 chars)', 'a'.repeat(1240)],
      ['a 41-char key', 'a'.repeat(41)],
      ['a key with upper case and punctuation', 'ABCDEFGH.ijklmnop-qrstuv_wxyz0123'],
      ['a 7-char key', 'abcdefg'],
    ]) {
      test(`${name} loads empty without any store read; the cookie is deleted`, async () => {
        const ctx = setup(engine);
        const r = await ctx.script(['get:num_visits'], bad);
        assert.equal(r.status, 200);
        assert.deepEqual(r.json.results, ['<KeyError>']);
        assert.deepEqual(ctx.reads(), [], 'no KV get, no D1 query');
        assert.deepEqual(ctx.writes(), []);
        assert.equal(r.setCookie, DELETION, 'like Django: the cookie carried no valid session');
        const again = await ctx.page(bad);
        assert.equal(again.visits, 1);
        assert.match(cookieValue(again.setCookie), KEY_RE);
        assert.equal(ctx.reads().length, 0);
      });
    }

    test('loading never writes: a read-only view makes zero writes (known, unknown and expired keys)', async () => {
      const ctx = setup(engine);
      const { cookie } = await countTo(ctx, 2);
      ctx.clearLog();
      const known = await ctx.script(['get:num_visits'], cookie);
      assert.deepEqual(known.json.results, [2]);
      assert.equal(known.setCookie, null);
      assert.deepEqual(ctx.writes(), []);

      const unknown = await ctx.script(['get:num_visits'], randomKey());
      assert.deepEqual(unknown.json.results, ['<KeyError>']);
      assert.equal(unknown.setCookie, DELETION);
      assert.deepEqual(ctx.writes(), [], 'an unknown key creates nothing (Django: a DoS vector otherwise)');

      const old = randomKey();
      await plant(engine, old, '{"num_visits":5}', { time: nowSeconds() - AGE - 10, expireDate: nowSeconds() + 3600 });
      const expired = await ctx.script(['get:num_visits'], old);
      assert.deepEqual(expired.json.results, ['<KeyError>']);
      assert.deepEqual(ctx.writes(), []);
    });

    test('writes are skipped when the session is clean (no ops, or only reads)', async () => {
      const ctx = setup(engine);
      const { cookie } = await countTo(ctx, 1);
      ctx.clearLog();
      for (const ops of [[], ['get:num_visits'], ['get:nope', 'pop:nope']]) {
        const r = await ctx.script(ops, cookie);
        assert.equal(r.status, 200);
        assert.equal(r.json.modified, false);
        assert.equal(r.setCookie, null);
      }
      assert.deepEqual(ctx.writes(), []);
      const forced = await ctx.script(['modified'], cookie);
      assert.equal(forced.key, cookie, 'modified = True saves under the same key');
      assert.equal(ctx.writes().filter((w) => mentions(w, cookie)).length, usesKv(engine) && usesD1(engine) ? 2 : 1);
    });

    test('flush deletes the record and the cookie; the old key then counts from 1 with a new key', async () => {
      const ctx = setup(engine);
      const { cookie } = await countTo(ctx, 2);
      const r = await ctx.script(['flush'], cookie);
      assert.equal(r.status, 200);
      assert.equal(r.setCookie, DELETION);
      assert.equal(r.headers.get('vary'), 'Cookie');
      const s = await stored(engine, cookie);
      assert.ok(gone(s), `record gone: ${JSON.stringify(s)}`);
      const again = await ctx.page(cookie);
      assert.equal(again.visits, 1);
      assert.notEqual(cookieValue(again.setCookie), cookie);
    });

    test('cycle_key moves the data to a new key (one create) and deletes the old record', async () => {
      const ctx = setup(engine);
      const first = await ctx.script(['set:cart=[1,2]', 'set:num_visits=4']);
      const old = first.key;
      ctx.clearLog();
      const r = await ctx.script(['cycle'], old);
      assert.equal(r.status, 200);
      assert.match(r.key, KEY_RE);
      assert.notEqual(r.key, old);
      const oldState = await stored(engine, old);
      assert.ok(gone(oldState), 'the old record is deleted');
      const now = await stored(engine, r.key);
      for (const encoded of records(now)) {
        assert.deepEqual(decodeRecord(encoded).data, { cart: [1, 2], num_visits: 4 });
      }
      const created = ctx.writes().filter((w) => mentions(w, r.key));
      assert.equal(created.length, (usesKv(engine) ? 1 : 0) + (usesD1(engine) ? 1 : 0) + (usesDo(engine) ? 1 : 0),
        'create + save coalesced');
      if (usesD1(engine)) assert.match(created.find((w) => w.sql).sql, /^INSERT/);
      const check = await ctx.script(['get:cart'], r.key);
      assert.deepEqual(check.json.results, [[1, 2]]);
    });

    test('an expired record is not loaded: signed longer ago than SESSION_COOKIE_AGE', async () => {
      const ctx = setup(engine);
      const key = randomKey();
      await plant(engine, key, '{"num_visits":41}', { time: nowSeconds() - AGE - 5, expireDate: nowSeconds() + 3600 });
      const r = await ctx.page(key);
      assert.equal(r.visits, 1);
      assert.notEqual(cookieValue(r.setCookie), key, 'an expired key is never reused');
      assert.deepEqual(ctx.writes().filter((w) => mentions(w, key)), []);
    });

    if (usesD1(engine)) {
      test('a D1 row whose expire_date has passed is not loaded, even if its data is fresh', async () => {
        const ctx = setup(engine);
        const key = randomKey();
        await plant(engine, key, '{"num_visits":41}', { expireDate: nowSeconds() - 1, d1Only: true });
        const r = await ctx.page(key);
        assert.equal(r.visits, 1);
        assert.notEqual(cookieValue(r.setCookie), key);
      });
    }

    test('set_expiry(10): the record expires after 10 s although KV is given expirationTtl 60', async () => {
      const ctx = setup(engine);
      const first = await ctx.script(['set:num_visits=7', 'expiry:10']);
      assert.match(first.setCookie, /Max-Age=10;/);
      const key = first.key;
      if (usesKv(engine)) {
        const put = ctx.kv.writes().find((w) => w.op === 'put' && w.key === KV_PREFIX[engine] + key);
        assert.deepEqual(put.options, { expirationTtl: 60 }, 'KV refuses TTLs under 60 s: clamped');
      }
      if (usesD1(engine)) {
        const row = (await stored(engine, key)).row;
        assert.ok(Math.abs(parseD1Datetime(row.expire_date) - (Date.now() / 1000 + 10)) < 2, row.expire_date);
      }
      const within = await later(8_000, () => ctx.script(['get:num_visits'], key));
      assert.deepEqual(within.json.results, [7], 'still alive after 8 s');
      const past = await later(11_000, () => ctx.script(['get:num_visits'], key));
      assert.deepEqual(past.json.results, ['<KeyError>'], 'expired after 10 s');
      assert.equal(past.setCookie, DELETION);
      if (usesKv(engine)) assert.ok((await stored(engine, key)).kv, 'KV still holds it (60 s floor): the read check is what expires it');
    });

    test('a record with a bad signature loads empty and logs "Session data corrupted"', async () => {
      const ctx = setup(engine);
      const key = randomKey();
      await plant(engine, key, '{"num_visits":9}', { secret: 'some-other-secret' });
      const r = await ctx.page(key);
      assert.equal(r.status, 200);
      assert.equal(r.visits, 1);
      assert.ok(ctx.logged(/Session data corrupted/, 'warn'), JSON.stringify(ctx.log.lines));
      // Django's decode() returns {} but keeps the key: the save overwrites the record.
      assert.equal(cookieValue(r.setCookie), key);
      const s = await stored(engine, key);
      for (const encoded of records(s)) assert.deepEqual(decodeRecord(encoded).data, { num_visits: 1 });
    });

    test('a record Django wrote (encode() under SECRET_KEY) is continued under the same key', async () => {
      const ctx = setup(engine);
      const key = randomKey();
      await plant(engine, key, '{"num_visits":41,"cart":["b\\u00e9"]}', { time: nowSeconds() - 3600 });
      const r = await ctx.page(key);
      assert.equal(r.visits, 42);
      assert.equal(cookieValue(r.setCookie), key);
      const s = await stored(engine, key);
      for (const encoded of records(s)) {
        assert.deepEqual(decodeRecord(encoded).data, { num_visits: 42, cart: ['b\u00e9'] }, 'other keys survive');
      }
    });

    test('a compressible session is stored zlib-compressed (".eJ...") and round-trips', async () => {
      const ctx = setup(engine);
      const first = await ctx.script([`set:note="${'ab'.repeat(200)}"`]);
      const s = await stored(engine, first.key);
      for (const encoded of records(s)) {
        assert.ok(encoded.startsWith('.eJ'), encoded.slice(0, 20));
        assert.deepEqual(decodeRecord(encoded).data, { note: 'ab'.repeat(200) });
      }
      const again = await ctx.script(['get:note'], first.key);
      assert.deepEqual(again.json.results, ['ab'.repeat(200)]);
    });

    // ServerStore::kMaxRecordBytes (src/session/server_store.h): the most a
    // record may hold once decoded, so that every saved record loads back.
    const MAX_RECORD_BYTES = 1024 * 1024;

    test('a session just under the 1 MiB record limit is saved and loads back: no write-only records', async () => {
      const ctx = setup(engine);
      // {"big":"<1,000,000 incompressible chars>","a":1}: 1,000,017 bytes of JSON.
      const first = await ctx.script(['big:1000000', 'set:a=1']);
      assert.equal(first.status, 200, first.body.slice(0, 300));
      assert.equal(first.json.cookie_action, 1, 'middleware::CookieAction::set');
      assert.match(first.key ?? '', KEY_RE, 'a cookie with the new key');
      const s = await stored(engine, first.key);
      for (const encoded of records(s)) {
        const { data } = decodeRecord(encoded);
        assert.equal(data.big.length, 1000000);
        assert.equal(JSON.stringify(data).length < MAX_RECORD_BYTES, true);
      }
      const again = await ctx.script(['get:a', 'get:big'], first.key);
      assert.equal(again.status, 200);
      assert.equal(again.json.results[0], 1,
        `saved with a 200 and a cookie, but the next load says: ${JSON.stringify(ctx.log.lines.map((l) => l.text))}`);
      assert.equal(again.json.results[1].length, 1000000);
    });

    test('a session over the 1 MiB record limit is refused: 200, no cookie, nothing written, previous record kept', async () => {
      const ctx = setup(engine);
      const { cookie } = await countTo(ctx, 1);
      const before = await stored(engine, cookie);
      ctx.clearLog();
      const r = await ctx.script(['big:1100000', 'set:a=1'], cookie);
      assert.equal(r.status, 200, r.body.slice(0, 300));
      assert.equal(r.json.cookie_action, 3, 'middleware::CookieAction::too_large');
      assert.equal(r.setCookie, null, 'the previous cookie stays');
      assert.deepEqual(ctx.writes(), [], 'nothing written');
      assert.deepEqual(await stored(engine, cookie), before, 'the previous record is kept');
      assert.ok(ctx.logged(new RegExp(`over the store's ${MAX_RECORD_BYTES}-byte limit`), 'error'),
        JSON.stringify(ctx.log.lines));
      const again = await ctx.script(['get:num_visits', 'get:a'], cookie);
      assert.deepEqual(again.json.results, [1, '<KeyError>'], 'the stored session is the one from before');
    });

    test('a session emptied with del keeps its key: stored as {} and the cookie re-sent (Django test_empty_session_saved)', async () => {
      const ctx = setup(engine);
      const { cookie } = await countTo(ctx, 1);
      const r = await ctx.script(['del:num_visits'], cookie);
      assert.deepEqual(r.json.results, [true]);
      assert.equal(r.key, cookie);
      const s = await stored(engine, cookie);
      for (const encoded of records(s)) assert.deepEqual(decodeRecord(encoded).data, {});
    });

    test('a 5xx view saves nothing; a flush it made still stands (Django deletes during the view)', async () => {
      const ctx = setup(engine);
      const { cookie } = await countTo(ctx, 2);
      const before = await stored(engine, cookie);
      ctx.clearLog();
      for (const code of ['500', '503']) {
        const r = await ctx.script(['set:num_visits=99', `status:${code}`], cookie);
        assert.equal(r.status, Number(code));
        assert.equal(r.setCookie, null);
      }
      assert.deepEqual(ctx.writes(), []);
      assert.deepEqual(await stored(engine, cookie), before);
      const fresh = await ctx.script(['set:x=1', 'status:500']);
      assert.equal(fresh.setCookie, null);
      assert.deepEqual(ctx.writes(), [], 'no record is created for a failed request');
      const flushed = await ctx.script(['flush', 'status:500'], cookie);
      assert.equal(flushed.setCookie, DELETION);
      const s = await stored(engine, cookie);
      assert.ok(gone(s), `record gone: ${JSON.stringify(s)}`);
    });

    test('set_expiry(0): a browser-session cookie, and the record lives SESSION_COOKIE_AGE', async () => {
      const ctx = setup(engine);
      const r = await ctx.script(['set:a=1', 'expiry:0']);
      assert.match(r.setCookie, /^sessionid=[a-z0-9]{32}; HttpOnly; Path=\/; SameSite=Lax$/);
      if (usesKv(engine)) assert.equal(ctx.kv.writes().find((w) => w.op === 'put').options.expirationTtl, AGE);
      if (usesD1(engine)) {
        const row = (await stored(engine, r.key)).row;
        assert.ok(Math.abs(parseD1Datetime(row.expire_date) - (Date.now() / 1000 + AGE)) < 3, row.expire_date);
      }
    });

    test('SESSION_COOKIE_AGE shorter than 60 s: KV TTL clamped to 60, the record still expires on time', async () => {
      const ctx = setup(engine, { env: { SESSION_COOKIE_AGE: '20' } });
      const r = await ctx.page();
      const key = cookieValue(r.setCookie);
      if (usesKv(engine)) assert.equal(ctx.kv.writes().find((w) => w.op === 'put').options.expirationTtl, 60);
      const past = await later(21_000, () => ctx.page(key));
      assert.equal(past.visits, 1);
      assert.notEqual(cookieValue(past.setCookie), key);
    });
  });
}

// ------------------------------------------------------------------ cached_db specifics

describe('cached_db: KV in front of D1', () => {
  test('a D1 hit back-fills KV with the same record, and the next read is served from KV', async () => {
    const ctx = setup('cached_db');
    const key = randomKey();
    const encoded = await plant('cached_db', key, '{"num_visits":3}', { d1Only: true });
    const r = await ctx.script(['get:num_visits'], key);
    assert.deepEqual(r.json.results, [3]);
    assert.equal(r.setCookie, null);
    const puts = ctx.kv.writes();
    assert.equal(puts.length, 1);
    assert.equal(puts[0].key, KV_PREFIX.cached_db + key);
    assert.equal(puts[0].value, encoded, 'the cache holds exactly what D1 holds');
    assert.ok(Math.abs(puts[0].options.expirationTtl - AGE) <= 2, JSON.stringify(puts[0].options));
    assert.deepEqual(ctx.db.writes(), [], 'the back-fill writes only the cache');
    ctx.clearLog();
    const again = await ctx.script(['get:num_visits'], key);
    assert.deepEqual(again.json.results, [3]);
    assert.deepEqual(ctx.d1SessionReads(), [], 'served from KV');
    assert.deepEqual(ctx.writes(), []);
  });

  // A logout view reads the session (request.user) and then flushes it.
  for (const [name, ops] of [['flush', ['flush']], ['read then flush (logout)', ['get:num_visits', 'flush']], ['cycle_key', ['cycle']]]) {
    test(`${name} after a KV miss does not back-fill the record it deletes (no put+delete on one key, no 429 wait)`, async () => {
      const key = randomKey();
      await plant('cached_db', key, '{"num_visits":3}', { d1Only: true });
      const ctx = setup('cached_db', { wrapKv: (kv) => rateLimitedKv(kv) });
      const started = performance.now();
      const r = await ctx.script(ops, key);
      const elapsed = performance.now() - started;
      assert.equal(r.status, 200);
      const oldKeyWrites = ctx.kv.writes().filter((w) => w.key === KV_PREFIX.cached_db + key);
      assert.deepEqual(oldKeyWrites.map((w) => w.op), ['delete'],
        `KV writes for the old key: ${oldKeyWrites.map((w) => w.op).join(', ')} (took ${Math.round(elapsed)} ms)`);
    });
  }

  test('D1 is asked only after a KV miss', async () => {
    const ctx = setup('cached_db');
    const { cookie } = await countTo(ctx, 1);
    ctx.clearLog();
    await ctx.page(cookie);
    assert.equal(ctx.kv.reads().length, 1);
    assert.equal(ctx.d1SessionReads().length, 0);
  });

  test('a KV write failure is logged ("Error saving to cache") and the page still succeeds; D1 has the count', async () => {
    const ctx = setup('cached_db', { wrapKv: (kv) => failing(kv, { put: 'throw' }) });
    const r = await ctx.page();
    assert.equal(r.status, 200);
    assert.equal(r.visits, 1);
    const key = cookieValue(r.setCookie);
    assert.match(key, KEY_RE);
    assert.ok(ctx.logged(/Error saving to cache \(SESSIONS\)/, 'error'), JSON.stringify(ctx.log.lines));
    const s = await stored('cached_db', key);
    assert.equal(s.kv, null);
    assert.deepEqual(decodeRecord(s.row.session_data).data, { num_visits: 1 });
    const next = await ctx.page(key);
    assert.equal(next.visits, 2);
  });

  test('after a failed cache update the stale cached copy loses its compare-and-set: the re-run reads D1 (1, 2, 3)', async () => {
    // As in Django 5.1+ the cache error is logged and the old cache entry
    // stays: D1 took count 2 but the KV put failed, so the next read is
    // served the cached count 1. Its save is a compare-and-set on D1's row
    // as that copy says it is: it changes nothing, and the request is re-run
    // reading D1 itself. No increment is lost.
    const kvFaults = {};
    const ctx = setup('cached_db', { wrapKv: (kv) => failing(kv, kvFaults) });
    const { cookie, seen } = await countTo(ctx, 1);
    kvFaults.put = { fault: 'throw', times: 1 };
    const second = await ctx.page(cookie);
    assert.equal(second.status, 200);
    seen.push(second.visits);
    assert.deepEqual(decodeRecord((await stored('cached_db', cookie)).row.session_data).data, { num_visits: 2 });
    ctx.clearLog();
    const third = await ctx.page(cookie);
    seen.push(third.visits);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(ctx.d1SessionReads().length, 1, 'the re-run read D1');
    assert.deepEqual(decodeRecord((await stored('cached_db', cookie)).kv).data, { num_visits: 3 }, 'the cache caught up');
  });

  test('a KV read failure falls back to D1 (the authority): the count is right', async () => {
    const kvFaults = {};
    const ctx = setup('cached_db', { wrapKv: (kv) => failing(kv, kvFaults) });
    const { cookie } = await countTo(ctx, 2);
    kvFaults.get = 'throw';
    const r = await ctx.page(cookie);
    assert.equal(r.status, 200);
    assert.equal(r.visits, 3);
    assert.equal(cookieValue(r.setCookie), cookie);
    assert.ok(ctx.logged(/load from SESSIONS failed/), JSON.stringify(ctx.log.lines));
    assert.deepEqual(decodeRecord((await stored('cached_db', cookie)).row.session_data).data, { num_visits: 3 });
  });
});

// ------------------------------------------------------------------ faults

// Which binding a read of each engine fails on, and how to make it fail.
const READ_FAULTS = {
  cache: (fault) => ({ wrapKv: (kv) => failing(kv, { get: fault }) }),
  db: (fault) => ({ wrapDb: (db) => failing(db, { batch: { fault, when: (c) => isSelect(c) && touchesSessions(c) } }) }),
  // cached_db: a KV miss (the cache was evicted) and then D1 fails.
  cached_db: (fault) => ({
    wrapKv: (kv) => failing(kv, { get: { fault: () => Promise.resolve(null), when: () => true } }),
    wrapDb: (db) => failing(db, { batch: { fault, when: (c) => isSelect(c) && touchesSessions(c) } }),
  }),
  durable_object: (fault) => ({ wrapDo: (objects) => failing(objects, { load: fault }) }),
};
const WRITE_FAULTS = {
  cache: (fault) => ({ wrapKv: (kv) => failing(kv, { put: fault, delete: fault }) }),
  db: (fault) => ({ wrapDb: (db) => failing(db, { batch: { fault, when: (c) => !isSelect(c) } }) }),
  cached_db: (fault) => ({ wrapDb: (db) => failing(db, { batch: { fault, when: (c) => !isSelect(c) } }) }),
  durable_object: (fault) => ({ wrapDo: (objects) => failing(objects, { save: fault, remove: fault }) }),
};

// Hand the faulty wrapper a session created through a healthy one.
async function existingSession(engine, visits = 2) {
  const ctx = setup(engine);
  const { cookie } = await countTo(ctx, visits);
  return { cookie, before: await stored(engine, cookie) };
}

function assertUnavailable(r) {
  assert.equal(r.status, 503, r.body.slice(0, 300));
  assert.equal(r.headers.get('retry-after'), '1');
  assert.equal(r.setCookie, null);
  assert.doesNotMatch(r.body, /You have visited this page/, 'never a page claiming a count');
}

for (const engine of Object.keys(ENGINES)) {
  describe(`${engine} engine: faults`, () => {
    test('a read failure answers 503 with Retry-After and writes nothing; the stored session is unchanged', async () => {
      const { cookie, before } = await existingSession(engine);
      const ctx = setup(engine, READ_FAULTS[engine]('throw'));
      const r = await ctx.page(cookie);
      assertUnavailable(r);
      assert.deepEqual(ctx.writes(), [], 'zero writes');
      assert.deepEqual(await stored(engine, cookie), before);
      assert.ok(ctx.logged(/failed/, 'error'));
      const write = await ctx.script(['set:x=1'], cookie);
      assertUnavailable(write);
      assert.deepEqual(ctx.writes(), [], 'a view that writes does not overwrite what could not be read');
      assert.deepEqual(await stored(engine, cookie), before);
    });

    test('flush (logout) still works while reads fail: like Django, flush never loads the session', async () => {
      const { cookie } = await existingSession(engine);
      const ctx = setup(engine, READ_FAULTS[engine]('throw'));
      const r = await ctx.script(['flush'], cookie);
      assert.equal(r.status, 200);
      assert.equal(r.setCookie, DELETION);
      const s = await stored(engine, cookie);
      assert.ok(gone(s), `record gone: ${JSON.stringify(s)}`);
    });

    test('a malformed read answer never gives a 500 and never overwrites the stored session', async () => {
      const { cookie, before } = await existingSession(engine);
      const ctx = setup(engine, READ_FAULTS[engine]('malformed'));
      const r = await ctx.page(cookie);
      if (engine === 'cache') {
        // A KV value that is not encode() output is corrupt data: as Django's
        // SessionBase.decode (base.py), {} under the same key, logged.
        assert.equal(r.status, 200, r.body.slice(0, 300));
        assert.equal(r.visits, 1);
        assert.equal(cookieValue(r.setCookie), cookie, 'the key is kept');
        assert.ok(ctx.logged(/Session data corrupted/, 'warn'));
      } else {
        // D1 rows of the wrong shape are a failed read, not "no session"
        // (which would mint a new key and lose the visitor's session): 503.
        assertUnavailable(r);
        assert.deepEqual(ctx.writes(), [], 'zero writes');
        assert.deepEqual(await stored(engine, cookie), before);
      }
    });

    test('a write failure answers 503, never a 200 claiming a count, and no cookie', async () => {
      const { cookie, before } = await existingSession(engine);
      const ctx = setup(engine, WRITE_FAULTS[engine]('throw'));
      const r = await ctx.page(cookie);
      assertUnavailable(r);
      assert.deepEqual(await stored(engine, cookie), before);
      const fresh = await ctx.page();
      assertUnavailable(fresh);
    });

    test('UpdateError: the record is deleted between the load and the save -> 400, nothing resurrected', async () => {
      const { cookie } = await existingSession(engine);
      // A concurrent request (a logout elsewhere) deletes the session right
      // after this request loaded it.
      let deleted = false;
      const deleteAll = async () => {
        if (deleted) return;
        deleted = true;
        if (usesKv(engine)) await B.kv.delete(KV_PREFIX[engine] + cookie);
        if (usesD1(engine)) await B.db.prepare('DELETE FROM django_session WHERE session_key = ?1').bind(cookie).run();
        if (usesDo(engine)) await sessionObject(cookie).remove();
      };
      const afterLoad = (b) => around(b, async (call, next) => {
        const result = await next();
        const isLoad = call.op === 'get' || call.op === 'load' || (call.op === 'batch' && isSelect(call) && touchesSessions(call));
        if (isLoad) await deleteAll();
        return result;
      });
      const wrap = { db: 'wrapDb', durable_object: 'wrapDo' }[engine] ?? 'wrapKv';
      const ctx = setup(engine, { [wrap]: afterLoad });
      const r = await ctx.script(['set:num_visits=100'], cookie);
      assert.equal(r.status, 400, r.body.slice(0, 300));
      assert.equal(r.setCookie, null);
      assert.ok(ctx.logged(/SessionInterrupted/), JSON.stringify(ctx.log.lines));
      const s = await stored(engine, cookie);
      assert.ok(gone(s), `not resurrected: ${JSON.stringify(s)}`);
      const next = await ctx.page(cookie);
      assert.equal(next.visits, 1);
      assert.notEqual(cookieValue(next.setCookie), cookie);
    });
  });
}

describe('hung bindings', () => {
  // A binding that never answers must not hold the visitor forever: the
  // shim should give up and answer 503 (Retry-After) without writing.
  const LIMIT_MS = 5_000;
  const HANGS = {
    'a KV read (cache)': ['cache', (f) => ({ wrapKv: (kv) => f(kv, { get: 'hang' }) })],
    'a D1 read (db)': ['db', (f) => ({ wrapDb: (db) => f(db, { batch: 'hang' }) })],
    'a KV write (cache)': ['cache', (f) => ({ wrapKv: (kv) => f(kv, { put: 'hang' }) })],
  };
  for (const [name, [engine, wrap]] of Object.entries(HANGS)) {
    test(`${name} that hangs answers 503 within ${LIMIT_MS / 1000} s`, async () => {
      const { cookie, before } = await existingSession(engine);
      const hung = [];
      const ctx = setup(engine, wrap((b, faults) => { const w = failing(b, faults); hung.push(w); return w; }));
      let timer;
      const outcome = await Promise.race([
        ctx.page(cookie),
        new Promise((resolve) => { timer = setTimeout(() => resolve('still waiting'), LIMIT_MS); }),
      ]);
      clearTimeout(timer);
      hung.forEach((w) => w.release());
      assert.notEqual(outcome, 'still waiting', `no answer after ${LIMIT_MS} ms: the shim has no timeout on binding calls`);
      assertUnavailable(outcome);
      assert.deepEqual(await stored(engine, cookie), before);
    });
  }
});

describe('KV write limit: 1 write per second per key', () => {
  for (const engine of ['cache', 'cached_db']) {
    test(`${engine}: a quick reload meets 429, the shim retries, and no increment is lost`, async () => {
      let limited;
      const ctx = setup(engine, { wrapKv: (kv) => (limited = rateLimitedKv(kv)) });
      const { seen, cookie } = await countTo(ctx, 3);
      assert.deepEqual(seen, [1, 2, 3]);
      assert.ok(limited.refused >= 2, `the reloads were rate limited (${limited.refused} refusals)`);
      const s = await stored(engine, cookie);
      assert.deepEqual(decodeRecord(s.kv).data, { num_visits: 3 }, 'the cache holds the last count');
      if (usesD1(engine)) assert.deepEqual(decodeRecord(s.row.session_data).data, { num_visits: 3 });
    });
  }

  test('cache: a persistent 429 answers 503 (after the retries), never a 200 with an unsaved count', async () => {
    const { cookie, before } = await existingSession('cache');
    let limited;
    const ctx = setup('cache', { wrapKv: (kv) => (limited = failing(kv, { put: new Error('KV PUT failed: 429 Too Many Requests') })) });
    const started = performance.now();
    const r = await ctx.page(cookie);
    assertUnavailable(r);
    assert.equal(limited.hits, 4, 'one attempt and three retries');
    assert.ok(performance.now() - started >= 2000, 'retried with back-off (300 + 700 + 1100 ms)');
    assert.deepEqual(ctx.kv.writes(), [], 'nothing reached KV');
    assert.deepEqual(await stored('cache', cookie), before);
  });

  test('cached_db: a persistent 429 on the cache write is logged; D1 has the count and the page succeeds', async () => {
    const { cookie } = await existingSession('cached_db', 1);
    const ctx = setup('cached_db', { wrapKv: (kv) => failing(kv, { put: new Error('KV PUT failed: 429 Too Many Requests') }) });
    const r = await ctx.page(cookie);
    assert.equal(r.status, 200);
    assert.equal(r.visits, 2);
    assert.ok(ctx.logged(/Error saving to cache .*429/), JSON.stringify(ctx.log.lines));
    assert.deepEqual(decodeRecord((await stored('cached_db', cookie)).row.session_data).data, { num_visits: 2 });
  });
});

describe('eventual consistency (documented limitation: what the visitor sees)', () => {
  // workers KV: another location may serve a value up to 60 s old, negative
  // lookups included. These tests pin the behaviour down; they do not bless it.
  test('cache: a reload read from a stale location loses the last increment (2, 2 instead of 2, 3)', async () => {
    const key = randomKey();
    await plant('cache', key, '{"num_visits":1}');
    let stale;
    const ctx = setup('cache', { wrapKv: (kv) => (stale = staleKv(kv, { lagMs: 60_000 })) });
    const { seen } = await countTo(ctx, 2, key);
    assert.deepEqual(seen, [2, 2], 'the second visit read the old count 1 and wrote 2 again');
    assert.equal(stale.staleReads >= 1, true);
    stale.lagMs = 0; // the locations converge
    const r = await ctx.page(key);
    assert.equal(r.visits, 3);
  });

  test('cache: a new session not yet visible elsewhere starts over with a new key (count 1 again)', async () => {
    const ctx = setup('cache', { wrapKv: (kv) => staleKv(kv, { lagMs: 60_000 }) });
    const first = await ctx.page();
    const key = cookieValue(first.setCookie);
    const second = await ctx.page(key);
    assert.equal(second.visits, 1, 'the negative lookup is served: the session looks unknown');
    assert.notEqual(cookieValue(second.setCookie), key, 'and an unknown key is never reused');
  });

  test('cached_db: a stale negative KV lookup falls through to D1, so a new session survives', async () => {
    const ctx = setup('cached_db', { wrapKv: (kv) => staleKv(kv, { lagMs: 60_000 }) });
    const { seen, cookie } = await countTo(ctx, 3);
    assert.deepEqual(seen, [1, 2, 3], 'the stale location has no cached copy at all: every read falls through to D1');
    assert.match(cookie, KEY_RE);
  });

  test('cached_db: a stale cached copy does not lose an increment (unlike cache): its compare-and-set fails and the re-run reads D1', async () => {
    const key = randomKey();
    await plant('cached_db', key, '{"num_visits":1}');
    const ctx = setup('cached_db', { wrapKv: (kv) => staleKv(kv, { lagMs: 60_000 }) });
    const { seen } = await countTo(ctx, 3, key);
    assert.deepEqual(seen, [2, 3, 4]);
    assert.deepEqual(decodeRecord((await stored('cached_db', key)).row.session_data).data, { num_visits: 4 });
  });
});

describe('racing requests of one visitor (compare-and-set and the re-run)', () => {
  // Bindings reached from Node through Miniflare's proxy take tens of ms per
  // call, several times what they take inside workerd, so every run holds
  // the record far longer: 8 racers here; tests/node/stores_workerd.test.js
  // races 20 inside workerd.
  const RACERS = 8;
  for (const engine of ['db', 'cached_db', 'durable_object']) {
    test(`${engine}: ${RACERS} requests at once raise the count by exactly ${RACERS}; losers are re-run`, async () => {
      const ctx = setup(engine);
      const { cookie } = await countTo(ctx, 1);
      ctx.clearLog();
      const answers = await Promise.all(Array.from({ length: RACERS }, () => ctx.page(cookie)));
      for (const r of answers) assert.equal(r.status, 200, r.body.slice(0, 300));
      const seen = answers.map((r) => r.visits).sort((a, b) => a - b);
      assert.deepEqual(seen, Array.from({ length: RACERS }, (_, i) => i + 2), 'each visit saw its own count');
      const attempts = ctx.log.lines.map((l) => Number(/\(attempt (\d+)\)/.exec(l.text)?.[1] ?? 1));
      console.log(`# ${engine}: ${attempts.filter((a) => a > 1).length} re-runs, at most ${Math.max(1, ...attempts)} runs for one request`);
      const after = await ctx.page(cookie);
      assert.equal(after.visits, RACERS + 2, 'no update lost');
    });
  }

  test('cache: racing requests lose visits (KV has no compare-and-set; documented)', async () => {
    const ctx = setup('cache');
    const { cookie } = await countTo(ctx, 1);
    const answers = await Promise.all(Array.from({ length: RACERS }, () => ctx.page(cookie)));
    for (const r of answers) assert.equal(r.status, 200);
    const after = await ctx.page(cookie);
    console.log(`# cache: final count ${after.visits - 1} of ${RACERS + 1}`);
    assert.ok(after.visits - 1 < RACERS + 1, 'the last writer wins');
  });

  test('db: a save that loses its race on every run answers 503 + Retry-After after the bound, nothing written by it', async () => {
    // Every compare-and-set is made to find another row: a session written
    // by more requests at once than the bound allows.
    const ctx = setup('db', {
      wrapDb: (db) => failing(db, {
        batch: {
          fault: async (call, next) => {
            const answers = await next();
            return answers.map((a) => ({ ...a, meta: { ...a.meta, changes: 0 } }));
          },
          when: (c) => c.statements.some((st) => /AND session_data = \?4/.test(st.sql)),
        },
      }),
    });
    const { cookie } = await countTo(ctx, 1);
    ctx.clearLog();
    const r = await ctx.page(cookie);
    assertUnavailable(r);
    const reruns = ctx.log.lines.filter((l) => /running the request again/.test(l.text)).length;
    assert.equal(reruns, 9, 'ten runs in all (app::kMaxAttempts)');
    assert.ok(ctx.logged(/lost the compare-and-set race 10 times/, 'error'), JSON.stringify(ctx.log.lines));
  });
});

describe('the cron trigger (clearsessions)', () => {
  for (const engine of ['db', 'cached_db']) {
    test(`${engine}: worker.scheduled deletes expired D1 rows and keeps live ones`, async () => {
      const ctx = setup(engine);
      const expired = [randomKey(), randomKey()];
      const live = [randomKey()];
      await plant('db', expired[0], '{"num_visits":1}', { expireDate: nowSeconds() - 3600 });
      await plant('db', expired[1], '{"num_visits":1}', { expireDate: nowSeconds() - 1 });
      await plant('db', live[0], '{"num_visits":1}', { expireDate: nowSeconds() + 60 });
      const { cookie } = await countTo(ctx, 1);
      live.push(cookie);
      ctx.clearLog();
      await ctx.worker.scheduled({ cron: '0 * * * *', scheduledTime: Date.now() }, ctx.env);
      const keys = (await B.db.prepare('SELECT session_key FROM django_session').all()).results.map((r) => r.session_key);
      for (const k of expired) assert.ok(!keys.includes(k), `expired ${k} deleted`);
      for (const k of live) assert.ok(keys.includes(k), `live ${k} kept`);
      const writes = ctx.db.writes();
      assert.equal(writes.length, 1);
      assert.match(writes[0].sql, /^DELETE FROM django_session WHERE expire_date < \?1$/);
      assert.match(writes[0].params[0], D1_DATETIME_RE);
      assert.deepEqual(ctx.kv.writes(), []);
    });
  }

  test('cache: the cron trigger writes nothing (KV expires records itself)', async () => {
    const ctx = setup('cache');
    await ctx.worker.scheduled({ cron: '0 * * * *', scheduledTime: Date.now() }, ctx.env);
    assert.deepEqual(ctx.writes(), []);
  });
});
