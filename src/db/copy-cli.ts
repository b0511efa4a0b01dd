import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { copyDatabase } from './copy.ts';
import { connectDatabase, sqlitePath, type Db } from './database.ts';
import type { CommandOutput } from '../core/command-output.ts';

/** `dailypapers copy --from <url> --to <url>`: copies, prints the verification, fails on any mismatch. */
export async function copyCommand(fromUrl: string, toUrl: string, io: CommandOutput): Promise<void> {
  if (fromUrl === toUrl) throw new Error('copy: --from and --to name the same database');
  const from = await open('--from', fromUrl);
  try {
    const to = await open('--to', toUrl);
    try {
      await copyAndReport(from, to, io);
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

async function open(flag: '--from' | '--to', url: string): Promise<Db> {
  // Opening a SQLite path creates the file: a mistyped source would otherwise look like an empty database.
  const file = sqlitePath(url);
  if (flag === '--from' && !/^postgres(ql)?:/.test(url) && file !== ':memory:' && !fs.existsSync(file)) {
    throw new Error(`copy: --from: no such SQLite file: ${file}`);
  }
  try {
    return await connectDatabase(url, { poolSize: 2 });
  } catch (err) {
    throw new Error(`copy: ${flag}: ${(err as Error).message.replace(/^db: /, '')}`);
  }
}

async function copyAndReport(from: Db, to: Db, io: CommandOutput): Promise<void> {
  const bar = io.tty
    ? new cliProgress.SingleBar({ format: 'copy {table} |{bar}| {value}/{total} rows', hideCursor: true, stream: io.tty }, cliProgress.Presets.shades_classic)
    : null;
  let current = '';
  let report;
  try {
    report = await copyDatabase(from, to, ({ table, copied, total }) => {
      if (!bar) return;
      if (table !== current) {
        if (current) bar.stop();
        current = table;
        bar.start(total, 0, { table });
      }
      bar.update(copied);
    });
  } finally {
    bar?.stop();
  }

  const width = Math.max(...report.map((r) => r.table.length));
  io.out(`${'table'.padEnd(width)}  ${'source'.padStart(8)}  ${'target'.padStart(8)}  source sha256  target sha256`);
  for (const r of report) {
    const counts = `${String(r.sourceRows).padStart(8)}  ${String(r.targetRows).padStart(8)}`;
    io.out(`${r.table.padEnd(width)}  ${counts}  ${r.sourceChecksum.slice(0, 12)}   ${r.targetChecksum.slice(0, 12)}   ${r.ok ? 'ok' : 'MISMATCH'}`);
  }
  const failed = report.filter((r) => !r.ok).map((r) => r.table);
  if (failed.length > 0) throw new Error(`copy: verification failed for ${failed.join(', ')}`);
  const rows = report.reduce((sum, r) => sum + r.targetRows, 0);
  io.out(`copy: ${rows} rows in ${report.length} tables copied and verified`);
}
