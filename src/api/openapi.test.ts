import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';

describe('GET /api/openapi.json', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  beforeAll(async () => {
    ({ db, app } = await testApp());
  });
  afterAll(() => db.close());

  it('is an OpenAPI 3.1 document that describes every /api route the app serves', async () => {
    const res = await app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = JSON.parse(await res.text());
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBeTruthy();

    // `/api/papers/:id{.+}/upvote` is `/api/papers/{id}/upvote` in OpenAPI.
    const served = app.routes
      .filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(5);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
  });

  it('has the security scheme, the error schema, and the usual error responses on writes', async () => {
    const doc = await (await app.request('/api/openapi.json')).json();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.bearerAuth.description).toMatch(/write/);
    expect(doc.components.schemas.Error.required).toEqual(['error']);
    const upvote = doc.paths['/api/papers/{id}/upvote'].post;
    expect(Object.keys(upvote.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '429']));
    expect(upvote.security).toContainEqual({ bearerAuth: ['write'] });
    const submit = doc.paths['/api/daily_papers'].post;
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '413', '429']));
    // Every $ref points at a schema that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    for (const name of new Set(refs)) expect(doc.components.schemas[name], name).toBeDefined();
  });
});
