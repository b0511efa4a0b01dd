import { importedRecords } from '../metrics.ts';

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

/** Adds one summary into another. */
export function addSummary(total: ImportSummary, part: ImportSummary): void {
  for (const key of ['new', 'updated', 'unchanged', 'rejected'] as const) total[key] += part[key];
  total.problems.push(...part.problems.slice(0, MAX_PROBLEMS_KEPT - total.problems.length));
}
