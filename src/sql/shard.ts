// --shard I/N: only people whose key hashes to bucket I. The hash runs in SQL so the
// warehouse does the split; each dialect uses a hash it has built in (SQLite gets CRC32 as a
// function registered on the connection by the SQLite warehouse).
import type { Knex } from 'knex';
import type { Plan } from '../plan/plan.ts';

export const SQLITE_CRC32_FUNCTION = 'crm_leads_crc32';

export function applyShard(qb: Knex.QueryBuilder, _k: Knex, plan: Plan, keyColumn: string): void {
  const { index, count } = plan.shard!;
  switch (plan.dialect) {
    case 'mysql':
      qb.whereRaw('CRC32(CAST(?? AS CHAR)) % ? = ?', [keyColumn, count, index]);
      break;
    // The key's text, made in SQL: SQLite hands a function an INTEGER beyond 2^53 as a
    // rounded double, whose text ('9007199254740992') is another key's (issue 9.4).
    case 'sqlite':
      qb.whereRaw(`${SQLITE_CRC32_FUNCTION}(CAST(?? AS TEXT)) % ? = ?`, [keyColumn, count, index]);
      break;
    case 'postgres':
      qb.whereRaw('abs(hashtext(CAST(?? AS text))::bigint) % ? = ?', [keyColumn, count, index]);
      break;
    case 'oracle':
      qb.whereRaw('MOD(ORA_HASH(??), ?) = ?', [keyColumn, count, index]);
      break;
    // Hive: the same CRC32 of the key's text as MySQL, so a person lands in the same shard on
    // both. concat() turns any primitive into its text (MariaDB, behind the Hive test server,
    // has no CAST AS STRING), and crc32 is never negative, so % needs no pmod.
    case 'hive':
      qb.whereRaw('crc32(concat(??)) % ? = ?', [keyColumn, count, index]);
      break;
    default:
      throw new Error(`no shard hash for ${plan.dialect}`);
  }
}
