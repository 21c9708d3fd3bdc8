// The WASM core behind a small JS object: instantiate from a compiled
// WebAssembly.Module (Workers forbid compiling at run time), move bytes in and
// out (src/http/envelope.cpp is the other half; js-shim/abi.js holds the
// constants both sides use), and re-create the instance after a trap. It makes
// no session or page decisions. A request is one call into the module,
// ll_request, plus one more per round of loads the core still needs; the
// input is written straight into the module's buffer and the output read
// straight from its memory.
import { ABSENT, CONFIG, LOAD, OP, RESULT, VALUE, VERSION } from './abi.js';
import { platformImports, wasiImports } from './platform.js';

// The functions a request runs are parenthesized function expressions,
// `(function name() {...})`: V8 compiles a function on its first call, except
// such "possibly invoked" ones, which it compiles with the script. The script
// is loaded when an isolate starts (in Workers, while the TLS handshake is
// still running); the first request then finds them compiled instead of
// compiling them itself (~2 ms of its cold start under Node: README.md, "The
// JS/WASM boundary"; tests/node/first_request.test.js keeps it so). Class
// methods and arrow functions are always compiled lazily, hence prototypes and
// object literals here. Rarely taken paths stay plain functions, compiled only
// if they run. esbuild's minifier keeps the parentheses (V8's heuristic is
// documented at https://v8.dev/blog/preparser).

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const Core = (function Core(module, { log = console } = {}) {
  this.module = module;
  this.log = log;
  this.instance = null;
  this.envJson = null;
  this.configError = null;
  this.manifest = null;
  this.instantiations = 0;
});

// Per-isolate: instantiate and configure once; again only after a trap (or
// for another environment).
Core.prototype.ensure = (function ensure(envJson) {
  if (this.instance && this.envJson === envJson) return;
  if (!this.instance) this.instantiate();
  this.envJson = envJson;
  try {
    const bytes = encoder.encode(envJson);
    this.writeInput(bytes.length).set(bytes);
    const out = this.output(this.exports.ll_configure(bytes.length));
    if (out.kind === CONFIG.OK) {
      this.configError = null;
      this.manifest = readManifest(out.reader, this.symbols);
    } else {
      this.configError = decoder.decode(out.reader.rest());
      this.manifest = { requestHeaders: [], prefetch: new Map(), engine: '', requestLog: false };
      this.log.error(this.configError);
    }
  } catch (err) {
    throw this.trapped(err);
  }
});

Core.prototype.instantiate = (function instantiate() {
  let memory = null;
  const getMemory = () => memory;
  const instance = new WebAssembly.Instance(this.module, {
    ll: platformImports(getMemory),
    wasi_snapshot_preview1: wasiImports(getMemory, (text) => this.log.error(text)),
    env: { emscripten_notify_memory_growth: (function emscripten_notify_memory_growth() {}) },
  });
  memory = instance.exports.memory;
  // The build normally runs both at build time (wasm-ctor-eval) and removes
  // them; a module built without that runs them here.
  if (instance.exports._initialize) instance.exports._initialize();
  if (instance.exports.ll_preload) instance.exports.ll_preload();
  this.instance = instance;
  this.exports = instance.exports;
  this.memory = memory;
  this.buffer = null;
  this.inputPtr = 0;
  this.inputCap = 0;
  // Strings the module sends once and then by number (bindings, SQL).
  this.symbols = [];
  this.instantiations++;
});

// Views of the memory, re-made only when growth replaced its buffer.
Core.prototype.views = (function views() {
  const buffer = this.memory.buffer;
  if (buffer !== this.buffer) {
    this.buffer = buffer;
    this.u8 = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
  }
});

// The module's input buffer, at least n bytes. Sized in powers of two, so
// it stops growing once the largest request has been seen.
Core.prototype.writeInput = (function writeInput(n) {
  if (n > this.inputCap) {
    let cap = 4096;
    while (cap < n) cap *= 2;
    this.inputCap = cap;
    this.inputPtr = this.exports.ll_input(cap);
  }
  this.views();
  return this.u8.subarray(this.inputPtr, this.inputPtr + n);
});

Core.prototype.output = (function output(ptr) {
  this.views();
  const kind = this.dv.getUint32(ptr, true);
  const length = this.dv.getUint32(ptr + 4, true);
  return { kind, reader: new Reader(this.u8, this.dv, ptr + 8, ptr + length, this.symbols) };
});

// A trap discards the instance so the next request starts clean; so does
// output the shim cannot read (the symbol tables would disagree).
Core.prototype.trapped = function trapped(err) {
  this.instance = null;
  return new CoreTrap(err);
};

// Runs fn, discarding the instance if it fails (the paths that run rarely;
// ensure and request do the same inline, so no closure is made per call).
Core.prototype.guarded = function guarded(fn) {
  try {
    return fn();
  } catch (err) {
    throw this.trapped(err);
  }
};

// The manifest's prefetch rule for this path and method, or null.
Core.prototype.prefetchFor = (function prefetchFor(path, method) {
  const rule = this.manifest.prefetch.get(path);
  return rule && rule.methods.includes(method) ? rule : null;
});

// One step of a request: {loads} still needed, or {response}. The
// response's body is a view of WASM memory, valid until the next call.
Core.prototype.request = (function request(input, loaded) {
  try {
    const length = writeRequest(this, input, loaded);
    const out = this.output(this.exports.ll_request(length));
    if (out.kind === RESULT.LOADS) return { loads: readOps(out.reader), response: null, origin: null };
    if (out.kind === RESULT.ORIGIN) return { loads: null, response: null, origin: readOrigin(out.reader) };
    return { loads: null, response: readResponse(out.reader), origin: null };
  } catch (err) {
    throw this.trapped(err);
  }
});

// The effects of the request's attempt-th run failed (FAILURE.*): the
// response to send, or {retry: ms} to run the request again after a random
// pause below ms (a compare-and-set lost a race; the core bounds the runs).
Core.prototype.effectFailure = function effectFailure(kind, attempt = 1) {
  return this.guarded(() => {
    const out = this.output(this.exports.ll_effect_failure(kind, attempt));
    if (out.kind === RESULT.RETRY) return { retry: out.reader.u32() };
    return { response: readResponse(out.reader) };
  });
};

Core.prototype.scheduled = function scheduled(now) {
  return this.guarded(() => readResponse(this.output(this.exports.ll_scheduled(now)).reader));
};

Core.prototype.errorPage = function errorPage(status) {
  return this.guarded(() => readResponse(this.output(this.exports.ll_error_page(status)).reader));
};

export class CoreTrap extends Error {
  constructor(cause) {
    super(`WASM core trapped: ${cause && cause.message}`);
    this.name = 'CoreTrap';
    this.cause = cause;
  }
}

// input: {method, target, headers (a Headers), now (seconds), url (the
// request's URL: the manifest's ":scheme" and ":authority"), attempt (1, or
// the run after a lost compare-and-set)}; loaded: the
// answers so far, [{tag, status, kind, value, rows}]. Each string is encoded
// straight into the module's input buffer, sized for one byte per UTF-16
// unit (what ASCII needs) and, if some text needs more, sized for the worst
// case (3 bytes per unit) and written again. Only the headers the manifest
// names are read.
const writeRequest = (function writeRequest(core, input, loaded) {
  const names = core.manifest.requestHeaders;
  const values = new Array(names.length);
  let units = input.method.length + input.target.length;
  let fixed = 8 + 4 + 8 + 4;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const v = name.charCodeAt(0) === 58 ? urlPart(input.url, name) : input.headers.get(name);
    values[i] = v;
    fixed += 4;
    if (v !== null) units += v.length;
  }
  for (let i = 0; i < loaded.length; i++) {
    fixed += 6 + 8;
    units += loadedUnits(loaded[i]);
  }
  let written = writer.write(core, input, values, loaded, fixed + units);
  if (written < 0) written = writer.write(core, input, values, loaded, fixed + 3 * units);
  if (written < 0) throw new Error('request input did not fit its worst-case size');
  return written;
});

// One writer per isolate: no closures or allocations per request.
const writer = {
  out: null,
  dv: null,
  base: 0,
  pos: 0,
  overflow: false,
  // Returns the bytes written, or -1 if `bound` was too small.
  write: (function write(core, input, values, loaded, bound) {
    this.out = core.writeInput(bound);
    this.dv = core.dv;
    this.base = this.out.byteOffset;
    this.overflow = false;
    this.dv.setFloat64(this.base, input.now, true);
    this.pos = 8;
    this.u32(input.attempt ?? 1);
    this.str(input.method);
    this.str(input.target);
    for (let i = 0; i < values.length; i++) {
      if (values[i] === null) this.u32(ABSENT);
      else this.str(values[i]);
    }
    this.u32(loaded.length);
    for (let i = 0; i < loaded.length && !this.overflow; i++) this.loaded(loaded[i]);
    this.out = null;
    return this.overflow ? -1 : this.pos;
  }),
  u32: (function u32(v) {
    this.dv.setUint32(this.base + this.pos, v, true);
    this.pos += 4;
  }),
  str: (function str(text) {
    const out = this.out;
    const start = this.pos + 4;
    const n = text.length;
    // Short ASCII text (methods, paths, cookies, column names) is copied
    // here: encodeInto is a call into the runtime and needs a subarray.
    if (n <= 256 && start + n <= out.length) {
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        out[start + i] = c;
      }
      if (i === n) {
        this.dv.setUint32(this.base + this.pos, n, true);
        this.pos = start + n;
        return;
      }
    }
    const { read, written } = encoder.encodeInto(text, out.subarray(start));
    if (read !== n) this.overflow = true;
    this.dv.setUint32(this.base + this.pos, written, true);
    this.pos = start + written;
  }),
  loaded: (function loaded(l) {
    const out = this.out;
    this.u32(l.tag);
    out[this.pos++] = l.status;
    out[this.pos++] = l.kind;
    if (l.status === LOAD.PENDING) return;
    if (l.kind === OP.KV_GET) {
      this.str(l.value ?? '');
      return;
    }
    if (l.kind === OP.DO_GET) {
      this.str(l.value ?? '');
      this.dv.setFloat64(this.base + this.pos, l.version ?? 0, true);
      this.pos += 8;
      return;
    }
    const rows = l.rows ?? [];
    const columns = rows.length ? Object.keys(rows[0]) : [];
    this.u32(columns.length);
    for (const c of columns) this.str(c);
    this.u32(rows.length);
    for (const row of rows) {
      for (const c of columns) {
        this.cell(row[c]);
        if (this.overflow) return;
      }
    }
  }),
  cell: (function cell(v) {
    const out = this.out;
    if (v === null || v === undefined) {
      out[this.pos++] = VALUE.NULL;
    } else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      out[this.pos++] = VALUE.NUMBER;
      this.dv.setFloat64(this.base + this.pos, Number(v), true);
      this.pos += 8;
    } else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      out[this.pos++] = VALUE.BLOB;
      this.u32(bytes.length);
      out.set(bytes, this.pos);
      this.pos += bytes.length;
    } else {
      out[this.pos++] = VALUE.TEXT;
      this.str(String(v));
    }
  }),
};

// The pseudo-headers ":scheme" and ":authority" of an absolute URL.
const urlPart = (function urlPart(url, name) {
  if (!url) return null;
  const colon = url.indexOf(':');
  if (name === ':scheme') return url.slice(0, colon);
  if (name !== ':authority') return null;
  const start = colon + 3;
  const end = url.indexOf('/', start);
  return url.slice(start, end < 0 ? url.length : end);
});

// UTF-16 units (or blob bytes) a loaded answer carries, plus its fixed parts.
const loadedUnits = (function loadedUnits(l) {
  if (l.status === LOAD.PENDING) return 0;
  if (l.kind === OP.KV_GET) return (l.value ?? '').length;
  if (l.kind === OP.DO_GET) return (l.value ?? '').length + 8;
  let n = 0;
  const rows = l.rows ?? [];
  const columns = rows.length ? Object.keys(rows[0]) : [];
  for (const c of columns) n += 4 + c.length;
  for (const row of rows) {
    for (const c of columns) {
      const v = row[c];
      n += 9;
      if (typeof v === 'string') n += 4 + v.length;
      else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) n += 4 + v.byteLength;
      else if (v !== null && typeof v === 'object') n += 4 + String(v).length;
    }
  }
  return n;
});

const Reader = (function Reader(u8, dv, pos, end, symbols) {
  this.u8 = u8;
  this.dv = dv;
  this.pos = pos;
  this.end = end;
  this.symbols = symbols;
});
Reader.prototype.check = (function check(n) {
  if (this.pos + n > this.end) throw new Error('core output is truncated');
});
Reader.prototype.u8v = (function u8v() {
  this.check(1);
  return this.u8[this.pos++];
});
Reader.prototype.u32 = (function u32() {
  this.check(4);
  const v = this.dv.getUint32(this.pos, true);
  this.pos += 4;
  return v;
});
Reader.prototype.f64 = (function f64() {
  this.check(8);
  const v = this.dv.getFloat64(this.pos, true);
  this.pos += 8;
  return v;
});
// A view of WASM memory: valid until the next call into the module.
Reader.prototype.raw = (function raw() {
  const n = this.u32();
  this.check(n);
  const b = this.u8.subarray(this.pos, this.pos + n);
  this.pos += n;
  return b;
});
Reader.prototype.rest = (function rest() {
  return this.u8.subarray(this.pos, this.end);
});
Reader.prototype.str = (function str() {
  const b = this.raw();
  // Header names and values are mostly short ASCII: building the string
  // directly is several times cheaper than a TextDecoder call.
  if (b.length <= 128) {
    let ascii = true;
    for (let i = 0; i < b.length; i++) ascii &&= b[i] < 0x80;
    if (ascii) return String.fromCharCode.apply(null, b);
  }
  return decoder.decode(b);
});
// A header name or value: a symbol (1) or text (0).
Reader.prototype.text = (function text() {
  return this.u8v() === 1 ? this.symbol() : this.str();
});
Reader.prototype.symbol = (function symbol() {
  const id = this.u32();
  if (id === this.symbols.length) this.symbols.push(this.str());
  if (id >= this.symbols.length) throw new Error(`core output names unknown symbol ${id}`);
  return this.symbols[id];
});
Reader.prototype.value = (function value() {
  const type = this.u8v();
  if (type === VALUE.NULL) return null;
  if (type === VALUE.NUMBER) return this.f64();
  if (type === VALUE.TEXT) return this.str();
  if (type === VALUE.BLOB) return this.raw().slice();
  throw new Error(`core output has unknown value type ${type}`);
});

const readOps = (function readOps(r) {
  const ops = [];
  for (let n = r.u32(); n > 0; n--) {
    const op = { kind: r.u8v(), flags: r.u8v(), tag: r.u32(), binding: r.symbol() };
    switch (op.kind) {
      case OP.KV_GET:
      case OP.KV_DELETE:
      case OP.DO_GET:
      case OP.DO_DELETE:
        op.key = r.str();
        break;
      case OP.DO_PUT:
        op.key = r.str();
        op.value = r.str();
        op.expireAt = r.f64();
        op.version = r.f64();
        break;
      case OP.KV_PUT:
        op.key = r.str();
        op.value = r.str();
        op.ttl = r.u32();
        break;
      case OP.D1_QUERY: {
        op.sql = r.symbol();
        const params = [];
        for (let p = r.u32(); p > 0; p--) params.push(r.value());
        op.params = params;
        break;
      }
      default:
        throw new Error(`core output has unknown op kind ${op.kind}`);
    }
    ops.push(op);
  }
  return ops;
});

const readManifest = (function readManifest(r, symbols) {
  const version = r.u32();
  if (version !== VERSION) throw new Error(`core speaks envelope version ${version}, the shim ${VERSION}`);
  const requestHeaders = [];
  for (let n = r.u32(); n > 0; n--) requestHeaders.push(r.str());
  const prefetch = new Map();
  for (let n = r.u32(); n > 0; n--) {
    const path = r.str();
    const methods = [];
    for (let m = r.u32(); m > 0; m--) methods.push(r.str());
    const loads = readOps(r);
    prefetch.set(path, { methods, loads, callWhileLoading: r.u8v() === 1 });
  }
  const engine = r.str();
  return { requestHeaders, prefetch, engine, requestLog: r.u8v() === 1 };
});

// How to pass a request to the origin (src/http/message.h, OriginPass).
function readOrigin(r) {
  const url = r.str();
  const timeoutMs = r.u32();
  const remove = [];
  for (let n = r.u32(); n > 0; n--) remove.push(r.str());
  const pairs = () => {
    const list = [];
    for (let n = r.u32(); n > 0; n--) list.push([r.str(), r.str()]);
    return list;
  };
  const set = pairs();
  const responseHeaders = pairs();
  const logs = [];
  for (let n = r.u32(); n > 0; n--) logs.push({ level: r.u8v(), message: r.str() });
  return { url, timeoutMs, remove, set, responseHeaders, logs };
}

// body is a view of WASM memory; copy it before the next call into the module.
// headers: a plain object when no name repeats, else [name, value] pairs. The
// Response constructor reads an object's own properties, but walks a sequence
// of pairs through the JS iterator protocol, a call back into JS per pair:
// in workerd that cost ~30 µs per response for our eight headers.
const readResponse = (function readResponse(r) {
  const status = r.u32();
  let headers = {};
  let pairs = null;
  for (let n = r.u32(); n > 0; n--) {
    const name = r.text();
    const value = r.text();
    if (pairs) {
      pairs.push([name, value]);
    } else if (Object.hasOwn(headers, name) || name === '__proto__') {
      pairs = Object.entries(headers);
      pairs.push([name, value]);
    } else {
      headers[name] = value;
    }
  }
  if (pairs) headers = pairs;
  const body = r.raw();
  const effects = readOps(r);
  const logs = [];
  for (let n = r.u32(); n > 0; n--) logs.push({ level: r.u8v(), message: r.str() });
  return { status, headers, body, effects, logs };
});
