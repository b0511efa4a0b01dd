import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { freshDb, testApp } from '../../test/helpers.ts';
import type { Database } from '../db/schema.ts';
import { contentVersion } from '../db/content-version.ts';
import { IMAGE_LIMITS, fetchImage, fetchImages } from './fetch.ts';
import { imageKey } from './store.ts';

// The slow answer comes long after the time limit, which leaves a busy machine room for the others.
const LIMITS = { maxBytes: 400_000, timeoutMs: 2500, maxPixels: 4_000_000, concurrency: 3, allowPrivateAddresses: true };

let server: http.Server;
let base: string;
const asked = new Map<string, number>();

beforeAll(async () => {
  const noise = (w: number, h: number) => sharp(Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: w, height: h, channels: 3 } });
  const png = await noise(1200, 630).png().toBuffer();
  const jpeg = await noise(300, 300).jpeg().toBuffer();
  const huge = await noise(700, 700).png({ compressionLevel: 0 }).toBuffer();
  const bomb = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#fff' } }).png().toBuffer();
  const files: Record<string, { type: string; body: Buffer; delay?: number; status?: number }> = {
    '/thumb.png': { type: 'image/png', body: png },
    '/face.jpg': { type: 'image/jpeg', body: jpeg },
    '/org.jpg': { type: 'image/jpeg', body: jpeg },
    '/broken.png': { type: 'image/png', body: png.subarray(0, 2000) },
    '/huge.png': { type: 'image/png', body: huge },
    '/bomb.png': { type: 'image/png', body: bomb },
    '/slow.png': { type: 'image/png', body: png, delay: 10_000 },
    '/page.png': { type: 'text/html', body: Buffer.from('<!doctype html><title>Not an image</title>') },
    '/down.png': { type: 'text/plain', body: Buffer.from('busy'), status: 503 },
  };
  server = http.createServer((req, res) => {
    asked.set(req.url!, (asked.get(req.url!) ?? 0) + 1);
    if (req.url!.startsWith('/to/')) return res.writeHead(302, { Location: decodeURIComponent(req.url!.slice(4)) }).end();
    const file = files[req.url!];
    if (!file) return res.writeHead(404).end();
    const send = () => res.writeHead(file.status ?? 200, { 'Content-Type': file.type }).end(file.body);
    if (file.delay) setTimeout(send, file.delay).unref();
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function addPaper(db: Kysely<Database>, id: string, thumbnail: string | null, title = `Paper ${id}`) {
  const at = '2026-06-01T00:00:00.000Z';
  await db
    .insertInto('papers')
    .values({ id, version: 1, title, abstract: 'An abstract.', primary_category: null, published_at: at, updated_at: null, comment: null, journal_ref: null, doi: null, pdf_url: null, github_repo: null, github_stars: null, project_page: null, withdrawn_at: null, license: null, organization_id: null, upvotes_source: 0, upvotes: 0, comments_source: 0, hidden_at: null, discussion_id: null, ai_summary: null, ai_keywords: null, thumbnail_url: thumbnail, trending_score: 0, created_at: at, modified_at: at })
    .execute();
}

async function seed(db: Kysely<Database>) {
  const names = ['thumb', 'broken', 'huge', 'bomb', 'slow', 'page', 'down'];
  for (const [i, name] of names.entries()) await addPaper(db, `2606.0000${i}`, `${base}/${name}.png`);
  // Two papers sharing one picture, and one with an address that is no web address.
  await addPaper(db, '2606.00010', `${base}/thumb.png`);
  await addPaper(db, '2606.00011', 'file:///etc/passwd');
  await db.insertInto('organizations').values({ name: 'acme', fullname: 'Acme Research', avatar_url: `${base}/org.jpg`, hf_id: null, created_at: new Date().toISOString() }).execute();
  await db.insertInto('users').values({ username: 'ada', fullname: 'Ada Lovelace', avatar_url: `${base}/face.jpg`, hf_id: null, kind: 'user', created_at: new Date().toISOString(), email: null, password_hash: null, banned_at: null, bio: null }).execute();
}

const rows = (db: Kysely<Database>) => db.selectFrom('images').select(['source_url', 'status', 'attempts', 'error', 'width', 'height', 'content_type', 'kind']).execute();

describe('the images job', () => {
  it('keeps real pictures resized, refuses the rest with a reason, and fetches nothing twice', async () => {
    const db = await freshDb();
    try {
      await seed(db.kysely);
      const before = await contentVersion(db.kysely);
      const run = await fetchImages(db.kysely, { deadline: Date.now() + 60_000, limits: LIMITS });
      expect(run, JSON.stringify(await rows(db.kysely))).toMatchObject({ stored: 3, retrying: 2, failed: 5, more: false });
      expect(await contentVersion(db.kysely)).toBeGreaterThan(before);

      const byName = new Map((await rows(db.kysely)).map((r) => [r.source_url.replace(base, ''), r]));
      expect(byName.size).toBe(10);
      expect(byName.get('/thumb.png')).toMatchObject({ status: 'ok', kind: 'thumbnail', width: 640, height: 336, content_type: 'image/webp' });
      expect(byName.get('/face.jpg')).toMatchObject({ status: 'ok', kind: 'avatar', width: 128, height: 128 });
      expect(byName.get('/org.jpg')).toMatchObject({ status: 'ok', kind: 'avatar' });
      expect(byName.get('/broken.png')).toMatchObject({ status: 'failed' });
      expect(byName.get('/broken.png')!.error).toMatch(/^not an image/);
      expect(byName.get('/huge.png')).toMatchObject({ status: 'failed' });
      expect(byName.get('/huge.png')!.error).toMatch(/^too large/);
      expect(byName.get('/bomb.png')!.error).toMatch(/^not an image: .*pixel/i);
      expect(byName.get('/page.png')!.error).toMatch(/^not an image/);
      expect(byName.get('file:///etc/passwd')).toMatchObject({ status: 'failed', error: 'not http(s): file:' });
      // A timeout and a 503 pass: tried again later, not now.
      expect(byName.get('/slow.png')).toMatchObject({ status: 'pending', attempts: 1 });
      expect(byName.get('/slow.png')!.error).toBe('no answer within 2500 ms');
      expect(byName.get('/down.png')).toMatchObject({ status: 'pending', error: 'answered 503' });

      const again = await fetchImages(db.kysely, { deadline: Date.now() + 60_000, limits: LIMITS });
      expect(again).toMatchObject({ stored: 0, failed: 0, retrying: 0 });
      for (const [path, n] of asked) expect([path, n]).toEqual([path, 1]);
      expect(asked.size).toBe(9);

      // Once its backoff is over, a passing failure is tried again, and given up after the last attempt.
      await db.kysely.updateTable('images').set({ next_attempt_at: '2000-01-01T00:00:00.000Z', attempts: 2 }).where('status', '=', 'pending').execute();
      const last = await fetchImages(db.kysely, { deadline: Date.now() + 60_000, limits: LIMITS });
      expect(last).toMatchObject({ stored: 0, failed: 2, retrying: 0 });
      expect(asked.get('/down.png')).toBe(2);
    } finally {
      await db.close();
    }
  });

  it('never fetches one address twice when two runs work at once', async () => {
    const db = await freshDb();
    try {
      const counts = new Map(asked);
      await seed(db.kysely);
      const deadline = Date.now() + 60_000;
      const [a, b] = await Promise.all([fetchImages(db.kysely, { deadline, limits: LIMITS }), fetchImages(db.kysely, { deadline, limits: LIMITS })]);
      expect(a.stored + b.stored).toBe(3);
      for (const [path, n] of asked) expect([path, n - (counts.get(path) ?? 0)]).toEqual([path, 1]);
    } finally {
      await db.close();
    }
  });
});

describe('serving images', () => {
  it('serves a kept image from this site for a year, and a stand-in card for a paper without one', async () => {
    const { app, db } = await testApp();
    try {
      await seed(db.kysely);
      await addPaper(db.kysely, '2606.00020', null, 'Scaling $\\mathcal{O}(n)$ Attention to 56.0% & <More>');
      await fetchImages(db.kysely, { deadline: Date.now() + 60_000, limits: LIMITS });
      const kept = await app.request(`/images/${imageKey(`${base}/thumb.png`)}.webp`);
      expect(kept.status).toBe(200);
      expect(kept.headers.get('content-type')).toBe('image/webp');
      expect(kept.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await sharp(Buffer.from(await kept.arrayBuffer())).metadata()).width).toBe(640);
      expect((await app.request(`/images/${imageKey(`${base}/broken.png`)}.webp`)).status).toBe(404);
      expect((await app.request(`/images/${'0'.repeat(32)}.webp`)).status).toBe(404);

      const svg = await app.request('/images/papers/2606.00020.svg');
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
      const text = await svg.text();
      expect(text).toContain('56.0% &amp;');
      expect(text).toContain('&lt;More&gt;');
      expect(text).not.toContain('<More>');
      const png = await app.request('/images/papers/2606.00020.png');
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(await sharp(Buffer.from(await png.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 1200, height: 630 });
      expect((await app.request('/images/papers/2606.99999.svg')).status).toBe(404);
      expect((await app.request('/images/organizations/acme.png')).status).toBe(200);
      expect((await app.request('/images/users/ada.png')).status).toBe(200);
      expect((await app.request('/images/users/nobody.png')).status).toBe(404);
    } finally {
      await db.close();
    }
  });
});

describe('image addresses', () => {
  it('follows a redirect to an image, and refuses more than three', async () => {
    const image = await fetchImage(`${base}/to/${encodeURIComponent('/thumb.png')}`, 'thumbnail', { ...IMAGE_LIMITS, ...LIMITS });
    expect(image.contentType).toBe('image/webp');
    let loop = '/thumb.png';
    for (let i = 0; i < 4; i++) loop = `/to/${encodeURIComponent(loop)}`;
    await expect(fetchImage(`${base}${loop}`, 'thumbnail', { ...IMAGE_LIMITS, ...LIMITS })).rejects.toThrow(/more than 3 redirects/);
  });

  it('never reads this machine or a private network with the default limits', async () => {
    const before = asked.get('/thumb.png') ?? 0;
    for (const url of [`${base}/thumb.png`, 'http://localhost:9/x.png', 'http://[::1]:9/x.png', 'http://10.1.2.3/x.png', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]:9/x.png']) {
      await expect(fetchImage(url, 'thumbnail', IMAGE_LIMITS), url).rejects.toThrow(/private address/);
    }
    expect(asked.get('/thumb.png') ?? 0).toBe(before);
  });
});
