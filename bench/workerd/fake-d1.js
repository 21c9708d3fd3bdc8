// A D1-like binding for bare workerd (which has no D1), used as a wrapped
// binding by every Worker compared: every COUNT(*) answers a fixed row, so
// the catalog counts cost the same for all and are not what is measured.
// prepare(sql).bind(...).all()/first()/run() and batch([stmts]).
const COUNTS = { books: 12, copies: 28, available: 11, authors: 8 };

function answer(sql) {
  let n = COUNTS.books;
  if (sql.includes('catalog_bookinstance')) n = sql.includes('status') ? COUNTS.available : COUNTS.copies;
  else if (sql.includes('catalog_author')) n = COUNTS.authors;
  return { results: [{ n }], success: true, meta: { changes: 0 } };
}

class Statement {
  constructor(sql) { this.sql = sql; }
  bind() { return this; }
  async all() { return answer(this.sql); }
  async run() { return answer(this.sql); }
  async first(column) { const row = answer(this.sql).results[0]; return column ? row[column] : row; }
}

export default function makeBinding() {
  return {
    prepare: (sql) => new Statement(sql),
    batch: async (statements) => statements.map((s) => answer(s.sql)),
  };
}
