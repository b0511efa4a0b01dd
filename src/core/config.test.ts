import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EXAMPLE_SECRET, describeConfig, loadConfig, productionProblems, productionWarnings, secretWeakness } from './config.ts';

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

describe('production checks', () => {
  const strong = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
  const production = (env: Record<string, string> = {}) =>
    loadConfig({ NODE_ENV: 'production', SESSION_SECRET: strong, BASE_URL: 'https://papers.example.org', SMTP_URL: 'smtp://mail.example.org:587', ...env });

  it('passes a production configuration with a strong secret and an https BASE_URL', () => {
    expect(productionProblems(production())).toEqual([]);
  });

  it('names every missing setting: SESSION_SECRET, BASE_URL, and NODE_ENV itself', () => {
    const problems = productionProblems(loadConfig({ NODE_ENV: 'production' }));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['SESSION_SECRET', 'BASE_URL']);
    expect(problems[0]).toMatch(/SESSION_SECRET: is not set; .*openssl rand -hex 32/);
    expect(productionProblems(loadConfig({})).map((p) => p.split(':')[0])).toEqual(['NODE_ENV', 'SESSION_SECRET', 'BASE_URL']);
  });

  it('refuses secrets that are long but guessable, the .env.example placeholder among them', () => {
    const placeholder = /^# SESSION_SECRET=(.+)$/m.exec(fs.readFileSync(path.resolve(import.meta.dirname, '../../.env.example'), 'utf8'))?.[1];
    expect(placeholder).toBe(EXAMPLE_SECRET);
    for (const weak of ['x'.repeat(40), 'ab'.repeat(20), '0123456780123456780123456780123456', EXAMPLE_SECRET]) {
      expect(secretWeakness(weak), weak).not.toBeNull();
      expect(productionProblems(production({ SESSION_SECRET: weak })).join('\n'), weak).toMatch(/^SESSION_SECRET: /);
    }
    expect(secretWeakness(strong)).toBeNull();
    expect(secretWeakness('short')).toMatch(/at least 32/);
  });

  it('wants https for BASE_URL, and a strong METRICS_TOKEN when one is set', () => {
    expect(productionProblems(production({ BASE_URL: 'http://papers.example.org' }))).toEqual([expect.stringMatching(/^BASE_URL: .* is not https/)]);
    expect(productionProblems(production({ METRICS_TOKEN: 'm'.repeat(40) }))).toEqual([expect.stringMatching(/^METRICS_TOKEN: /)]);
    expect(productionProblems(production({ METRICS_TOKEN: strong.split('').reverse().join('') }))).toEqual([]);
  });

  it('warns about a missing SMTP_URL and a proxy setting that does not fit', () => {
    expect(productionWarnings(production())).toEqual([expect.stringMatching(/^TRUST_PROXY: is false/)]);
    expect(productionWarnings(production({ TRUST_PROXY: 'true' }))).toEqual([]);
    expect(productionWarnings(production({ SMTP_URL: '', TRUST_PROXY: 'true', HOST: '0.0.0.0' })).map((w) => w.split(':')[0])).toEqual(['SMTP_URL', 'TRUST_PROXY']);
  });

  it('masks METRICS_TOKEN when printed', () => {
    const text = describeConfig(production({ METRICS_TOKEN: strong })).map((r) => `${r.key}=${r.value}`).join('\n');
    expect(text).toContain('METRICS_TOKEN=********');
    expect(text).not.toContain(strong);
  });
});
