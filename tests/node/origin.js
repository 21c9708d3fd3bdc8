// Starts the example Django origin (examples/django-origin/run.sh: Debian's
// python3-django under Debian's gunicorn) on a free loopback port with its own
// temporary SQLite database, and stops it again. Also a minimal cookie jar
// for driving it (and the Worker in front of it) with fetch.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';
import { freePort } from './wrangler.js';

export const ORIGIN_DIR = join(ROOT, 'examples', 'django-origin');
export const PYTHON = '/usr/bin/python3'; // Debian's interpreter: the one with Django
export const ORIGIN_SECRET = 'origin-test-secret-key-not-for-production-8d1f0c';
export const DEMO_PASSWORD = 'reader-demo-password-42';

// env: extra environment (the Worker's setting names: SESSION_*, ...).
export async function startOrigin({ env = {}, timeoutMs = 30_000 } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'll-origin-'));
  const fullEnv = {
    ...process.env,
    SECRET_KEY: ORIGIN_SECRET,
    DEMO_PASSWORD,
    SQLITE_PATH: join(dir, 'db.sqlite3'),
    BIND: `127.0.0.1:${port}`,
    PYTHONDONTWRITEBYTECODE: '1',
    ...env,
  };
  const child = spawn('bash', [join(ORIGIN_DIR, 'run.sh')], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: fullEnv });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const base = `http://127.0.0.1:${port}`;
  let stopped = false;
  function stop() {
    if (stopped) return;
    stopped = true;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) { stop(); throw new Error(`the origin (run.sh) exited early:\n${output}`); }
    try {
      await fetch(`${base}/`, { redirect: 'manual' });
      break;
    } catch {
      if (Date.now() >= deadline) { stop(); throw new Error(`the origin did not start within ${timeoutMs} ms:\n${output}`); }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // Resolves once gunicorn has exited (for tests that stop the origin mid-way).
  const exited = new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  return { base, port, dir, env: fullEnv, stop, exited, output: () => output };
}

// A cookie jar for one host: name -> value, updated from Set-Cookie headers
// (a deletion, Max-Age=0 or an expiry in the past, removes the cookie).
export class CookieJar {
  constructor() { this.cookies = new Map(); }

  update(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const deleted = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) ||
        attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (deleted) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name) { return this.cookies.get(name); }

  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }

  // fetch with this jar's cookies; redirects are not followed (the caller sees them).
  async fetch(url, { method = 'GET', headers = {}, form } = {}) {
    const h = { ...headers };
    if (this.cookies.size) h.cookie = this.header();
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
    this.update(res);
    return { status: res.status, headers: res.headers, body: await res.text(), setCookie: res.headers.getSetCookie() };
  }
}

// The csrfmiddlewaretoken of the first form in a page.
export function csrfToken(body) {
  const m = body.match(/name="csrfmiddlewaretoken" value="([^"]+)"/);
  if (!m) throw new Error('no csrfmiddlewaretoken in the page');
  return m[1];
}
