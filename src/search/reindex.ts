import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { rebuildSearchIndexEverywhere } from './search-index.ts';

export interface ReindexReport {
  papers: number;
  /** Papers in the index afterwards (the visible ones). */
  indexed: number;
  ms: number;
}

/**
 * Rebuilds the search indexes from the papers, for `dailypapers search reindex`: after a
 * restore, a manual edit in SQL, or a change of tokenizer. The database keeps them in step on
 * every write, so a healthy site never needs it. One transaction: readers see the old index
 * until the new one is complete. This process's in-memory index is rebuilt at once; other
 * processes rebuild theirs when they read the REBUILD mark from the change log.
 */
export async function reindex(db: Db): Promise<ReindexReport> {
  const started = performance.now();
  await db.kysely.transaction().execute(async (trx) => {
    // Author names first: the index reads them, and a hand edit may have left them stale.
    if (db.dialect === 'postgres') {
      await sql`update papers p set author_names = a.names from (
          select paper_id, string_agg(name, ', ' order by position) as names from paper_authors group by paper_id) a
        where a.paper_id = p.id and p.author_names is distinct from a.names`.execute(trx);
      await sql`reindex index papers_search`.execute(trx);
      return;
    }
    await sql`update papers set author_names = coalesce((select group_concat(name, ', ') from
        (select a.name from paper_authors a where a.paper_id = papers.id order by a.position)), '')`.execute(trx);
    await sql`delete from paper_search_rows where paper_id not in (select id from papers)`.execute(trx);
    await sql`insert into paper_search_rows (paper_id) select id from papers where id not in (select paper_id from paper_search_rows)
        order by published_at, id`.execute(trx);
    await sql`insert into paper_search (paper_search) values ('rebuild')`.execute(trx);
  });
  await rebuildSearchIndexEverywhere(db);
  const count = async (query: ReturnType<typeof sql<{ n: number }>>) => Number((await query.execute(db.kysely)).rows[0]!.n);
  const papers = await count(sql<{ n: number }>`select count(*) as n from papers`);
  const indexed =
    db.dialect === 'postgres'
      ? await count(sql<{ n: number }>`select count(*) as n from papers where hidden_at is null`)
      : await count(sql<{ n: number }>`select count(*) as n from paper_search_source`);
  return { papers, indexed, ms: Math.round(performance.now() - started) };
}
