// The same job as locallibrary-edge, written the way a Workers developer
// would in plain JavaScript: WebCrypto HMAC-SHA256 (crypto.subtle), node:zlib
// (nodejs_compat, as our shim uses) and a template literal. It reads and
// writes Django's signed_cookies session
//   [.]b64url(json):b62(ts):b64url(HMAC-SHA256(SHA256(salt + "signer" + SECRET_KEY), value))
// with SECRET_KEY_FALLBACKS, max age (SESSION_COOKIE_AGE) and a 300 s future
// skew, counts num_visits, re-signs, and renders the LocalLibrary home page
// with the four counts from D1 (one batch). Only for benchmarking: it skips
// what the C++ core adds for Python-exactness (float repr, big ints, NaN),
// and its JSON is Python's only for ASCII-escaped strings and integers.
import { Buffer } from 'node:buffer';
import { deflateSync, inflateSync } from 'node:zlib';
import { COOKIE, COUNT_SQL, SECURITY, page } from './lib/page.js';

const SALT = 'django.contrib.sessions.backends.signed_cookies';
const MAX_PAYLOAD = 64 * 1024;
const enc = new TextEncoder();

let config = null; // per isolate: derived keys
async function configure(env) {
  const secrets = [env.SECRET_KEY];
  if (env.SECRET_KEY_FALLBACKS) {
    const f = env.SECRET_KEY_FALLBACKS.trim();
    secrets.push(...(f.startsWith('[') ? JSON.parse(f) : [f]));
  }
  const keys = await Promise.all(secrets.map(async (secret) => {
    const raw = await crypto.subtle.digest('SHA-256', enc.encode(SALT + 'signer' + secret));
    return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }));
  return { keys, age: Number(env.SESSION_COOKIE_AGE || 1209600) };
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function b62encode(n) {
  let s = '';
  do { s = B62[n % 62] + s; n = Math.floor(n / 62); } while (n > 0);
  return s;
}
function b62decode(s) {
  if (!/^[0-9A-Za-z]{1,11}$/.test(s)) return null;
  let n = 0;
  for (const c of s) n = n * 62 + B62.indexOf(c);
  return n;
}

function cookieValue(header) {
  if (!header || header.length > 8192) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return part.slice(eq + 1).trim();
  }
  return null;
}

// signing.loads(): null when missing, tampered, expired or not a JSON object.
async function loadSession(token, { keys, age }, now) {
  if (!token) return null;
  const s = token.lastIndexOf(':');
  if (s < 0) return null;
  const value = token.slice(0, s);
  const sig = Buffer.from(token.slice(s + 1), 'base64url');
  const data = enc.encode(value);
  // Every key is tried (as the core does), so timing does not tell which matched.
  const ok = await Promise.all(keys.map((k) => crypto.subtle.verify('HMAC', k, sig, data)));
  if (!ok.includes(true)) return null;
  const t = value.lastIndexOf(':');
  const ts = t < 0 ? null : b62decode(value.slice(t + 1));
  if (ts === null || now - ts > age || ts - now > 300) return null;
  let payload = value.slice(0, t);
  const compressed = payload.startsWith('.');
  if (compressed) payload = payload.slice(1);
  try {
    let bytes = Buffer.from(payload, 'base64url');
    if (compressed) bytes = inflateSync(bytes, { maxOutputLength: MAX_PAYLOAD });
    if (bytes.length > MAX_PAYLOAD) return null;
    const obj = JSON.parse(bytes.toString('latin1'));
    return obj && typeof obj === 'object' && !Array.isArray(obj) ? obj : null;
  } catch {
    return null;
  }
}

// json.dumps(obj, separators=(",", ":")) with ensure_ascii.
const pyDumps = (obj) => JSON.stringify(obj).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

// signing.dumps(obj, compress=True)
async function signSession(obj, key, now) {
  const data = Buffer.from(pyDumps(obj), 'latin1');
  const deflated = deflateSync(data);
  const value = (deflated.length < data.length - 1 ? '.' + deflated.toString('base64url') : data.toString('base64url')) + ':' + b62encode(now);
  const mac = await crypto.subtle.sign('HMAC', key, enc.encode(value));
  return value + ':' + Buffer.from(mac).toString('base64url');
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/') return new Response(null, { status: 301, headers: { Location: '/catalog/' } });
    if (url.pathname !== '/catalog/') return new Response('Not Found', { status: 404 });
    config ??= await configure(env);
    const now = Math.floor(Date.now() / 1000);
    const db = env.DB;
    const [session, answers] = await Promise.all([
      loadSession(cookieValue(request.headers.get('Cookie')), config, now),
      db.batch(COUNT_SQL.map((sql) => db.prepare(sql))),
    ]);
    const [books, copies, available, authors] = answers.map((a) => a.results[0].n);
    const data = session || {};
    const prev = data.num_visits;
    data.num_visits = (typeof prev === 'number' ? prev : typeof prev === 'boolean' ? Number(prev) : 0) + 1;
    const value = await signSession(data, config.keys[0], now);
    const headers = new Headers([['Content-Type', 'text/html; charset=utf-8'], ...SECURITY]);
    const notSaved = COOKIE.length + 1 + value.length > 4096;
    if (!notSaved) {
      const expires = new Date((now + config.age) * 1000).toUTCString();
      headers.append('Set-Cookie', `${COOKIE}=${value}; expires=${expires}; HttpOnly; Max-Age=${config.age}; Path=/; SameSite=Lax`);
    }
    headers.append('Vary', 'Cookie');
    return new Response(page({ books, copies, available, authors, visits: data.num_visits, notSaved }), { headers });
  },
};
