// Papers and subscribers for the digest tests and bench: a featured day of papers across
// categories, organizations and authors, and active subscribers with chosen topics.
import type { Db } from '../src/db/database.ts';
import { importHfItems } from '../src/ingest/hf-import.ts';
import type { Topics } from '../src/digests/subscriptions.ts';

export const SUBJECTS = ['diffusion models', 'reinforcement learning', 'robot grasping', 'language models', 'graph networks'] as const;
export const CATEGORIES = ['cs.LG', 'cs.CL', 'cs.RO', 'cs.CV', 'stat.ML'] as const;

/**
 * `count` papers featured on `day`, ids `{prefix}.{10000+i}`: paper i is about SUBJECTS[i % 5],
 * in CATEGORIES[i % 5], from organization `deepmind` when i % 3 == 0, by "Ada Lovelace" when
 * i % 4 == 0, with 100 - 3i upvotes. Paper 1's title holds math.
 */
export async function seedDigestPapers(db: Db, day: string, count = 30, prefix = '2611'): Promise<string[]> {
  const items = Array.from({ length: count }, (_, i) => {
    const subject = SUBJECTS[i % SUBJECTS.length]!;
    const id = `${prefix}.${10000 + i}`;
    const title = i === 1 ? `Attention in $O(n \\log n)$ time for ${subject}` : `Paper ${i}: new results on ${subject}`;
    return {
      paper: {
        id,
        title,
        summary: `We study ${subject} at scale. Our method improves the state of the art on five benchmarks with a loss of $\\mathcal{L} = \\sum_i x_i^2$ and fewer parameters. `.repeat(3),
        publishedAt: `${day}T00:00:00.000Z`,
        upvotes: Math.max(0, 100 - 3 * i),
        authors: [...(i % 4 === 0 ? [{ name: 'Ada Lovelace' }] : []), { name: `Author Number${i}` }, { name: 'Grace Hopper' }],
        ...(i % 3 === 0 ? { organization: { name: 'deepmind', fullname: 'Google DeepMind' } } : {}),
      },
      publishedAt: `${day}T08:00:00.000Z`,
      title,
      numComments: 0,
    };
  });
  const summary = await importHfItems(db, items, day, 'digest-test');
  if (summary.rejected > 0) throw new Error(`seed: ${summary.rejected} papers rejected: ${JSON.stringify(summary.problems)}`);
  const ids = items.map((it) => it.paper.id);
  await db.kysely
    .insertInto('paper_categories')
    .values(ids.map((paper_id, i) => ({ paper_id, category: CATEGORIES[i % CATEGORIES.length]! })))
    .onConflict((oc) => oc.doNothing())
    .execute();
  return ids;
}

export interface NewSubscriber {
  email: string;
  topics?: Partial<Topics>;
  maxPapers?: number;
  frequency?: 'daily' | 'weekly';
}

/** Active subscribers, inserted in bulk; returns their ids in order. */
export async function addSubscribers(db: Db, subscribers: NewSubscriber[]): Promise<number[]> {
  const ids: number[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < subscribers.length; i += 500) {
    const rows = await db.kysely
      .insertInto('subscriptions')
      .values(
        subscribers.slice(i, i + 500).map((s) => ({
          email: s.email,
          status: 'active',
          frequency: s.frequency ?? 'daily',
          topics: JSON.stringify({ categories: [], queries: [], organizations: [], authors: [], ...s.topics }),
          max_papers: s.maxPapers ?? 10,
          created_at: now,
          confirmed_at: now,
          user_id: null,
          unsubscribed_at: null,
          last_error: null,
        })),
      )
      .returning('id')
      .execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}
