import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { importedRecords } from '../core/metrics.ts';

/** What an import or ingest run did. */
export interface ImportSummary {
  new: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The first problems, each with where it was and why. */
  problems: { position: string; reason: string }[];
}

/** A record that could not be read or mapped, and where it was. */
export class RecordProblem {
  constructor(
    readonly position: string,
    readonly reason: string,
  ) {}
}

const MAX_PROBLEMS_KEPT = 1000;

export function emptySummary(): ImportSummary {
  return { new: 0, updated: 0, unchanged: 0, rejected: 0, problems: [] };
}

/** Counts one stored record, in the summary and in the metrics. */
export function count(summary: ImportSummary, source: string, outcome: 'new' | 'updated' | 'unchanged'): void {
  summary[outcome]++;
  importedRecords.inc({ source, outcome });
}

/** Counts one rejected record and keeps the first problems for the report. */
export function reject(summary: ImportSummary, source: string, position: string, reason: string): void {
  summary.rejected++;
  importedRecords.inc({ source, outcome: 'rejected' });
  if (summary.problems.length < MAX_PROBLEMS_KEPT) summary.problems.push({ position, reason });
}

/** Keeps a problem with a record that was stored anyway (e.g. an invalid handle left out of it). */
export function note(summary: ImportSummary, position: string, reason: string): void {
  if (summary.problems.length < MAX_PROBLEMS_KEPT) summary.problems.push({ position, reason });
}

/** Adds one summary into another. */
export function addSummary(total: ImportSummary, part: ImportSummary): void {
  for (const key of ['new', 'updated', 'unchanged', 'rejected'] as const) total[key] += part[key];
  total.problems.push(...part.problems.slice(0, MAX_PROBLEMS_KEPT - total.problems.length));
}

/** Rows written at which an import refreshes PostgreSQL's statistics itself. */
const ANALYZE_AFTER = 1000;

/**
 * After a large import, PostgreSQL's planner still sees the tables as they were until
 * autovacuum gets round to them, and plans search and list queries as for a small table
 * (a full scan where the full-text index would answer). ANALYZE takes a sample: seconds
 * even at millions of rows. SQLite plans from its indexes alone.
 */
export async function refreshStatistics(db: Db, summary: ImportSummary): Promise<void> {
  if (db.dialect !== 'postgres' || summary.new + summary.updated < ANALYZE_AFTER) return;
  await sql`analyze papers, paper_authors, paper_categories, daily_listings`.execute(db.kysely);
}
