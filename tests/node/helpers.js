// Shared test helpers: load each toolchain's module through the production
// shim, and drive the worker like a browser would.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorker } from '../../js-shim/worker.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODULES = {
  wasi: join(ROOT, 'build/wasm-wasi/src/core.wasm'),
  emscripten: join(ROOT, 'build/wasm-emscripten/src/core.wasm'),
};
export const TEST_MODULE = join(ROOT, 'build/wasm-wasi-test/src/core.wasm');
export const SECRET = 'django-insecure-example-key';
export const BASE_ENV = Object.freeze({
  SECRET_KEY: SECRET,
  SESSION_ENGINE: 'django.contrib.sessions.backends.signed_cookies',
});

export function loadModule(path) {
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/build-wasm.sh first`);
  return new WebAssembly.Module(readFileSync(path));
}

// A console that records instead of printing, so tests can assert on logs.
export function recordingConsole() {
  const lines = [];
  const rec = (level) => (...args) => lines.push({ level, text: args.map(String).join(' ') });
  return { lines, log: rec('log'), warn: rec('warn'), error: rec('error') };
}

export function workerFor(path, options) {
  return createWorker(loadModule(path), options);
}

export function visitsOf(body) {
  const m = body.match(/You have visited this page (\d+) times?\./);
  return m ? Number(m[1]) : null;
}

export function cookieValue(setCookie, name = 'sessionid') {
  if (!setCookie) return null;
  const m = setCookie.match(new RegExp(`^${name}=([^;]*)`));
  return m ? m[1] : null;
}

// GET with an optional Cookie header; returns status, headers, body, visits.
export async function visit(worker, env, { path = '/catalog/', cookie, method = 'GET', headers = {} } = {}) {
  const h = { ...headers };
  if (cookie !== undefined && cookie !== null) h.cookie = cookie;
  const res = await worker.fetch(new Request(`http://localhost${path}`, { method, headers: h }), env);
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, visits: visitsOf(body), setCookie: res.headers.get('set-cookie') };
}

// An independent, test-only implementation of Django's signing.dumps (no
// compression) so tests can present validly signed sessions with hostile
// contents. Production signing lives in C++ (src/signing).
import { createHash, createHmac } from 'node:crypto';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function b62(n) {
  let out = '';
  do {
    out = B62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out;
}

export function djangoSign(json, { secret = SECRET, salt = 'django.contrib.sessions.backends.signed_cookies', time = Math.floor(Date.now() / 1000) } = {}) {
  const value = `${Buffer.from(json, 'latin1').toString('base64url')}:${b62(time)}`;
  const key = createHash('sha256').update(`${salt}signer${secret}`).digest();
  return `${value}:${createHmac('sha256', key).update(value).digest('base64url')}`;
}
