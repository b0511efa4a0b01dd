import { enforceLimit } from '../http/rate-limit.ts';
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { RequestError, zodDetails } from '../http/respond.ts';
import { DigestBuilder, dayIn, duePeriod } from './build.ts';
import { personalize, renderDigest } from './render.ts';
import { siteInfo } from './outbox.ts';
import { MAX_PAPERS, frequencySchema, topicsSchema } from './subscriptions.ts';

const many = z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string()));

const previewQuery = z.object({
  frequency: frequencySchema.default('daily'),
  max: z.coerce.number().int().min(MAX_PAPERS.min).max(MAX_PAPERS.max).default(MAX_PAPERS.default),
  category: many,
  q: many,
  org: many,
  author: many,
});

/**
 * `GET /digest/preview`: the digest due now, as a subscriber without topics gets it, in the
 * browser. `?category=cs.LG&q=…&org=…&author=…&max=5&frequency=weekly` previews topics.
 */
export async function showDigestPreview(c: Context<AppEnv>) {
  const url = new URL(c.req.url);
  const raw = Object.fromEntries([...new Set(url.searchParams.keys())].map((k) => [k, url.searchParams.getAll(k)]));
  const single = (k: string) => (raw[k]?.length ? raw[k][0] : undefined);
  const parsed = previewQuery.safeParse({ ...raw, frequency: single('frequency'), max: single('max') });
  if (!parsed.success) throw new RequestError(400, 'invalid preview parameters', zodDetails(parsed.error));
  const topics = topicsSchema.safeParse({ categories: parsed.data.category, queries: parsed.data.q, organizations: parsed.data.org, authors: parsed.data.author });
  if (!topics.success) throw new RequestError(400, 'invalid topics', zodDetails(topics.error));
  // Topics run saved searches: an open page that does that much work is limited per client.
  if (parsed.data.q?.length) await enforceLimit(c, 'digestPreview');

  const [db, config] = [c.get('db'), c.get('config')];
  const period = await duePeriod(db, parsed.data.frequency, dayIn(config.DIGEST_TZ, new Date()));
  const builder = period ? await DigestBuilder.forPeriod(db, period) : null;
  if (!period || !builder || builder.papers.length === 0) {
    throw new RequestError(404, 'no digest to preview: no papers have been listed for this period yet');
  }
  const site = siteInfo(config);
  const digest = renderDigest(await builder.select(topics.data, parsed.data.max), period, site);
  // A preview belongs to nobody: its footer links lead to the subscribe page.
  const mail = personalize(digest, { preferences: `${site.baseUrl}/subscribe`, unsubscribe: `${site.baseUrl}/subscribe` });
  c.header('Cache-Control', 'no-store');
  return c.html(mail.html);
}
