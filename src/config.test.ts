import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from './config.ts';

describe('config', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBe('sqlite:./data/dailypapers.db');
    expect(config.HF_API_URL).toBe('https://huggingface.co');
  });

  it('reports every bad field at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', BASE_URL: 'not a url', DATABASE_URL: 'mysql://x', SESSION_SECRET: 'short' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['PORT', 'BASE_URL', 'DATABASE_URL', 'SESSION_SECRET']) expect(problems).toContain(`${key}:`);
  });

  it('checks the cron expression of the arXiv ingest', () => {
    expect(() => loadConfig({ ARXIV_INGEST_CRON: 'every day' })).toThrow(/ARXIV_INGEST_CRON/);
    expect(() => loadConfig({ ARXIV_INGEST_TZ: 'Mars/Olympus' })).toThrow(/ARXIV_INGEST_CRON\/ARXIV_INGEST_TZ/);
    expect(loadConfig({ ARXIV_INGEST_CRON: '0 6 * * 1-5', ARXIV_INGEST_TZ: 'Europe/Paris' }).ARXIV_INGEST_CRON).toBe('0 6 * * 1-5');
  });

  it('masks secrets and passwords when printed', () => {
    const rows = describeConfig(
      loadConfig({ SESSION_SECRET: 'x'.repeat(40), DATABASE_URL: 'postgres://app:hunter2@db.internal:5432/papers' }),
    );
    const text = rows.map((r) => `${r.key}=${r.value}`).join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('x'.repeat(40));
    expect(text).toContain('DATABASE_URL=postgres://app:********@db.internal:5432/papers');
    expect(text).toContain('SESSION_SECRET=********');
  });
});
