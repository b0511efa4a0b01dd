import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import { writeContent } from '../db/content-version.ts';
import { importHfItems, type ImportSummary } from './hf-import.ts';
import { addSummary, emptySummary } from './summary.ts';
import { importRecentHfDays } from './hf-api.ts';

const DEMO_FILE = fileURLToPath(new URL('./demo-papers.json', import.meta.url));

/**
 * Fills an empty database so that a first start shows papers: the latest days
 * from the Hugging Face daily-papers API when it answers, otherwise the demo
 * data written for this project. Returns what it did, or null if the database
 * already had papers.
 */
export async function seedIfEmpty(db: Db, config: Config, today = new Date()): Promise<string | null> {
  const q = db.kysely;
  // A start killed while loading the demo data left some of it: the load is idempotent, so finish it.
  if (await q.selectFrom('site_state').select('key').where('key', '=', DEMO_PENDING).executeTakeFirst()) {
    const summary = await loadDemoData(db);
    return `finished loading the demo data an earlier start began: ${summary.new} more fictional papers`;
  }
  // One row says it is not empty; a count read every listing (a million at 1M papers) at each `npm start`.
  if (await q.selectFrom('daily_listings').select('id').limit(1).executeTakeFirst()) return null;

  let unreachable = '';
  if (config.SEED_DAYS > 0) {
    try {
      const { days, summary } = await importRecentHfDays(db, config, {
        wanted: config.SEED_DAYS,
        lookBack: config.SEED_DAYS * 2 + 4,
        today,
      });
      if (summary.new > 0) return `imported ${summary.new} papers from ${days} recent days of ${config.HF_API_URL}`;
    } catch (err) {
      unreachable = ` because ${config.HF_API_URL} is not reachable (${(err as Error).message})`;
    }
  }
  const summary = await loadDemoData(db);
  return `loaded the demo data${unreachable}: ${summary.new} fictional papers (set HF_API_URL or run \`dailypapers import hf\` for real ones)`;
}

/** site_state: set while the demo data is being loaded, so that a start killed halfway finishes it (the list is no longer empty then). */
const DEMO_PENDING = 'demo_seed_pending';

/** importDemoData between the pending mark's setting and its removal. */
async function loadDemoData(db: Db): Promise<ImportSummary> {
  await db.kysely.insertInto('site_state').values({ key: DEMO_PENDING, value: 1 }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const summary = await importDemoData(db);
  await db.kysely.deleteFrom('site_state').where('key', '=', DEMO_PENDING).execute();
  return summary;
}

/** Loads the demo data shipped with the project (fictional papers, written for it); a second run changes nothing. */
export async function importDemoData(db: Db): Promise<ImportSummary> {
  const demo = JSON.parse(fs.readFileSync(DEMO_FILE, 'utf8')) as {
    categories: Record<string, string[]>;
    days: { date: string; items: { paper: { id: string } }[] }[];
  };
  const total = emptySummary();
  for (const { date, items } of demo.days) {
    const summary = await importHfItems(db, items, date, `demo ${date}`);
    addSummary(total, summary);
  }
  const listed = demo.days.flatMap((d) => d.items.map((i) => i.paper.id));
  const ids = (await db.kysely.selectFrom('papers').select('id').where('id', 'in', listed).execute()).map((p) => p.id);
  if (ids.length === 0) return total;
  const now = new Date().toISOString();
  await writeContent(
    db.kysely,
    async (trx) => {
      // The categories arXiv would give them, so that category filters, follows, feeds and
      // digest topics have something to show on a first start (papers without any only).
      const categorised = new Set(
        (await trx.selectFrom('paper_categories').select('paper_id').distinct().where('paper_id', 'in', ids).execute()).map((r) => r.paper_id),
      );
      const uncategorised = ids.filter((id) => !categorised.has(id) && (demo.categories[id]?.length ?? 0) > 0);
      for (const id of uncategorised) {
        await trx.updateTable('papers').set({ primary_category: demo.categories[id]![0]!, modified_at: now }).where('id', '=', id).where('primary_category', 'is', null).execute();
      }
      const rows = uncategorised.flatMap((paper_id) => demo.categories[paper_id]!.map((category) => ({ paper_id, category })));
      if (rows.length > 0) await trx.insertInto('paper_categories').values(rows).execute();
      // Their ids are made up: arXiv's metadata for the same ids belongs to other papers.
      await trx
        .insertInto('arxiv_metadata_checks')
        .values(ids.map((paper_id) => ({ paper_id, outcome: 'fictional', attempts: 0, checked_at: now, retry_at: null })))
        .onConflict((oc) => oc.column('paper_id').doNothing())
        .execute();
      return uncategorised.length;
    },
    (n) => n > 0,
  );
  return total;
}
