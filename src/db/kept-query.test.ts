import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './database.ts';
import { freshDb } from '../../test/helpers.ts';
import { runKept } from './kept-query.ts';

describe('runKept', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb();
    await db.kysely.insertInto('site_state').values([{ key: 'kept_a', value: 1 }, { key: 'kept_b', value: 2 }, { key: 'kept_c', value: 3 }]).execute();
  });
  afterAll(() => db.close());

  const between = (low: number, high: number) =>
    runKept(db.kysely, 'test between', () => db.kysely.selectFrom('site_state').select(['key', 'value']).where('key', 'like', 'kept_%').where('value', '>=', low).where('value', '<=', high).orderBy('value'), ['kept_%', low, high]);

  it('compiles once and runs the same SQL with each call\'s parameters', async () => {
    expect((await between(1, 2)).map((r) => r.key)).toEqual(['kept_a', 'kept_b']);
    expect((await between(2, 3)).map((r) => r.key)).toEqual(['kept_b', 'kept_c']);
    expect(await between(5, 9)).toEqual([]);
  });

  it('runs as a statement its connection prepared once, on PostgreSQL (where unnamed queries are parsed and planned on every run)', async () => {
    if (db.dialect !== 'postgres') return;
    await db.kysely.connection().execute(async (conn) => {
      const run = (low: number) => runKept(conn, 'test prepared', () => conn.selectFrom('site_state').select('key').where('key', 'like', 'kept_%').where('value', '>=', low).orderBy('value'), ['kept_%', low]);
      expect((await run(2)).map((r) => r.key)).toEqual(['kept_b', 'kept_c']);
      expect((await run(3)).map((r) => r.key)).toEqual(['kept_c']);
      const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(conn);
      expect(prepared.rows.filter((r) => r.statement.includes('"value" >= $2 order by'))).toHaveLength(1);
    });
  });

  it('refuses parameters that are not the compiled query\'s, in its order', async () => {
    const swapped = () => runKept(db.kysely, 'test swapped', () => db.kysely.selectFrom('site_state').select('key').where('value', '>=', 1).where('key', '=', 'kept_a'), ['kept_a', 1]);
    await expect(swapped()).rejects.toThrow(/kept query test swapped: its parameters are \[1,"kept_a"\]/);
  });
});
