// Test-side decoding of what hive-driver fetched. hive-driver's own JsonResult is lossy:
// BIGINT goes through node-int64's toNumber(false), which returns Infinity past 2^53, and
// DECIMAL through Number(). This reads the column-based row sets exactly instead.

/* eslint-disable @typescript-eslint/no-explicit-any */
const KINDS = ['boolVal', 'byteVal', 'i16Val', 'i32Val', 'i64Val', 'doubleVal', 'stringVal', 'binaryVal'] as const;

export interface DecodedColumn {
  name: string;
  typeId: number;
  qualifiers: Record<string, number | string | undefined>;
}

export function decodeSchema(schema: any): DecodedColumn[] {
  return [...(schema?.columns ?? [])]
    .sort((a: any, b: any) => a.position - b.position)
    .map((c: any) => {
      const entry = c.typeDesc.types[0].primitiveEntry;
      const qualifiers: Record<string, number | string | undefined> = {};
      for (const [key, value] of Object.entries<any>(entry.typeQualifiers?.qualifiers ?? {})) {
        qualifiers[key] = value.i32Value ?? value.stringValue;
      }
      return { name: c.columnName, typeId: entry.type, qualifiers };
    });
}

function isNull(nulls: Buffer | undefined, i: number): boolean {
  return nulls !== undefined && i >> 3 < nulls.length && (nulls[i >> 3] & (1 << (i & 7))) !== 0;
}

/** One row set -> rows as arrays; i64 as decimal strings, nulls as null. */
export function decodeRowSet(rowSet: any): unknown[][] {
  const columns: { values: unknown[]; nulls?: Buffer; kind: string }[] = (rowSet?.columns ?? []).map((column: any) => {
    const kind = KINDS.find((k) => column[k]);
    if (!kind) throw new Error('row set column without values');
    return { ...column[kind], kind };
  });
  const count = columns[0]?.values.length ?? 0;
  const rows: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    rows.push(
      columns.map((c) => {
        if (isNull(c.nulls, i)) return null;
        const value: any = c.values[i];
        return c.kind === 'i64Val' ? (value.buffer as Buffer).readBigInt64BE(value.offset).toString() : value;
      }),
    );
  }
  return rows;
}
