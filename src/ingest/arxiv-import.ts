import type { Db } from '../db/database.ts';
import { anyChanged, writeContent } from '../db/content-version.ts';
import { saveArxivRecords } from './save.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { RecordProblem, count, emptySummary, refreshStatistics, reject, type ImportSummary } from './summary.ts';

const BATCH = 1000;

/**
 * Stores arXiv records from any of the arXiv parsers, in batches of one
 * transaction each (a crash loses at most the batch in flight, never half a
 * paper). `source` names the interface in the summary and the metrics.
 */
export async function importArxivRecords(
  db: Db,
  items: AsyncIterable<ArxivRecord | RecordProblem> | Iterable<ArxivRecord | RecordProblem>,
  source: string,
  onBatch?: (seen: number) => void,
): Promise<ImportSummary> {
  const summary = emptySummary();
  let batch: ArxivRecord[] = [];
  let seen = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    const now = new Date().toISOString();
    const outcomes = await writeContent(db.kysely, (trx) => saveArxivRecords(trx, records, now), anyChanged);
    for (const o of outcomes) count(summary, source, o);
    onBatch?.(seen);
  };
  for await (const item of items) {
    seen++;
    if (item instanceof RecordProblem) {
      reject(summary, source, item.position, item.reason);
      continue;
    }
    batch.push(item);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await refreshStatistics(db, summary);
  return summary;
}
