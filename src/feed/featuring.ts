import type { Db } from '../db/database.ts';
import type { Config } from '../core/config.ts';
import { writeContent } from '../db/content-version.ts';
import { dayOf } from '../core/periods.ts';
import { featureOnDay, papersForFeaturing } from './queries.ts';

/** An instance's rules for featuring newly announced papers without a person submitting them. */
export interface FeaturingRules {
  categories: string[];
  /** Lower-cased words or phrases matched in the title or abstract. */
  keywords: string[];
  maxPerDay: number;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function featuringRules(config: Config): FeaturingRules {
  return {
    categories: list(config.FEATURE_CATEGORIES),
    keywords: list(config.FEATURE_KEYWORDS).map((k) => k.toLowerCase()),
    maxPerDay: config.FEATURE_MAX_PER_DAY,
  };
}

/** Whether any rule picks this paper: one of its categories, or a keyword as a whole word or phrase. */
export function matchesRules(paper: { title: string; abstract: string; categories: string[] }, rules: FeaturingRules): boolean {
  if (paper.categories.some((c) => rules.categories.includes(c))) return true;
  const text = ` ${`${paper.title} ${paper.abstract}`.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  return rules.keywords.some((k) => text.includes(` ${k.replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `));
}

/**
 * Features the papers among `paperIds` that the rules pick and that were never
 * featured, on `now`'s day, under the system submitter, up to the day's limit.
 * Returns the ids featured.
 */
export async function featureByRules(db: Db, rules: FeaturingRules, paperIds: string[], now = new Date()): Promise<string[]> {
  if (paperIds.length === 0 || (rules.categories.length === 0 && rules.keywords.length === 0) || rules.maxPerDay === 0) return [];
  const day = dayOf(now);
  return writeContent(
    db.kysely,
    async (trx) => {
      const { candidates, alreadyByRules } = await papersForFeaturing(trx, paperIds, day);
      const picked = candidates.filter((p) => matchesRules(p, rules)).slice(0, Math.max(0, rules.maxPerDay - alreadyByRules));
      if (picked.length > 0) await featureOnDay(trx, picked.map((p) => p.id), day, now.toISOString());
      return picked.map((p) => p.id);
    },
    (ids) => ids.length > 0,
  );
}
