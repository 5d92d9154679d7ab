// HiveServer2 result pages (column-based TRowSet, protocol V6+) -> rows as arrays.
//
// hive-driver's own JsonResult is not used: it turns BIGINT into a JS number (keys beyond 2^53
// lose digits) and DECIMAL into a float, and it keys rows by column name (duplicate names
// collide). Here BIGINT is read exactly from its 8 bytes, DECIMAL stays the server's text.
import type { Row } from './warehouse.ts';

// TCLIService TTypeId values (stable across Hive releases).
const TIMESTAMP_TYPE = 8;

interface ColumnDescriptor {
  columnName?: string;
  position: number;
  typeDesc?: { types?: { primitiveEntry?: { type?: number } }[] };
}

export interface ResultSchema {
  columns?: ColumnDescriptor[] | null;
}

/** One TColumn: exactly one member is set. node-int64 values carry their 8 bytes in `buffer`. */
type Int64Value = { buffer: Buffer; offset?: number };
type TypedColumn = { values: unknown[]; nulls?: Buffer };
type TColumn = Partial<
  Record<
    'boolVal' | 'byteVal' | 'i16Val' | 'i32Val' | 'i64Val' | 'doubleVal' | 'stringVal' | 'binaryVal',
    TypedColumn | null
  >
>;

export interface RowSet {
  columns?: TColumn[] | null;
  rows?: unknown[] | null;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A BIGINT as a number when it is exact as one, else its decimal text. */
export function int64Value(v: Int64Value): number | string {
  const n = v.buffer.readBigInt64BE(v.offset ?? 0);
  return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n.toString();
}

// Hive prints TIMESTAMP as 'YYYY-MM-DD HH:MM:SS' plus '.0' (or more zeros) in some releases;
// the other warehouses give whole seconds without a fraction, so a zero fraction is dropped.
const ZERO_FRACTION = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.0*$/;

function convert(type: number | undefined, value: unknown): unknown {
  if (
    value !== null &&
    typeof value === 'object' &&
    Buffer.isBuffer((value as Int64Value).buffer) &&
    !Buffer.isBuffer(value)
  )
    return int64Value(value as Int64Value);
  if (type === TIMESTAMP_TYPE && typeof value === 'string') return value.replace(ZERO_FRACTION, '$1');
  return value;
}

function columnValues(column: TColumn): TypedColumn | undefined {
  return (
    column.i64Val ??
    column.stringVal ??
    column.i32Val ??
    column.doubleVal ??
    column.boolVal ??
    column.i16Val ??
    column.byteVal ??
    column.binaryVal ??
    undefined
  );
}

const isNull = (nulls: Buffer | undefined, i: number) =>
  nulls !== undefined && i >> 3 < nulls.length && (nulls[i >> 3] & (1 << (i & 7))) !== 0;

/** Rows of one page, in select order. */
export function decodeRowSet(schema: ResultSchema, rowSet: RowSet): Row[] {
  const descriptors = [...(schema.columns ?? [])].sort((a, b) => a.position - b.position);
  const columns = rowSet.columns ?? [];
  if (columns.length === 0 && (rowSet.rows?.length ?? 0) > 0) {
    throw new Error(
      'HiveServer2 sent row-based results (protocol before V6); crm-leads reads column-based results only (Hive 0.13+)',
    );
  }
  const first = descriptors.length ? Math.min(...descriptors.map((d) => d.position)) : 0;
  const rows: Row[] = [];
  descriptors.forEach((descriptor, index) => {
    const typed = columnValues(columns[descriptor.position - first] ?? {});
    if (!typed) return;
    const type = descriptor.typeDesc?.types?.[0]?.primitiveEntry?.type;
    // The values array has a slot for every row; a NULL's slot holds a placeholder.
    for (let i = 0; i < typed.values.length; i++) {
      rows[i] ??= new Array(descriptors.length).fill(null);
      const row = rows[i];
      row[index] = isNull(typed.nulls, i) ? null : convert(type, typed.values[i]);
    }
  });
  return rows;
}
