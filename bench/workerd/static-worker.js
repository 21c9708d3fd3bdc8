// The floor: a Worker answering every request with a fixed page, the bytes
// our Worker returned for the benchmark cookie (page.js is written by
// bench/workerd/run.mjs), and the same headers minus the session ones. No
// session, no bindings touched.
import { PAGE } from './page.js';

export default {
  async fetch() {
    return new Response(PAGE, {
      headers: {
        'Content-Type': 'text/html; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'same-origin',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'X-Frame-Options': 'DENY',
      },
    });
  },
};
