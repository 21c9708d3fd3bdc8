// Load through real workerd (wrangler dev on loopback), bounded: 32
// concurrent visitors, each with its own session, 50 sequential visits each,
// for the signed-cookie and the KV engine. Every final count must equal the
// visits made, with zero 5xx. Also: one visitor's concurrent requests, which
// Django resolves as "last writer wins" and so do we.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cookieValue, visitsOf } from './helpers.js';
import { startWranglerDev } from './wrangler.js';

const VISITORS = 32;
const VISITS = 50;
const DEADLINE_MS = 120_000;

async function visitor(base, deadline) {
  let cookie;
  let last = 0;
  for (let i = 0; i < VISITS; i++) {
    if (Date.now() > deadline) throw new Error('load test ran past its time bound');
    const res = await fetch(`${base}/catalog/`, { headers: cookie ? { cookie } : {} });
    if (res.status >= 500) throw new Error(`5xx under load: ${res.status}`);
    const body = await res.text();
    last = visitsOf(body);
    const set = cookieValue(res.headers.get('set-cookie'));
    if (set) cookie = `sessionid=${set}`;
  }
  return { last, cookie };
}

for (const engine of ['signed_cookies', 'cache']) {
  describe(`load, ${engine} engine`, () => {
    let dev;
    before(async () => {
      dev = await startWranglerDev({ vars: { SESSION_ENGINE: `django.contrib.sessions.backends.${engine}` } });
    });
    after(() => dev?.stop());

    test(`${VISITORS} visitors x ${VISITS} visits: every count exact, no 5xx`, async () => {
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: VISITORS }, () => visitor(dev.base, started + DEADLINE_MS)));
      const seconds = (Date.now() - started) / 1000;
      for (const r of results) assert.equal(r.last, VISITS);
      const rps = (VISITORS * VISITS) / seconds;
      console.log(`# load ${engine}: ${VISITORS * VISITS} requests in ${seconds.toFixed(2)} s = ${rps.toFixed(0)} req/s (wrangler dev)`);
    });

    test('concurrent requests from one visitor: last writer wins, as in Django', async () => {
      // Setup: one visitor's 50 visits. A failure here (a 5xx, the time
      // bound) fails the test; it must not race with no cookie at all.
      const { last, cookie } = await visitor(dev.base, Date.now() + DEADLINE_MS);
      assert.equal(last, VISITS, 'setup: the visitor counted every visit');
      assert.match(cookie ?? '', /^sessionid=./, 'setup: the visitor has a session cookie');
      // The visitor has 50 visits; five requests race with the same session.
      const answers = await Promise.all(Array.from({ length: 5 }, () =>
        fetch(`${dev.base}/catalog/`, { headers: { cookie } }).then(async (r) => ({ status: r.status, visits: visitsOf(await r.text()), set: r.headers.get('set-cookie') }))));
      for (const a of answers) {
        assert.equal(a.status, 200);
        assert.ok(a.visits > VISITS && a.visits <= VISITS + 5, `racing request shows ${a.visits}`);
      }
      // No locking, as in Django: whichever save lands last wins, and the
      // session continues from one of the racing answers, not from their sum
      // when they overlapped.
      const follow = engine === 'cache' ? cookie : `sessionid=${cookieValue(answers[4].set)}`;
      const next = visitsOf(await (await fetch(`${dev.base}/catalog/`, { headers: { cookie: follow } })).text());
      assert.ok(answers.some((a) => a.visits === next - 1), `next visit ${next} continues one racing answer`);
    });
  });
}
