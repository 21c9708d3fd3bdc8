// The WASM core behind a small JS object: instantiate from a compiled
// WebAssembly.Module (Workers forbid compiling at run time), move bytes in and
// out (js-shim/envelope layout, src/http/envelope.cpp is the other half), and
// re-create the instance after a trap. It makes no session or page decisions.
import { platformImports, wasiImports } from './platform.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const LOAD_OK = 0;
export const LOAD_MISSING = 1;
export const LOAD_FAILED = 2;
export const OP = { KV_GET: 1, KV_PUT: 2, KV_DELETE: 3, D1_QUERY: 4 };
export const FLAG = { MUST_CHANGE: 1, BEST_EFFORT: 2 };

export class Core {
  constructor(module, { log = console } = {}) {
    this.module = module;
    this.log = log;
    this.instance = null;
    this.envJson = null;
    this.configError = null;
    this.instantiations = 0;
  }

  // Per-isolate: instantiate and configure once; again only after a trap.
  ensure(envJson) {
    if (this.instance && this.envJson === envJson) return;
    let memory = null;
    const getMemory = () => memory;
    const instance = new WebAssembly.Instance(this.module, {
      ll: platformImports(getMemory),
      wasi_snapshot_preview1: wasiImports(getMemory, (text) => this.log.error(text)),
      env: { emscripten_notify_memory_growth() {} },
    });
    memory = instance.exports.memory;
    instance.exports._initialize();
    this.instance = instance;
    this.instantiations++;
    this.envJson = envJson;
    const status = this.call('ll_configure', encoder.encode(envJson));
    this.configError = status === 0 ? null : decoder.decode(this.output());
    if (this.configError) this.log.error(this.configError);
  }

  // Runs one export with `input` copied into the module. The input is freed
  // only after a normal return: after a trap the instance is thrown away,
  // memory and all, and calling into it again could trap once more.
  call(name, input) {
    const ex = this.instance.exports;
    const ptr = ex.ll_alloc(input.length);
    new Uint8Array(ex.memory.buffer, ptr, input.length).set(input);
    const status = ex[name](ptr, input.length);
    ex.ll_free(ptr);
    return status;
  }

  output() {
    const ex = this.instance.exports;
    // Re-read the buffer: memory growth during the call detaches old views.
    return new Uint8Array(ex.memory.buffer, ex.ll_output_ptr(), ex.ll_output_len()).slice();
  }

  // Wraps one step; a trap discards the instance so the next request starts clean.
  guarded(fn) {
    try {
      return fn();
    } catch (err) {
      this.instance = null;
      throw new CoreTrap(err);
    }
  }

  plan(requestBytes) {
    return this.guarded(() => {
      this.call('ll_plan', requestBytes);
      return decodePlan(this.output());
    });
  }

  handle(requestBytes) {
    return this.guarded(() => {
      this.call('ll_handle', requestBytes);
      return decodeResponse(this.output());
    });
  }

  effectFailure(kind) {
    return this.guarded(() => {
      this.instance.exports.ll_effect_failure(kind);
      return decodeResponse(this.output());
    });
  }

  scheduled(now) {
    return this.guarded(() => {
      this.instance.exports.ll_scheduled(now);
      return decodeResponse(this.output());
    });
  }

  errorPage(status) {
    return this.guarded(() => {
      this.instance.exports.ll_error_page(status);
      return decodeResponse(this.output());
    });
  }
}

export class CoreTrap extends Error {
  constructor(cause) {
    super(`WASM core trapped: ${cause && cause.message}`);
    this.name = 'CoreTrap';
    this.cause = cause;
  }
}

// request: {method, target, headers: [[name, value]...], now (seconds), entropy: Uint8Array}
// loaded: [{op, status, value}]: the answers to the plan's loads so far.
// Written with encodeInto into one buffer kept per isolate (grown when a
// request needs more), so a request allocates nothing here but the result.
let scratch = new Uint8Array(16 * 1024);

export function encodeInput(request, loaded = []) {
  // UTF-8 needs at most 3 bytes per UTF-16 unit: size for the worst case.
  let bound = 4 + 4 + 8 + 4 + request.entropy.length + 4 + loaded.length * 2;
  bound += 8 + 3 * (request.method.length + request.target.length);
  for (const [name, value] of request.headers) bound += 8 + 3 * (name.length + value.length);
  for (const l of loaded) bound += 12 + 3 * (l.op.binding.length + l.op.key.length + (l.value ?? '').length);
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  const out = scratch;
  const view = new DataView(out.buffer);
  let pos = 0;
  const u32 = (v) => { view.setUint32(pos, v, true); pos += 4; };
  const str = (text) => {
    const { written } = encoder.encodeInto(text, out.subarray(pos + 4));
    view.setUint32(pos, written, true);
    pos += 4 + written;
  };
  u32(1);
  str(request.method);
  str(request.target);
  u32(request.headers.length);
  for (const [name, value] of request.headers) { str(name); str(value); }
  view.setFloat64(pos, request.now, true);
  pos += 8;
  u32(request.entropy.length);
  out.set(request.entropy, pos);
  pos += request.entropy.length;
  u32(loaded.length);
  for (const l of loaded) {
    out[pos++] = l.op.kind;
    str(l.op.binding);
    str(l.op.key);
    out[pos++] = l.status;
    str(l.value ?? '');
  }
  return out.subarray(0, pos);
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }
  u8() {
    return this.view.getUint8(this.pos++);
  }
  u32() {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  raw() {
    const n = this.u32();
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  str() {
    const b = this.raw();
    // Header names and values are short ASCII: building the string directly
    // is several times cheaper than a TextDecoder call.
    if (b.length <= 64) {
      let ascii = true;
      for (let i = 0; i < b.length; i++) ascii &&= b[i] < 0x80;
      if (ascii) return String.fromCharCode.apply(null, b);
    }
    return decoder.decode(b);
  }
}

function readOps(r) {
  const ops = [];
  for (let n = r.u32(); n > 0; n--) {
    ops.push({ kind: r.u8(), binding: r.str(), key: r.str(), value: r.str(), ttl: r.u32(), flags: r.u8() });
  }
  return ops;
}

export function decodePlan(bytes) {
  return readOps(new Reader(bytes));
}

export function decodeResponse(bytes) {
  const r = new Reader(bytes);
  const status = r.u32();
  const headers = [];
  for (let n = r.u32(); n > 0; n--) headers.push([r.str(), r.str()]);
  const body = r.raw();  // output() already copied out of WASM memory
  const effects = readOps(r);
  const logs = [];
  for (let n = r.u32(); n > 0; n--) logs.push({ level: r.u8(), message: r.str() });
  return { status, headers, body, effects, logs };
}
