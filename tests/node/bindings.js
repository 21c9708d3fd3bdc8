// Real Workers bindings for tests that run the worker in Node: Miniflare
// (workerd) provides a KV namespace SESSIONS and a D1 database DB with every
// migration in migrations/ applied, exactly as `wrangler d1 migrations apply`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { ROOT } from './helpers.js';

export async function applyAllMigrations(db) {
  const dir = join(ROOT, 'migrations');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(join(dir, file), 'utf8');
    // Migrations hold no ';' inside string literals, so splitting is safe.
    const statements = sql.replace(/^\s*--.*$/gm, '').split(';').map((s) => s.trim()).filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

export async function startBindings() {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(""); } }',
    kvNamespaces: ['SESSIONS'],
    d1Databases: ['DB'],
  });
  const kv = await mf.getKVNamespace('SESSIONS');
  const db = await mf.getD1Database('DB');
  await applyAllMigrations(db);
  return { mf, kv, db, env: { SESSIONS: kv, DB: db }, dispose: () => mf.dispose() };
}
