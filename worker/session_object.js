// The Durable Object behind SESSION_ENGINE =
// locallibrary.sessions.backends.durable_object: one object per session key
// (idFromName(key) on the SESSION_OBJECTS namespace). It only stores and
// returns a record — Django's encode() text, its expiry and a version — does
// compare-and-set on the version, and deletes the record at expiry with its
// alarm. It makes no session decisions (the WASM core does).
//
// Atomicity: every method is synchronous (the SQLite-backed object's
// synchronous KV API, ctx.storage.kv), so a read-compare-write runs with
// nothing else interleaved; an `await` between the read and the write
// would let another request's call run in between and lose its update.
import { DurableObject } from 'cloudflare:workers';

const RECORD = 'record';

export class SessionObject extends DurableObject {
  // The live record, or null (none, or past its expiry: the alarm may not
  // have run yet).
  current() {
    const record = this.ctx.storage.kv.get(RECORD);
    if (!record) return null;
    return record.expireAt * 1000 > Date.now() ? record : null;
  }

  // {value, version} or null.
  load() {
    const record = this.current();
    return record ? { value: record.value, version: record.version } : null;
  }

  // expect: the version the record must have; 0 with mustExist false: no
  // record may exist (a create); 0 with mustExist true: any live record.
  // Returns 'ok', 'exists' (a create found a record), 'missing' (an update
  // found none) or 'conflict' (another version).
  save(value, expireAt, expect, mustExist) {
    const record = this.current();
    if (!record && (mustExist || expect > 0)) return 'missing';
    if (record && expect === 0 && !mustExist) return 'exists';
    if (record && expect > 0 && record.version !== expect) return 'conflict';
    const stored = this.ctx.storage.kv.get(RECORD);
    this.ctx.storage.kv.put(RECORD, { value, expireAt, version: (stored?.version ?? 0) + 1 });
    // Not awaited: the alarm is written with the record (the output gate
    // holds the reply until both are durable).
    this.ctx.storage.setAlarm(expireAt * 1000);
    return 'ok';
  }

  remove() {
    this.ctx.storage.kv.delete(RECORD);
    this.ctx.storage.deleteAlarm();
  }

  // At expiry: delete the record, unless a later save moved its expiry.
  async alarm() {
    const record = this.ctx.storage.kv.get(RECORD);
    if (record && record.expireAt * 1000 > Date.now()) {
      await this.ctx.storage.setAlarm(record.expireAt * 1000);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}
