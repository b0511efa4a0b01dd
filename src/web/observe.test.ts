import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { freshDb, testConfig } from '../../test/helpers.ts';
import { importDemoData } from '../ingest/seed.ts';

describe('observability', () => {
  it('logs every request as JSON with its request id, and counts it in /metrics by route', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const db = await freshDb();
    await importDemoData(db);
    const app = createApp({ db, config: testConfig(), log: pino({ level: 'info' }, sink) });

    const res = await app.request('/papers/date/2026-11-20', { headers: { 'X-Request-Id': 'req-abc-123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    await app.request('/papers/2611.99999');
    // The second time, the page cache answers ahead of the chain: counted, not logged line by line.
    await app.request('/papers/date/2026-11-20');
    await new Promise((resolve) => setImmediate(resolve));

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ requestId: 'req-abc-123', method: 'GET', route: '/papers/date/:day', status: 200 });
    expect(lines[1]).toMatchObject({ route: '/papers/:id{.+}', status: 404 });
    expect(typeof lines[1]!.requestId).toBe('string');

    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/dailypapers_http_request_duration_seconds_count\{method="GET",route="\/papers\/date\/:day",status="200"\} [1-9]/);
    expect(metrics).toMatch(/dailypapers_ingest_records_total\{source="hf",outcome="new"\} [1-9]/);
    expect(metrics).toContain('process_cpu_seconds_total');
    expect(metrics).toMatch(/dailypapers_http_cached_responses_total [1-9]/);
    await db.close();
  });
});
