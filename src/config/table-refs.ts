// Every table and column a job names, with the connection it lives on and the key path that
// names it: what `validate --connect` checks against the real tables, and what a run-time
// "unknown column" error is traced back to. Pure: reads the Job, connects to nothing.
import type { Job } from './load-job.ts';

export interface ColumnRef {
  column: string;
  /** Key path in the job file; a column written as a map key (where, order_by) points at the key. */
  path: PropertyKey[];
  atKey?: boolean;
}

export interface TableRef {
  /** The connection name the table is read from. */
  connection: string;
  /** As written: name or schema.name. */
  table: string;
  path: PropertyKey[];
  columns: ColumnRef[];
}

type Where = { column: string }[];

// A where list holds one entry per condition (age gte and lt are two): each column once.
const whereColumns = (where: Where, path: PropertyKey[]): ColumnRef[] =>
  [...new Set(where.map((w) => w.column))].map((column) => ({ column, path: [...path, column], atKey: true }));

/**
 * The tables and columns of `job`, section by section. `fieldsAsList`: lead.fields was written
 * as a list (a field's path is its index) rather than a map (its output name).
 */
export function tableRefs(job: Job, fieldsAsList: boolean): TableRef[] {
  const { audience, trigger, lead } = job;
  const source = job.source;
  const refs: TableRef[] = [];
  const key = (written: string | undefined, path: PropertyKey[]): ColumnRef => ({
    column: written ?? audience.key,
    // A default key (not written) is reported at its block.
    path: written === undefined ? path.slice(0, -1) : path,
  });

  const people: TableRef = {
    connection: source,
    table: audience.table,
    path: ['audience', 'table'],
    columns: [
      { column: audience.key, path: ['audience', 'key'] },
      ...whereColumns(audience.where, ['audience', 'where']),
    ],
  };
  refs.push(people);
  const segments = audience.segments;
  if (segments?.table === undefined)
    for (const d of segments?.dimensions ?? [])
      people.columns.push({ column: d.dimension, path: ['audience', 'segments', d.dimension], atKey: true });
  else
    refs.push({
      connection: source,
      table: segments.table,
      path: ['audience', 'segments', 'table'],
      columns: [
        key(segments.key, ['audience', 'segments', 'key']),
        { column: 'dimension', path: ['audience', 'segments', 'table'] },
        { column: 'segment', path: ['audience', 'segments', 'table'] },
      ],
    });
  if (audience.tags) {
    const tags = audience.tags;
    refs.push({
      connection: source,
      table: tags.table,
      path: ['audience', 'tags', 'table'],
      columns: [
        key(tags.key, ['audience', 'tags', 'key']),
        { column: tags.column, path: ['audience', 'tags', 'column'] },
      ],
    });
  }
  audience.behaviour?.forEach((b, i) => {
    const at = ['audience', 'behaviour', i];
    const aggregates = (['sum', 'min', 'max', 'avg'] as const).flatMap((fn) => {
      const column = (b[fn] as { column?: string } | undefined)?.column;
      return column ? [{ column, path: [...at, fn, 'column'] }] : [];
    });
    refs.push({
      connection: source,
      table: b.table,
      path: [...at, 'table'],
      columns: [
        key(b.key, [...at, 'key']),
        { column: b.name, path: [...at, 'name'] },
        { column: b.time, path: [...at, 'time'] },
        ...whereColumns(b.where, [...at, 'where']),
        ...aggregates,
      ],
    });
  });
  if (trigger) refs.push(...triggerRefs(job, key));
  const converted = job.exclude.converted;
  if (converted)
    refs.push({
      connection: converted.source ?? source,
      table: converted.table,
      path: ['exclude', 'converted', 'table'],
      columns: [
        key(converted.key, ['exclude', 'converted', 'key']),
        { column: converted.time, path: ['exclude', 'converted', 'time'] },
        ...whereColumns(converted.where, ['exclude', 'converted', 'where']),
      ],
    });
  lead.fields.forEach((f, i) => {
    const path = ['lead', 'fields', fieldsAsList ? i : f.name];
    if (f.column.startsWith('trigger.'))
      refs
        .find((r) => r.path[0] === 'trigger')
        ?.columns.push({ column: f.column.slice('trigger.'.length), path, atKey: !fieldsAsList });
    else people.columns.push({ column: f.column, path, atKey: !fieldsAsList });
  });
  for (const column of Object.keys(lead.order_by ?? {}))
    people.columns.push({ column, path: ['lead', 'order_by', column], atKey: true });
  return refs;
}

function triggerRefs(job: Job, key: (written: string | undefined, path: PropertyKey[]) => ColumnRef): TableRef[] {
  const t = job.trigger!;
  const events: TableRef = {
    connection: job.source,
    table: t.table,
    path: ['trigger', 'table'],
    columns: [
      key(t.key, ['trigger', 'key']),
      { column: t.name, path: ['trigger', 'name'] },
      { column: t.time, path: ['trigger', 'time'] },
      ...whereColumns(t.where, ['trigger', 'where']),
      ...(t.not_followed_by ? whereColumns(t.not_followed_by.where, ['trigger', 'not_followed_by', 'where']) : []),
      ...(t.followed_by ?? []).flatMap((step, i) => whereColumns(step.where, ['trigger', 'followed_by', i, 'where'])),
    ],
  };
  if (t.partition) events.columns.push({ column: t.partition.column, path: ['trigger', 'partition', 'column'] });
  if (!t.item) return [events];
  events.columns.push({
    column: t.item.event_key ?? t.item.key,
    path: t.item.event_key ? ['trigger', 'item', 'event_key'] : ['trigger', 'item', 'key'],
  });
  const items: TableRef = {
    connection: job.source,
    table: t.item.table,
    path: ['trigger', 'item', 'table'],
    columns: [
      { column: t.item.key, path: ['trigger', 'item', 'key'] },
      ...whereColumns(t.item.where, ['trigger', 'item', 'where']),
    ],
  };
  return [events, items];
}
