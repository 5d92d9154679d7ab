import { RunError } from '../errors.ts';
import type { Warehouse } from './warehouse.ts';

export async function openOracle(name: string, _spec: unknown): Promise<Warehouse> {
  throw new RunError(`${name}: Oracle connections are not available in this build yet`);
}
