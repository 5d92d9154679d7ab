// Groups a row iterable into arrays of `size` rows, so downstream awaits once per batch.
import type { Row } from './warehouse.ts';

export async function* batchRows(
  rows: AsyncIterable<Row> | Iterable<Row>,
  size: number,
  signal?: AbortSignal,
): AsyncGenerator<Row[]> {
  let batch: Row[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= size) {
      signal?.throwIfAborted();
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
