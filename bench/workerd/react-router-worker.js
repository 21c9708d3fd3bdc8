// The same job as locallibrary-edge with React Router's session API, as its
// documentation shows: createCookieSessionStorage (a signed cookie holding
// the session, HMAC-SHA256 with WebCrypto), getSession/commitSession around
// the view, the counts from the same D1 batch, the same page bytes and
// headers (bench/workerd/lib/page.js). The page is the shared template
// string, not a React render, so only the session handling is compared.
import { createCookieSessionStorage } from 'react-router';
import { AGE, COOKIE, SECURITY, counts, page } from './lib/page.js';

let storage = null; // per isolate

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/') return new Response(null, { status: 301, headers: { Location: '/catalog/' } });
    if (pathname !== '/catalog/') return new Response('Not Found', { status: 404 });
    storage ??= createCookieSessionStorage({
      cookie: { name: COOKIE, secrets: [env.SECRET_KEY], httpOnly: true, maxAge: AGE, path: '/', sameSite: 'lax' },
    });
    const [session, n] = await Promise.all([storage.getSession(request.headers.get('Cookie')), counts(env.DB)]);
    const visits = (session.get('num_visits') ?? 0) + 1;
    session.set('num_visits', visits);
    const headers = new Headers([['Content-Type', 'text/html; charset=utf-8'], ...SECURITY]);
    headers.append('Set-Cookie', await storage.commitSession(session));
    headers.append('Vary', 'Cookie');
    return new Response(page({ ...n, visits }), { headers });
  },
};
