// ISSUE 13, end to end in a real browser: Debian's Chromium (playwright-core)
// walks the site through the Worker (wrangler dev) with ORIGIN set to the
// example Django origin (examples/django-origin under gunicorn), both with the
// same SECRET_KEY. The home page is served at the edge, everything else by
// the origin, and the visit count, the login and the logout carry across
// because both sides read and write the same signed_cookies session.
//
// Which side answered: the Worker's `X-Served-By: edge|origin` header.
// Then the origin is stopped: the Worker answers 502 and sets no cookie.
//
// Needs the Worker's ORIGIN pass-through; until it exists this test fails at
// its first X-Served-By assertion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './helpers.js';
import { DEMO_PASSWORD, ORIGIN_SECRET, startOrigin } from './origin.js';
import { startWranglerDev } from './wrangler.js';

const OUT = join(ROOT, 'test-output', 'origin-walk');
const BOOTSTRAP_CSS = readFileSync(join(ROOT, 'node_modules/bootstrap/dist/css/bootstrap.min.css'));
let origin;
let dev;
let browser;

before(async () => {
  origin = await startOrigin();
  dev = await startWranglerDev({ vars: { ORIGIN: origin.base, SECRET_KEY: ORIGIN_SECRET } });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});
after(async () => {
  await browser?.close();
  dev?.stop();
  origin?.stop();
});

const visits = async (page) => {
  const m = (await page.locator('text=/You have visited this page \\d+ times?\\./').innerText()).match(/(\d+)/);
  return Number(m[1]);
};

// Runs `action` (a click, a goto) and returns the response of the document
// that ends up at `pathname` (after any redirects).
async function documentAt(page, pathname, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().resourceType() === 'document' && new URL(r.url()).pathname === pathname),
    action(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return response;
}

async function servedBy(response) {
  const side = await response.headerValue('x-served-by');
  assert.ok(side === 'edge' || side === 'origin',
    `${response.url()}: X-Served-By is ${JSON.stringify(side)}, expected edge or origin (the Worker's ORIGIN pass-through, ISSUE 13)`);
  return side;
}

const link = (page, name) => page.getByRole('link', { name, exact: true });

test('home at the edge, books at the origin, log in and out at the origin, one session throughout; origin down: 502', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route(/^https:\/\/cdn\.jsdelivr\.net\//, (route) => route.fulfill({ status: 404, body: '' }));
  await page.route(/^https:\/\/cdn\.jsdelivr\.net\/npm\/bootstrap@[^/]+\/dist\/css\/bootstrap\.min\.css/, (route) =>
    route.fulfill({ status: 200, contentType: 'text/css', body: BOOTSTRAP_CSS, headers: { 'Access-Control-Allow-Origin': '*' } }));
  mkdirSync(OUT, { recursive: true });

  // 1. The home page, at the edge: visit 1, a Login link.
  let res = await documentAt(page, '/catalog/', () => page.goto(`${dev.base}/`));
  assert.equal(res.status(), 200);
  assert.equal(await servedBy(res), 'edge');
  assert.equal(await page.locator('h1').innerText(), 'Local Library Home');
  assert.equal(await visits(page), 1);
  assert.equal(await link(page, 'Login').count(), 1);

  // 2. All books: the origin's generic ListView, paginated by 10.
  res = await documentAt(page, '/catalog/books/', () => link(page, 'All books').click());
  assert.equal(res.status(), 200);
  assert.equal(await servedBy(res), 'origin');
  assert.equal(await page.locator('h1').innerText(), 'Book List');
  assert.match(await page.locator('.page-current').innerText(), /Page 1 of 2\./);
  // Static files come from the Worker (the origin serves none): styled sidebar.
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.sidebar-nav')).listStyleType), 'none');

  // 3. Home again: the count continues in the same session, whoever serves it.
  res = await documentAt(page, '/catalog/', () => link(page, 'Home').click());
  await servedBy(res);
  assert.equal(await visits(page), 2);

  // 4. Log in at the origin (Django's LoginView, CSRF token in the form).
  res = await documentAt(page, '/accounts/login/', () => link(page, 'Login').click());
  assert.equal(await servedBy(res), 'origin');
  await page.locator('input[name="username"]').fill('reader');
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  res = await documentAt(page, '/catalog/', () => page.locator('input[type="submit"]').click());
  assert.equal(res.status(), 200);
  await servedBy(res);
  assert.equal(await page.getByText('User: reader', { exact: true }).count(), 1, 'the home page shows the logged-in user');
  assert.equal(await link(page, 'My Borrowed').count(), 1);
  assert.equal(await link(page, 'Login').count(), 0);
  assert.equal(await visits(page), 3, 'logging in keeps the session data');
  await page.screenshot({ path: join(OUT, 'logged-in.png'), fullPage: true });

  // My Borrowed: login_required, at the origin.
  res = await documentAt(page, '/catalog/mybooks/', () => link(page, 'My Borrowed').click());
  assert.equal(res.status(), 200);
  assert.equal(await servedBy(res), 'origin');
  assert.equal(await page.locator('h1').innerText(), 'Borrowed books');

  // 5. Log out: a POST form (Django 5 refuses GET).
  res = await documentAt(page, '/accounts/logout/', () => page.getByRole('button', { name: 'Logout' }).click());
  assert.equal(res.status(), 200);
  assert.equal(await servedBy(res), 'origin');
  assert.match(await page.locator('body').innerText(), /Logged out!/);

  // 6. Home is the edge page again, in a fresh session.
  res = await documentAt(page, '/catalog/', () => link(page, 'Home').click());
  assert.equal(await servedBy(res), 'edge');
  assert.equal(await link(page, 'Login').count(), 1);
  assert.equal(await visits(page), 1, 'logout flushed the session');

  // 7. The origin stops: pages it serves are a 502 from the Worker, with no cookie.
  const before = (await context.cookies()).find((c) => c.name === 'sessionid')?.value;
  origin.stop();
  await origin.exited;
  res = await documentAt(page, '/catalog/books/', () => page.goto(`${dev.base}/catalog/books/`));
  assert.equal(res.status(), 502);
  assert.equal(await res.headerValue('set-cookie'), null, 'a 502 sets no cookie');
  assert.equal((await context.cookies()).find((c) => c.name === 'sessionid')?.value, before, 'the session cookie is untouched');
  await context.close();
});
