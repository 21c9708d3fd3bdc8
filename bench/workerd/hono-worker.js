// The same job as locallibrary-edge written with Hono, as its documentation
// shows: routes on a Hono app, signed cookies from hono/cookie
// (getSignedCookie/setSignedCookie: HMAC-SHA256 with WebCrypto), the session
// as JSON in the cookie, the counts from the same D1 batch, the same page
// bytes and headers (bench/workerd/lib/page.js).
import { Hono } from 'hono';
import { getSignedCookie, setSignedCookie } from 'hono/cookie';
import { AGE, COOKIE, SECURITY, counts, page } from './lib/page.js';

const app = new Hono();

app.get('/', (c) => c.redirect('/catalog/', 301));

app.get('/catalog/', async (c) => {
  const [raw, n] = await Promise.all([getSignedCookie(c, c.env.SECRET_KEY, COOKIE), counts(c.env.DB)]);
  let session = {};
  try {
    if (raw) session = JSON.parse(raw);
  } catch {}
  const visits = (typeof session.num_visits === 'number' ? session.num_visits : 0) + 1;
  session.num_visits = visits;
  await setSignedCookie(c, COOKIE, JSON.stringify(session), c.env.SECRET_KEY, {
    httpOnly: true, maxAge: AGE, expires: new Date(Date.now() + AGE * 1000), path: '/', sameSite: 'Lax',
  });
  for (const [name, value] of SECURITY) c.header(name, value);
  c.header('Vary', 'Cookie');
  return c.html(page({ ...n, visits }));
});

export default app;
