// MariaDB result metadata and rows -> HiveServer2 TTableSchema and column-based TRowSet
// (protocol V6+: one typed TColumn per result column, nulls as a bitmap).
import type { FieldPacket } from 'mysql2';
import { T, Int64, int64FromDecimalString } from './thrift-runtime.ts';

/** TColumn union member carrying each Hive type on the wire. */
type ColumnKind = 'boolVal' | 'byteVal' | 'i16Val' | 'i32Val' | 'i64Val' | 'doubleVal' | 'stringVal' | 'binaryVal';

export interface HiveColumn {
  name: string;
  typeId: number;
  kind: ColumnKind;
  precision?: number;
  scale?: number;
}

// mysql2's MYSQL_TYPE_* numbers (wire column types) and column flags.
const MY = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  BIT: 16,
  NEWDECIMAL: 246,
  GEOMETRY: 255,
} as const;
const UNSIGNED_FLAG = 32;
const BINARY_CHARSET = 63;

function isUnsigned(field: FieldPacket): boolean {
  return typeof field.flags === 'number' ? (field.flags & UNSIGNED_FLAG) !== 0 : field.flags.includes('UNSIGNED');
}

function column(
  name: string,
  type: keyof typeof T.TTypeId | string,
  kind: ColumnKind,
  extra: Partial<HiveColumn> = {},
): HiveColumn {
  return { name, typeId: T.TTypeId[type], kind, ...extra };
}

export function hiveColumn(field: FieldPacket): HiveColumn {
  const name = field.name;
  const unsigned = isUnsigned(field);
  // Widen unsigned integers one step: Hive integers are signed.
  switch (field.columnType) {
    case MY.TINY:
      // MariaDB's BOOLEAN is TINYINT(1).
      if (field.columnLength === 1) return column(name, 'BOOLEAN_TYPE', 'boolVal');
      return unsigned ? column(name, 'SMALLINT_TYPE', 'i16Val') : column(name, 'TINYINT_TYPE', 'byteVal');
    case MY.SHORT:
    case MY.YEAR:
      return unsigned ? column(name, 'INT_TYPE', 'i32Val') : column(name, 'SMALLINT_TYPE', 'i16Val');
    case MY.LONG:
    case MY.INT24:
      return unsigned ? column(name, 'BIGINT_TYPE', 'i64Val') : column(name, 'INT_TYPE', 'i32Val');
    case MY.LONGLONG:
      // BIGINT UNSIGNED does not fit i64; Hive would need DECIMAL(20,0) for it.
      return unsigned
        ? column(name, 'DECIMAL_TYPE', 'stringVal', { precision: 20, scale: 0 })
        : column(name, 'BIGINT_TYPE', 'i64Val');
    case MY.FLOAT:
      return column(name, 'FLOAT_TYPE', 'doubleVal');
    case MY.DOUBLE:
      return column(name, 'DOUBLE_TYPE', 'doubleVal');
    case MY.DECIMAL:
    case MY.NEWDECIMAL: {
      // columnLength counts the sign and the decimal point as characters.
      const scale = field.decimals;
      const precision = (field.columnLength ?? 0) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1);
      return column(name, 'DECIMAL_TYPE', 'stringVal', { precision: Math.max(precision, 1), scale });
    }
    case MY.TIMESTAMP:
    case MY.DATETIME:
      return column(name, 'TIMESTAMP_TYPE', 'stringVal');
    case MY.DATE:
    case MY.NEWDATE:
      return column(name, 'DATE_TYPE', 'stringVal');
    case MY.NULL:
      return column(name, 'NULL_TYPE', 'stringVal');
    case MY.BIT:
    case MY.GEOMETRY:
      return column(name, 'BINARY_TYPE', 'binaryVal');
    default:
      // Text of every kind (VARCHAR, TEXT, ENUM, SET, JSON, TIME) is a Hive STRING, unless it is bytes.
      return field.characterSet === BINARY_CHARSET
        ? column(name, 'BINARY_TYPE', 'binaryVal')
        : column(name, 'STRING_TYPE', 'stringVal');
  }
}

export function tableSchema(columns: HiveColumn[]): unknown {
  return {
    columns: columns.map((c, index) => ({
      columnName: c.name,
      position: index + 1,
      typeDesc: {
        types: [
          {
            primitiveEntry: {
              type: c.typeId,
              typeQualifiers:
                c.precision === undefined
                  ? undefined
                  : {
                      qualifiers: { precision: { i32Value: c.precision }, scale: { i32Value: c.scale ?? 0 } },
                    },
            },
          },
        ],
      },
    })),
  };
}

const ZERO_I64 = new Int64(0);

/** Converts one non-null MariaDB value (as mysql2 returns it with the options in mariadb.ts). */
function encode(kind: ColumnKind, value: unknown): unknown {
  switch (kind) {
    case 'boolVal':
      return Number(value) !== 0;
    case 'byteVal':
    case 'i16Val':
    case 'i32Val':
    case 'doubleVal':
      return Number(value);
    case 'i64Val':
      return int64FromDecimalString(String(value));
    case 'binaryVal':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    case 'stringVal':
      return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
}

// Hive fills null slots with the type's zero value; only the bitmap says they are null.
const PLACEHOLDER: Record<ColumnKind, unknown> = {
  boolVal: false,
  byteVal: 0,
  i16Val: 0,
  i32Val: 0,
  doubleVal: 0,
  i64Val: ZERO_I64,
  binaryVal: Buffer.alloc(0),
  stringVal: '',
};

export function rowSet(columns: HiveColumn[], rows: unknown[][], startRowOffset: number): unknown {
  return {
    startRowOffset,
    rows: [],
    columns: columns.map((c, index) => {
      const nulls = Buffer.alloc(Math.ceil(rows.length / 8));
      const values = rows.map((row, i) => {
        const value = row[index];
        if (value === null || value === undefined) {
          // Bit i of the bitmap, least significant bit first, as HiveServer2's BitSet encodes it.
          nulls[i >> 3] |= 1 << (i & 7);
          return PLACEHOLDER[c.kind];
        }
        return encode(c.kind, value);
      });
      return { [c.kind]: { values, nulls } };
    }),
  };
}
