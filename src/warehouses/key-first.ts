// A lead query whose person key is also a lead field selects the key once (SqlQuery.keyAt):
// here each row gets that value copied to the front, so every reader sees the one row layout
// [person key, ...lead fields, ...] whatever the SQL selected.
import type { SqlQuery } from '../sql/render-query.ts';
import type { Row, Warehouse } from './warehouse.ts';

/** The warehouse with rows of `keyAt` queries given back key first (in place: no copy per row). */
export function keyFirst(inner: Warehouse): Warehouse {
  return {
    ...inner,
    dialect: inner.dialect,
    stream: (query, options) =>
      query.keyAt === undefined ? inner.stream(query, options) : keyFirstBatches(inner.stream(query, options), query),
    all: async (query, options) => withKeyFirst(await inner.all(query, options), query),
    version: () => inner.version(),
    close: () => inner.close(),
  };
}

async function* keyFirstBatches(batches: AsyncIterable<Row[]>, query: SqlQuery): AsyncGenerator<Row[]> {
  for await (const batch of batches) yield withKeyFirst(batch, query);
}

function withKeyFirst(rows: Row[], query: SqlQuery): Row[] {
  const at = query.keyAt;
  if (at !== undefined) for (const row of rows) row.unshift(row[at]);
  return rows;
}
