import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of this process, served at `/metrics`. With several
 * instances, Prometheus scrapes each one and sums them.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequestDuration = new Histogram({
  name: 'dailypapers_http_request_duration_seconds',
  help: 'HTTP request latency by route pattern, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** Pages sent from the page cache, most ahead of the request chain (so not in the histogram above). */
export const cachedResponses = new Counter({
  name: 'dailypapers_http_cached_responses_total',
  help: 'Responses answered from the page cache',
  registers: [registry],
});

export const jobRuns = new Counter({
  name: 'dailypapers_job_runs_total',
  help: 'Scheduled job runs by job and outcome (ok, failed)',
  labelNames: ['job', 'outcome'] as const,
  registers: [registry],
});

export const mailsSent = new Counter({
  name: 'dailypapers_mails_total',
  help: 'Mails handed to the mail server (or the development outbox), by kind and outcome (sent, failed)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const importedRecords = new Counter({
  name: 'dailypapers_ingest_records_total',
  help: 'Records read by imports and ingests, by source and outcome (new, updated, unchanged, rejected)',
  labelNames: ['source', 'outcome'] as const,
  registers: [registry],
});

