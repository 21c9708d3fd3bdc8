// The limit: the same I/O and bytes as locallibrary-edge with zero compute.
// It reads the Cookie header, runs the same D1 batch, and answers our page
// and a Set-Cookie of our cookie's length, both captured from our Worker
// before the run (run.mjs defines LIMIT_PAGE and LIMIT_SET_COOKIE when it
// bundles this file). What separates a Worker from this is what its session
// and page cost.
import { COUNT_SQL, SECURITY } from './lib/page.js';

/* global LIMIT_PAGE, LIMIT_SET_COOKIE */
const PAGE = LIMIT_PAGE;
// An object, the cheapest form the Response constructor takes: a list of
// pairs goes through the iterator protocol, ~20 µs more per response in
// workerd here, which would put the limit that much above what is possible.
const HEADERS = Object.fromEntries([['Content-Type', 'text/html; charset=utf-8'], ...SECURITY, ['Set-Cookie', LIMIT_SET_COOKIE], ['Vary', 'Cookie']]);

export default {
  async fetch(request, env) {
    request.headers.get('Cookie');
    const db = env.DB;
    await db.batch(COUNT_SQL.map((sql) => db.prepare(sql)));
    return new Response(PAGE, { headers: HEADERS });
  },
};
