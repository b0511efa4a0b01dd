import fs from 'node:fs';
import cliProgress from 'cli-progress';
import type { Db } from '../db/database.ts';
import { bulkImportArxivRecords } from './arxiv-bulk.ts';
import { readArxivSnapshot } from './arxiv-snapshot.ts';
import type { ImportSummary } from './summary.ts';

/**
 * `dailypapers import snapshot <file>`: streams arXiv's metadata snapshot into the
 * database, with a progress bar (bytes read, records/s, ETA) on `tty`, the terminal if stderr is one.
 */
export async function importSnapshotFile(db: Db, file: string, opts: { tty?: NodeJS.WriteStream; batchSize?: number } = {}): Promise<ImportSummary> {
  const { tty, batchSize } = opts;
  let total: number;
  try {
    total = fs.statSync(file).size;
  } catch {
    throw new Error(`import: no such file: ${file}`);
  }
  const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          stream: tty,
          format: 'import |{bar}| {percentage}% | {read}/{size} MB | {records} records | {rate}/s | ETA {eta_formatted}',
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let bytes = 0;
  const started = Date.now();
  bar?.start(Math.max(total, 1), 0, { read: 0, size: mb(total), records: 0, rate: 0 });
  try {
    const records = readArxivSnapshot(file, { onBytes: (n) => (bytes = n) });
    return await bulkImportArxivRecords(db, records, 'snapshot', (seen) => {
      const rate = Math.round(seen / Math.max((Date.now() - started) / 1000, 0.001));
      bar?.update(bytes, { read: mb(bytes), records: seen, rate });
    }, batchSize);
  } finally {
    bar?.update(bytes);
    bar?.stop();
  }
}
