// The real runtime: the worker under `wrangler dev` (workerd via Miniflare),
// reached over HTTP on loopback like a browser would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, cookieValue, djangoSign, visitsOf } from './helpers.js';
import { startWranglerDev } from './wrangler.js';

// The key wrangler dev reads from .dev.vars.
const DEV_SECRET = readFileSync(join(ROOT, '.dev.vars'), 'utf8').match(/^SECRET_KEY="(.*)"$/m)[1];

let dev;
before(async () => { dev = await startWranglerDev(); });
after(() => dev?.stop());

test('/ redirects to /catalog/, and reloads count 1, 2, 3', async () => {
  const root = await fetch(`${dev.base}/`, { redirect: 'manual' });
  assert.equal(root.status, 301);
  assert.equal(root.headers.get('location'), '/catalog/');
  let cookie;
  for (const expected of [1, 2, 3]) {
    const res = await fetch(new URL(root.headers.get('location'), dev.base), { headers: cookie ? { cookie } : {} });
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.equal(visitsOf(body), expected);
    cookie = `sessionid=${cookieValue(res.headers.get('set-cookie'))}`;
  }
});

test('a tampered cookie starts a fresh session through workerd', async () => {
  const res = await fetch(`${dev.base}/catalog/`, { headers: { cookie: 'sessionid=eyJudW1fdmlzaXRzIjo5OX0:1xWWvf:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
  assert.equal(res.status, 200);
  assert.equal(visitsOf(await res.text()), 1);
});

test('a compressed session round-trips through workerd\'s node:zlib', async () => {
  // A long value makes the core compress on save (the value starts with
  // "."); presenting that cookie again needs inflate to agree with deflate.
  let cookie = `sessionid=${djangoSign(`{"note":"${'x'.repeat(120)}","num_visits":1}`, { secret: DEV_SECRET })}`;
  let res = await fetch(`${dev.base}/catalog/`, { headers: { cookie } });
  const value = cookieValue(res.headers.get('set-cookie'));
  assert.ok(value.startsWith('.eJ'), `expected a zlib-compressed value, got ${value}`);
  assert.equal(visitsOf(await res.text()), 2);
  res = await fetch(`${dev.base}/catalog/`, { headers: { cookie: `sessionid=${value}` } });
  assert.equal(visitsOf(await res.text()), 3);
});

test('static assets are served with their content type and cache headers', async () => {
  const res = await fetch(`${dev.base}/static/css/styles.css`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/css/);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
  assert.match(await res.text(), /\.sidebar-nav\s*\{\s*margin-top: 20px;\s*padding: 0;\s*list-style: none;/);
  for (const [path, type] of [['/static/images/local_library_model_uml.png', /^image\/png/],
                              ['/static/images/local_library_model_uml.svg', /^image\/svg\+xml/]]) {
    const r = await fetch(`${dev.base}${path}`);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type'), type);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=86400');
    await r.arrayBuffer();
  }
});

test('the page renders from the templates with the D1 counts', async () => {
  const res = await fetch(`${dev.base}/catalog/`);
  const body = await res.text();
  assert.match(body, /<title>Local Library<\/title>/);
  for (const [label, n] of [['Books', 12], ['Copies', 28], ['Copies available', 13], ['Authors', 8]]) {
    assert.ok(body.includes(`<strong>${label}:</strong> ${n}<`), `${label}: ${n}`);
  }
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
});

test('unknown paths answer 404 and other methods 405', async () => {
  assert.equal((await fetch(`${dev.base}/no/such/page`)).status, 404);
  assert.equal((await fetch(`${dev.base}/catalog/`, { method: 'POST' })).status, 405);
});
