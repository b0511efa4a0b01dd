import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { prepareOnPostgres } from './database.ts';

const compiled = new WeakMap<Kysely<Database>, Map<string, CompiledQuery>>();

/**
 * Runs a query built by `build` with `parameters`, compiling it once per database and `key`: a hot
 * query of a fixed shape (a list page's rows) then costs its execution only. Building and compiling
 * with Kysely cost about 100 µs a query, as much as running the busiest day's (decision 024).
 * `parameters` are the query's own, in the order the compiled SQL takes them: checked against the
 * first compile, so a builder that reorders them (or inlines one) fails loudly instead of running
 * with the wrong values. `key` must name everything that changes the query's shape. On PostgreSQL
 * it runs as a named statement, parsed and planned once per connection (prepareOnPostgres).
 */
export async function runKept<R>(db: Kysely<Database>, key: string, build: () => Compilable<R>, parameters: readonly unknown[]): Promise<R[]> {
  let byKey = compiled.get(db);
  if (!byKey) compiled.set(db, (byKey = new Map()));
  let query = byKey.get(key) as CompiledQuery<R> | undefined;
  if (!query) {
    query = build().compile();
    const got = query.parameters;
    if (got.length !== parameters.length || got.some((p, i) => p !== parameters[i])) {
      throw new Error(`db: kept query ${key}: its parameters are ${JSON.stringify(got)}, not ${JSON.stringify(parameters)}`);
    }
    byKey.set(key, query);
    prepareOnPostgres(query.sql);
    return (await db.executeQuery(query)).rows;
  }
  return (await db.executeQuery<R>({ ...query, parameters })).rows;
}
