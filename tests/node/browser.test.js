// The page in a real browser: Debian's Chromium driven by playwright-core
// against wrangler dev. Saves a screenshot under test-output/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './helpers.js';
import { startWranglerDev } from './wrangler.js';

const OUT = join(ROOT, 'test-output', 'browser');
const BOOTSTRAP_CSS = readFileSync(join(ROOT, 'node_modules/bootstrap/dist/css/bootstrap.min.css'));
let dev;
let browser;

before(async () => {
  dev = await startWranglerDev();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});
after(async () => {
  await browser?.close();
  dev?.stop();
});

const visitsText = (page) => page.locator('text=/You have visited this page \\d+ times?\\./').innerText();

test('open /, land on /catalog/, count visits, HttpOnly cookie, clearing cookies restarts', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Playwright tries the newest route first: the catch-all goes in first.
  await page.route(/^https:\/\/cdn\.jsdelivr\.net\//, (route) => route.fulfill({ status: 404, body: '' }));
  // The machine has no route to Bootstrap's CDN: serve the same release from
  // the npm package instead, so the page renders as a visitor sees it.
  await page.route(/^https:\/\/cdn\.jsdelivr\.net\/npm\/bootstrap@[^/]+\/dist\/css\/bootstrap\.min\.css/, (route) =>
    route.fulfill({ status: 200, contentType: 'text/css', body: BOOTSTRAP_CSS, headers: { 'Access-Control-Allow-Origin': '*' } }));

  const response = await page.goto(`${dev.base}/`);
  assert.equal(new URL(page.url()).pathname, '/catalog/');
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Local Library Home');
  assert.equal(await visitsText(page), 'You have visited this page 1 time.');

  await page.reload();
  await page.reload();
  assert.equal(await visitsText(page), 'You have visited this page 3 times.');

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'sessionid');
  assert.ok(session, 'the browser stored the session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.equal(await page.evaluate(() => document.cookie.includes('sessionid')), false, 'not visible to scripts');

  // The stylesheet and the UML image come from Workers static assets.
  const css = await page.evaluate(() => getComputedStyle(document.querySelector('.sidebar-nav')).listStyleType);
  assert.equal(css, 'none');
  // Bootstrap's grid puts the sidebar beside the content.
  const side = await page.evaluate(() => {
    const nav = document.querySelector('.sidebar-nav').getBoundingClientRect();
    const h1 = document.querySelector('h1').getBoundingClientRect();
    return nav.right <= h1.left + 1;
  });
  assert.ok(side, 'sidebar beside the content (Bootstrap applied)');
  const imageLoaded = await page.evaluate(() => {
    const img = document.querySelector('img[src$="local_library_model_uml.png"]');
    return img && img.complete && img.naturalWidth > 0;
  });
  assert.ok(imageLoaded, 'the UML image loads');

  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, 'catalog.png'), fullPage: true });

  await context.clearCookies();
  await page.reload();
  assert.equal(await visitsText(page), 'You have visited this page 1 time.');
  await context.close();
});
