// Platform services the WASM core imports (module "ll") because only the
// runtime has them: the CSPRNG, and node:zlib (synchronous in Node and in
// workerd with nodejs_compat). SHA-256 and HMAC run inside the module.
// Every instantiation runs the two builders below: parenthesized, so V8
// compiles them with the script (js-shim/core.js says why).
import { deflateSync, inflateSync } from 'node:zlib';

export const platformImports = (function platformImports(getMemory) {
  const bytes = (ptr, len) => new Uint8Array(getMemory().buffer, ptr, len);
  return {
    // Only when the core mints a session key.
    random(ptr, len) {
      crypto.getRandomValues(bytes(ptr, len));
    },
    deflate(ptr, len, out, cap) {
      const result = deflateSync(bytes(ptr, len));
      if (result.length > cap) return -2;
      bytes(out, result.length).set(result);
      return result.length;
    },
    inflate(ptr, len, out, cap) {
      let result;
      try {
        result = inflateSync(bytes(ptr, len), { maxOutputLength: Math.max(cap, 1) });
      } catch (err) {
        return err && (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) ? -2 : -1;
      }
      if (result.length > cap) return -2;
      bytes(out, result.length).set(result);
      return result.length;
    },
  };
});

// The few WASI calls libc can make. The core never does I/O; these exist so
// that abort messages reach the log and exit becomes a catchable error.
export class ModuleExit extends Error {
  constructor(code) {
    super(`WASM module exited with code ${code}`);
    this.name = 'ModuleExit';
  }
}

export const wasiImports = (function wasiImports(getMemory, log) {
  const ENOSYS = 52;
  return {
    fd_write(fd, iovs, iovsLen, nwritten) {
      const view = new DataView(getMemory().buffer);
      let text = '';
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        text += new TextDecoder().decode(new Uint8Array(getMemory().buffer, ptr, len));
        total += len;
      }
      view.setUint32(nwritten, total, true);
      if (text.trim()) log(text.trimEnd());
      return 0;
    },
    // Parenthesized: otherwise V8 compiles these two when the module is
    // instantiated (tests/node/first_request.test.js).
    fd_close: (function fd_close() { return ENOSYS; }),
    fd_seek: (function fd_seek() { return ENOSYS; }),
    proc_exit(code) {
      throw new ModuleExit(code);
    },
  };
});
