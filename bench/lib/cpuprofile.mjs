// Summarises a V8 CPU profile (node --cpu-prof, or the inspector's
// Profiler.stop in workerd): self time by category and by function.
import { basename } from 'node:path';

// The shim's functions by name, for the bundled index.js where the file of
// origin is gone (workerd) and for js-shim/*.js (Node).
const ENVELOPE = new Set(['u8v', 'u32', 'f64', 'str', 'raw', 'rest', 'symbol', 'value', 'readOps', 'readResponse',
  'readManifest', 'writeRequest', 'tryWriteRequest', 'loadedUnits', 'output', 'views', 'writeInput', 'Reader', 'request',
  'guarded', 'check', 'write', 'loaded', 'cell', 'text', 'urlPart', 'readOrigin', 'Writer']);
const WORKER = new Set(['fetch', 'runLoads', 'runLoadsUntimed', 'runEffects', 'withTimeout', 'statement', 'answerTo',
  'envJson', 'envJsonOf', 'toResponse', 'ensure', 'prefetchFor', 'targetOf', 'pathOf', 'random', 'deflate', 'inflate',
  'bytes']);

export function category(cf) {
  const u = cf.url || '';
  const f = cf.functionName || '';
  if (f === '(garbage collector)') return 'garbage collector';
  if (f === '(idle)' || f === '(program)' || f === '(root)') return null;
  if (/^wasm-function|^\$/.test(f) || u.startsWith('wasm://') || /^[0-9a-f]{8}$/.test(basename(u))) return 'WASM core (compiled C++)';
  if (/zlib/i.test(u) || /^zlibSync$|^processChunkSync$|^Zlib$|^(deflate|inflate)Sync$/.test(f)) return 'zlib (deflateSync/inflateSync)';
  if (/crypto|hash|random/.test(u) || /^(Hmac|HmacHandle|Hash|HashHandle|digest|createHmac|createHash|getRandomValues|randomFillSync)$/.test(f)) return 'crypto (HMAC, SHA-256, getRandomValues)';
  if (/js-shim\/core\.js/.test(u) || (/index\.js$/.test(u) && ENVELOPE.has(f))) return 'shim: envelope (core.js: encode/decode, copies)';
  if (/js-shim\/(worker|platform)\.js/.test(u) || (/index\.js$/.test(u) && WORKER.has(f))) return 'shim: worker.js/platform.js (fetch, loads, env, Response)';
  if (/undici|fetch|headers|webidl|internal\/url/.test(u) || /^(Headers|Request|Response|URL|append|get|set|text|arrayBuffer|clone)$/.test(f)) return 'Request/Response/Headers/URL';
  if (/encoding|buffer|util/.test(u) || /^(encode|decode|encodeInto|from|encodeUtf8String)$/.test(f)) return 'TextEncoder/TextDecoder/Buffer';
  if (/bench\//.test(u)) return 'benchmark harness';
  if (/setTimeout|clearTimeout|Promise|then|finally|race|all/.test(f)) return 'timers/promises';
  return 'other JS / runtime';
}

export function summarize(profile, { top = 15 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfTime = new Map();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) || 0) + (profile.timeDeltas[i] || 0)));
  const cats = new Map();
  const fns = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, t] of selfTime) {
    const cf = byId.get(id).callFrame;
    const c = category(cf);
    if (c === null) { idle += t; continue; }
    total += t;
    cats.set(c, (cats.get(c) || 0) + t);
    const name = `${cf.functionName || '(anonymous)'}${cf.url ? ` (${basename(cf.url)}${cf.lineNumber >= 0 ? `:${cf.lineNumber + 1}` : ''})` : ''}`;
    fns.set(name, (fns.get(name) || 0) + t);
  }
  const sorted = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, t]) => ({ name, pct: (t / total) * 100 }));
  return {
    busy_fraction: total / (total + idle),
    categories: sorted(cats, 20),
    top: sorted(fns, top).map(({ name, pct }) => ({ fn: name, pct })),
  };
}
