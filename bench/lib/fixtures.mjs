// Shared fixtures for the JS-side benchmarks: the secret keys, Django-signed
// session cookies of a given payload size, the fake D1/KV bindings, and the
// request headers. An independent implementation of django.core.signing's
// dumps (compress=True) with node:crypto and node:zlib, so cookies are made
// without the code under test. The C++ side (bench/native/core_bench.cpp)
// uses the same constants.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export const SECRET = 'bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG';
export const FALLBACKS = [
  'bench-old-key-1-abcdefghijklmnopqrstuvwxyz',
  'bench-old-key-2-abcdefghijklmnopqrstuvwxyz',
  'bench-old-key-3-abcdefghijklmnopqrstuvwxyz',
];
export const ENGINES = {
  signed_cookies: 'django.contrib.sessions.backends.signed_cookies',
  cache: 'django.contrib.sessions.backends.cache',
};
export const COUNTS = { books: 12, copies: 28, available: 11, authors: 8 };
const SALT = 'django.contrib.sessions.backends.signed_cookies';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export function b62(n) {
  if (n === 0) return '0';
  let s = '';
  while (n > 0) {
    s = B62[n % 62] + s;
    n = Math.floor(n / 62);
  }
  return s;
}

// Python's json.dumps(obj, separators=(',', ':')) for the plain ASCII objects used here.
export const pyDumps = (obj) => JSON.stringify(obj);

// Django's signing.dumps(obj, salt=SALT, compress=True) at time `ts`.
export function djangoSign(obj, { secret = SECRET, ts = Math.floor(Date.now() / 1000) - 60 } = {}) {
  const data = Buffer.from(pyDumps(obj), 'latin1');
  const deflated = deflateSync(data);
  const value = (deflated.length < data.length - 1 ? '.' + b64url(deflated) : b64url(data)) + ':' + b62(ts);
  const key = createHash('sha256').update(SALT + 'signer' + secret).digest();
  return value + ':' + b64url(createHmac('sha256', key).update(value).digest());
}

// The session JSON of exactly `bytes` bytes, as in core_bench.cpp: the
// 20-byte one is {"num_visits":12345}; bigger ones carry a list of random
// 32-hex-digit strings (deflates to ~55%: the compressed "." path).
export function sessionOf(bytes, rng = seeded(bytes)) {
  if (bytes <= 20) return { num_visits: 12345 };
  const s = { num_visits: 41, recent: [] };
  const token = (n) => Array.from({ length: n }, () => '0123456789abcdef'[rng() & 15]).join('');
  while (pyDumps(s).length + 35 <= bytes) s.recent.push(token(32));
  const have = pyDumps(s).length;
  if (have < bytes) {
    const extra = bytes - have;
    if (!s.recent.length) s.recent.push(token(extra - 2));
    else if (extra >= 4) s.recent.push(token(extra - 3));
    else s.recent[s.recent.length - 1] = token(32 + extra);
  }
  return s;
}

// A small deterministic PRNG (mulberry32).
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  };
}

export const expectedVisits = (bytes) => (bytes <= 20 ? 12346 : 42);

// Browser-like request headers (the same set as core_bench.cpp).
export function browserHeaders(cookie) {
  const h = {
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'accept-encoding': 'gzip, deflate, br',
    'accept-language': 'en-US,en;q=0.9',
    host: 'localhost:8787',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  };
  if (cookie) h.cookie = `csrftoken=Zq3kQ9bWm2Lr8Tt0Yx7Vc4Nn1Hh6Jj5Gg; sessionid=${cookie}`;
  return h;
}

// A D1-like binding answering every COUNT(*) with a fixed row: the catalog
// counts are not what is measured. prepare(sql).bind(...).all() and
// batch([stmts]) -> [{results:[{n}], meta:{}}].
export function fakeD1(counts = COUNTS) {
  const answer = (sql) => {
    let n = counts.books;
    if (/catalog_bookinstance/.test(sql)) n = /status/.test(sql) ? counts.available : counts.copies;
    else if (/catalog_author/.test(sql)) n = counts.authors;
    return { results: [{ n }], success: true, meta: { changes: 0 } };
  };
  const stmt = (sql) => ({
    sql,
    bind() { return stmt(sql); },
    async all() { return answer(sql); },
    async run() { return answer(sql); },
    async first() { return answer(sql).results[0]; },
  });
  return {
    prepare: (sql) => stmt(sql),
    async batch(stmts) { return stmts.map((s) => answer(s.sql)); },
  };
}

// An in-memory Workers KV: get/put/delete (expirationTtl ignored).
export function fakeKV() {
  const map = new Map();
  return {
    map,
    async get(key) { return map.has(key) ? map.get(key) : null; },
    async put(key, value) { map.set(key, String(value)); },
    async delete(key) { map.delete(key); },
  };
}

export const randomKey = () => randomBytes(16).toString('hex');
