// Table and column names reach SQL as quoted identifiers; only plain names are accepted, so
// that quoting is always sound in every dialect (and Hive, which quotes with backticks).
import { z } from 'zod';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUALIFIED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && name.length <= 128;
}

/** A table name, optionally qualified by one schema/database: dw.dim_user */
export function isTableName(name: string): boolean {
  return QUALIFIED.test(name) && name.length <= 257;
}

/** A column name as a job file writes it (zod): the message says what is accepted. */
export const identifierSchema = z
  .string()
  .refine(isIdentifier, { message: 'not a valid column name (letters, digits and _ only, not starting with a digit)' });

/** A table name as a job file writes it (zod), optionally schema-qualified. */
export const tableNameSchema = z
  .string()
  .refine(isTableName, { message: 'not a valid table name (name or schema.name; letters, digits and _)' });
