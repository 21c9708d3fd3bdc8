// The constants the shim and the WASM core share, in one place: CMake
// generates the core's header (abi.h, cmake/abi.cmake) from this file, so the
// two sides cannot drift. Keep the form `export const NAME = Object.freeze({
// KEY: <integer>, ... });` or `export const NAME = <integer>;`: the generator
// reads nothing else.

// Bumped whenever a byte layout below or in src/http/envelope.cpp changes.
export const VERSION = 5;
// A length field that means "absent" (a request header that was not sent).
export const ABSENT = 0xffffffff;
// What configuring an instance produced: the manifest, or the error.
export const CONFIG = Object.freeze({ OK: 0, ERROR: 1 });
// What one call into the module produced. RETRY: a compare-and-set lost a
// race; run the request again from its loads (after a random pause below the
// u32 of milliseconds that follows). ORIGIN: pass the request to the origin
// (the ORIGIN setting) with the header changes the core lists, and stream the
// origin's answer back.
export const RESULT = Object.freeze({ RESPONSE: 0, LOADS: 1, RETRY: 2, ORIGIN: 3 });
// Storage operations: loads the core plans and effects it returns, by storage
// type (never by session engine). DO_*: one Durable Object per key of a
// namespace binding (worker/session_object.js): get {value, version}, put
// with compare-and-set on the version (0: the record must not exist), delete.
export const OP = Object.freeze({ KV_GET: 1, KV_PUT: 2, KV_DELETE: 3, D1_QUERY: 4, DO_GET: 5, DO_PUT: 6, DO_DELETE: 7 });
// MUST_CHANGE: the write must find its record (else the session vanished:
// Django's UpdateError); BEST_EFFORT: a failure is logged, not fatal;
// COMPARE_AND_SET: a write that changed nothing lost a race (FAILURE.CONFLICT):
// such writes run before the others, which then do not run.
export const FLAG = Object.freeze({ MUST_CHANGE: 1, BEST_EFFORT: 2, COMPARE_AND_SET: 4 });
// PENDING: started by the shim (a manifest prefetch), answer still to come.
export const LOAD = Object.freeze({ OK: 0, MISSING: 1, FAILED: 2, PENDING: 3 });
// Typed SQL parameters and result cells.
export const VALUE = Object.freeze({ NULL: 0, NUMBER: 1, TEXT: 2, BLOB: 3 });
// Why the shim could not perform a response's effects, or reach the origin.
// CONFLICT: a COMPARE_AND_SET write found the record changed (or gone);
// ORIGIN_UNREACHABLE: no answer at all (502); ORIGIN_TIMEOUT: no response
// headers within the core's timeout (504).
export const FAILURE = Object.freeze({ STORE_UNAVAILABLE: 1, SESSION_INTERRUPTED: 2, CONFLICT: 3, ORIGIN_UNREACHABLE: 4, ORIGIN_TIMEOUT: 5 });
export const LOG_LEVEL = Object.freeze({ INFO: 0, WARNING: 1, ERROR: 2 });
