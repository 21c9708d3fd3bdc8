// The example Django origin (examples/django-origin): Debian's python3-django
// 3.2 under Debian's gunicorn, started by its own run.sh on a free port with
// a temporary SQLite database and a fixed SECRET_KEY. Checks what the Worker
// will rely on when it sits in front of it (ISSUE 13): the same catalog and
// tables as the Worker's D1, the tutorial's session counter in a
// signed_cookies session the Worker can read, the list pages, and logging in
// and out with Django's auth views.
//
// Run from the repository root: node --test tests/node/origin.test.js
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { ROOT, djangoSign, visitsOf } from './helpers.js';
import { CookieJar, DEMO_PASSWORD, ORIGIN_DIR, ORIGIN_SECRET, PYTHON, csrfToken, startOrigin } from './origin.js';

let origin;
before(async () => { origin = await startOrigin(); });
after(() => origin?.stop());

// Runs Python in the origin's project with its environment (one interpreter start).
function python(code, env = {}) {
  const r = spawnSync(PYTHON, ['-c', code], { cwd: ORIGIN_DIR, encoding: 'utf8', env: { ...origin.env, ...env } });
  if (r.error) throw r.error;
  return r;
}

const counts = (body) => Object.fromEntries(
  [...body.matchAll(/<li><strong>([^<]+):<\/strong> (\d+)<\/li>/g)].map((m) => [m[1], Number(m[2])]));
const listItems = (body) => (body.match(/<div class="col-sm-10 ">[\s\S]*$/)[0].match(/<li[ >]/g) || []).length;

// Django's signed_cookies value: base64url(JSON):base62(time):base64url(HMAC-SHA256)
// under SHA256(salt + "signer" + SECRET_KEY); checked independently here.
function decodeSignedCookie(value, secret = ORIGIN_SECRET) {
  const parts = value.split(':');
  assert.equal(parts.length, 3, `three colon-separated parts: ${value}`);
  assert.match(parts[0], /^\.?[A-Za-z0-9_-]+$/, 'payload: base64url, "." first when zlib-compressed');
  assert.match(parts[1], /^[0-9A-Za-z]+$/, 'timestamp: base62');
  const key = createHash('sha256').update(`django.contrib.sessions.backends.signed_cookiessigner${secret}`).digest();
  const mac = createHmac('sha256', key).update(`${parts[0]}:${parts[1]}`).digest('base64url');
  assert.equal(parts[2], mac, 'HMAC-SHA256 signature under the shared SECRET_KEY');
  const compressed = parts[0].startsWith('.');
  const data = Buffer.from(compressed ? parts[0].slice(1) : parts[0], 'base64url');
  return JSON.parse((compressed ? inflateSync(data) : data).toString('utf8'));
}

test('the catalog tables are the Worker\'s D1 tables (sqlmigrate catalog 0001 = migrations/0002_catalog.sql)', () => {
  const r = python(`
import json, os, sqlite3, tempfile, django
from django.core.management import call_command
os.environ['SQLITE_PATH'] = os.path.join(tempfile.mkdtemp(), 'schema.sqlite3')
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'locallibrary.settings')
django.setup()
call_command('migrate', 'catalog', '0001', verbosity=0)
query = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name LIKE 'catalog%' ORDER BY name"
ours = sqlite3.connect(os.environ['SQLITE_PATH']).execute(query).fetchall()
d1 = sqlite3.connect(':memory:')
d1.executescript(open(${JSON.stringify(join(ROOT, 'migrations', '0002_catalog.sql'))}).read())
print(json.dumps({'django': ours, 'd1': d1.execute(query).fetchall()}))
`);
  assert.equal(r.status, 0, r.stderr);
  const { django, d1 } = JSON.parse(r.stdout);
  assert.equal(d1.filter(([type]) => type === 'table').length, 6);
  assert.equal(d1.filter(([type, name]) => type === 'index' && !name.startsWith('sqlite_autoindex')).length, 6);
  assert.deepEqual(django, d1);
});

test('routes.json (the route table the Worker reverses {% url %} with) is what Django\'s resolver says', () => {
  const r = spawnSync(PYTHON, ['manage.py', 'dump_routes', '--check'], { cwd: ORIGIN_DIR, encoding: 'utf8', env: origin.env });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  const check = python(`
import json, os, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'locallibrary.settings')
django.setup()
from django.urls import reverse
routes = json.load(open('routes.json'))['routes']
print(json.dumps({name: reverse(name) for name, path in routes.items() if '<' not in path}))
`);
  assert.equal(check.status, 0, check.stderr);
  const reversed = JSON.parse(check.stdout);
  for (const name of ['index', 'books', 'authors', 'bookinstances', 'genres', 'languages', 'login', 'logout', 'my-borrowed', 'all-borrowed']) {
    assert.ok(name in reversed, name);
  }
  const routes = JSON.parse(readFileSync(join(ORIGIN_DIR, 'routes.json'), 'utf8')).routes;
  for (const [name, path] of Object.entries(reversed)) assert.equal(routes[name], path, name);
});

test('/ redirects to /catalog/, which shows the sample catalog\'s counts and counts visits in a signed cookie', async () => {
  const jar = new CookieJar();
  const root = await jar.fetch(`${origin.base}/`);
  assert.equal(root.status, 301);
  assert.equal(root.headers.get('location'), '/catalog/');

  for (const expected of [1, 2, 3]) {
    const res = await jar.fetch(`${origin.base}/catalog/`);
    assert.equal(res.status, 200);
    // migrations/0003_sample_catalog.sql: 12 books, 28 copies (13 available), 8 authors.
    assert.deepEqual(counts(res.body), { Books: 12, Copies: 28, 'Copies available': 13, Authors: 8 });
    assert.equal(visitsOf(res.body), expected);
    assert.match(res.body, new RegExp(`You have visited this page ${expected} times?\\.`));
    assert.equal(res.headers.get('vary'), 'Cookie');
    assert.equal(res.setCookie.length, 1);
    assert.match(res.setCookie[0], /^sessionid=[^;]+; expires=[^;]+; HttpOnly; Max-Age=1209600; Path=\/; SameSite=Lax$/);
    assert.deepEqual(decodeSignedCookie(jar.get('sessionid')), { num_visits: expected });
  }
  assert.match((await jar.fetch(`${origin.base}/catalog/`)).body, /<a href="\/accounts\/login\/\?next=\/catalog\/">Login<\/a>/);
});

test('a session the Worker signed (same SECRET_KEY) continues at the origin', async () => {
  const cookie = `sessionid=${djangoSign('{"num_visits":41}', { secret: ORIGIN_SECRET })}`;
  const res = await fetch(`${origin.base}/catalog/`, { headers: { cookie } });
  assert.equal(visitsOf(await res.text()), 42);
  // A cookie signed with another key is not trusted: a fresh session.
  const other = `sessionid=${djangoSign('{"num_visits":41}', { secret: 'another-key' })}`;
  const fresh = await fetch(`${origin.base}/catalog/`, { headers: { cookie: other } });
  assert.equal(visitsOf(await fresh.text()), 1);
});

test('book and author lists render and paginate by 10; detail pages', async () => {
  const jar = new CookieJar();
  const page1 = await jar.fetch(`${origin.base}/catalog/books/`);
  assert.equal(page1.status, 200);
  assert.match(page1.body, /<h1>Book List<\/h1>/);
  assert.equal(listItems(page1.body), 10);
  assert.match(page1.body, /Page 1 of 2\./);
  assert.match(page1.body, /<a href="\/catalog\/books\/\?page=2">next<\/a>/);
  assert.match(page1.body, /<a href="\/catalog\/book\/2">Emma<\/a>\s*\(Austen, Jane\)/);
  const page2 = await jar.fetch(`${origin.base}/catalog/books/?page=2`);
  assert.equal(listItems(page2.body), 2);
  assert.match(page2.body, /Page 2 of 2\./);
  assert.match(page2.body, /<a href="\/catalog\/books\/\?page=1">previous<\/a>/);
  assert.equal((await jar.fetch(`${origin.base}/catalog/books/?page=3`)).status, 404);

  const authors = await jar.fetch(`${origin.base}/catalog/authors/`);
  assert.match(authors.body, /<h1>Author List<\/h1>/);
  assert.equal(listItems(authors.body), 8);
  assert.doesNotMatch(authors.body, /class="pagination"/);

  const book = await jar.fetch(`${origin.base}/catalog/book/1`);
  assert.match(book.body, /<h1>Title: Pride and Prejudice<\/h1>/);
  assert.match(book.body, /<strong>Genre:<\/strong> Fiction, Romance/);
  assert.equal((book.body.match(/<strong>Imprint:<\/strong>/g) || []).length, 3);
  const author = await jar.fetch(`${origin.base}/catalog/author/6`);
  assert.match(author.body, /<h1>Author: Dostoevsky, Fyodor<\/h1>/);
  assert.match(author.body, /Crime and Punishment/);

  for (const [path, items] of [['bookinstances/', 10], ['genres/', 6], ['languages/', 3]]) {
    const res = await jar.fetch(`${origin.base}/catalog/${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(listItems(res.body), items, path);
  }
  assert.equal(jar.get('sessionid'), undefined, 'list pages do not touch the session');
});

test('log in as reader, see "User: reader" and My Borrowed, log out with a POST', async () => {
  const jar = new CookieJar();
  await jar.fetch(`${origin.base}/catalog/`); // a visit before logging in: 1

  // Login-required pages send the visitor to the login page.
  const mine = await jar.fetch(`${origin.base}/catalog/mybooks/`);
  assert.equal(mine.status, 302);
  assert.equal(mine.headers.get('location'), '/accounts/login/?next=/catalog/mybooks/');

  const form = await jar.fetch(`${origin.base}/accounts/login/?next=/catalog/`);
  assert.equal(form.status, 200);
  assert.ok(jar.get('csrftoken'), 'the login page sets the CSRF cookie');
  const wrong = await jar.fetch(`${origin.base}/accounts/login/`, {
    method: 'POST', headers: { origin: origin.base },
    form: { csrfmiddlewaretoken: csrfToken(form.body), username: 'reader', password: 'wrong', next: '/catalog/' },
  });
  assert.equal(wrong.status, 200);
  assert.match(wrong.body, /Your username and password didn&#x27;t match|Your username and password didn't match/);

  const login = await jar.fetch(`${origin.base}/accounts/login/`, {
    method: 'POST', headers: { origin: origin.base },
    form: { csrfmiddlewaretoken: csrfToken(wrong.body), username: 'reader', password: DEMO_PASSWORD, next: '/catalog/' },
  });
  assert.equal(login.status, 302, login.body);
  assert.equal(login.headers.get('location'), '/catalog/');
  const session = decodeSignedCookie(jar.get('sessionid'));
  assert.equal(session.num_visits, 1, 'login keeps the session data (cycle_key)');
  assert.ok(session._auth_user_id, 'the session holds the user');

  const home = await jar.fetch(`${origin.base}/catalog/`);
  assert.match(home.body, /<li>User: reader<\/li>/);
  assert.match(home.body, /<a href="\/catalog\/mybooks\/">My Borrowed<\/a>/);
  assert.match(home.body, /<form id="logout-form" method="post" action="\/accounts\/logout\/">/);
  assert.doesNotMatch(home.body, />Login</);
  assert.doesNotMatch(home.body, /All borrowed/, 'not staff');
  assert.equal(visitsOf(home.body), 2, 'the count continues across the login');

  const borrowed = await jar.fetch(`${origin.base}/catalog/mybooks/`);
  assert.equal(borrowed.status, 200);
  assert.equal(listItems(borrowed.body), 3);
  assert.equal((await jar.fetch(`${origin.base}/catalog/borrowed/`)).status, 403, 'all-borrowed needs can_mark_returned');

  // Logging out is a POST with the CSRF token (Django 5 refuses GET).
  const logout = await jar.fetch(`${origin.base}/accounts/logout/`, {
    method: 'POST', headers: { origin: origin.base }, form: { csrfmiddlewaretoken: csrfToken(home.body) },
  });
  assert.equal(logout.status, 200);
  assert.match(logout.body, /Logged out!/);
  assert.ok(logout.setCookie.some((c) => /^sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=\/; SameSite=Lax$/.test(c)),
    `the session cookie is deleted: ${logout.setCookie}`);
  const after = await jar.fetch(`${origin.base}/catalog/`);
  assert.match(after.body, />Login</);
  assert.equal(visitsOf(after.body), 1, 'logout flushed the session');
});

test('the librarian sees Staff / All borrowed', async () => {
  const jar = new CookieJar();
  const form = await jar.fetch(`${origin.base}/accounts/login/`);
  const login = await jar.fetch(`${origin.base}/accounts/login/`, {
    method: 'POST', headers: { origin: origin.base },
    form: { csrfmiddlewaretoken: csrfToken(form.body), username: 'librarian', password: DEMO_PASSWORD, next: '/catalog/' },
  });
  assert.equal(login.status, 302);
  const home = await jar.fetch(`${origin.base}/catalog/`);
  assert.match(home.body, /<li>Staff<\/li>\s*<li><a href="\/catalog\/borrowed\/">All borrowed<\/a><\/li>/);
  const all = await jar.fetch(`${origin.base}/catalog/borrowed/`);
  assert.equal(all.status, 200);
  assert.equal(listItems(all.body), 8, 'every copy on loan');
  assert.match(all.body, /Pride and Prejudice<\/a> \(Dec\. 3, 2026\) - reader/);
});

test('settings come from the Worker\'s variable names; bad values name the setting', () => {
  const r = python(`
import os, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'locallibrary.settings')
django.setup()
from django.test import Client
res = Client(HTTP_HOST='localhost').get('/catalog/')
print(res.cookies.output(header='').strip())
`, {
    SESSION_COOKIE_NAME: 'll_session', SESSION_COOKIE_AGE: '60', SESSION_COOKIE_SECURE: 'TRUE',
    SESSION_COOKIE_SAMESITE: 'strict', SESSION_COOKIE_PATH: '/catalog/', SESSION_COOKIE_HTTPONLY: '0',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^ll_session=[^;]+; expires=[^;]+; Max-Age=60; Path=\/catalog\/; SameSite=Strict; Secure$/);

  for (const [name, value] of [['SESSION_COOKIE_SECURE', 'maybe'], ['SESSION_COOKIE_AGE', 'ten'],
                               ['SESSION_COOKIE_SAMESITE', 'sometimes'], ['SECRET_KEY_FALLBACKS', '["ok", 3]'],
                               ['SESSION_COOKIE_PATH', 'catalog'], ['SESSION_SERIALIZER', 'django.contrib.sessions.serializers.PickleSerializer'],
                               ['SECRET_KEY', '']]) {
    const bad = python('import os, django; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "locallibrary.settings"); django.setup()',
      { [name]: value });
    assert.notEqual(bad.status, 0, name);
    assert.match(bad.stderr, new RegExp(`ImproperlyConfigured: ${name}: `), name);
  }
});

test('behind the Worker: forwarded host and scheme are honoured, unknown hosts refused', async () => {
  const jar = new CookieJar();
  const form = await jar.fetch(`${origin.base}/accounts/login/`, { headers: { 'x-forwarded-host': 'localhost:8787', 'x-forwarded-proto': 'https' } });
  assert.equal(form.status, 200);
  // The forwarded scheme makes the request secure: the CSRF check then
  // requires a same-origin Referer, as for a visitor on https.
  const token = csrfToken(form.body);
  const post = (referer) => jar.fetch(`${origin.base}/accounts/login/`, {
    method: 'POST',
    headers: { 'x-forwarded-host': 'localhost:8787', 'x-forwarded-proto': 'https', referer, origin: 'https://localhost:8787' },
    form: { csrfmiddlewaretoken: token, username: 'reader', password: DEMO_PASSWORD, next: '/catalog/' },
  });
  assert.equal((await post('https://evil.example/')).status, 403);
  assert.equal((await post('https://localhost:8787/accounts/login/')).status, 302);
  const refused = await fetch(`${origin.base}/catalog/`, { headers: { 'x-forwarded-host': 'evil.example' } });
  assert.equal(refused.status, 400);
});
