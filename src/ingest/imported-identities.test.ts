import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { connectDatabase, migrateToLatest } from '../db/database.ts';
import { migrations } from '../db/migrations.ts';
import { emptyDatabaseUrl, testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from './hf-import.ts';
import { linkImported } from '../accounts/user-cli.ts';

// Imported people are kept apart from local accounts (issue 13): an import never writes a local
// account, never makes one a verified author, and stores no handle a sign-up would refuse.

const HF_AK = { _id: 'hf-ak', user: 'akhaliq', fullname: 'AK at the source', avatarUrl: 'https://cdn.example/ak.png', type: 'user' };

const item = (id: string, title: string, opts: { submitter?: object; authorUser?: object } = {}) => ({
  paper: {
    id,
    title,
    summary: `Abstract of ${title}.`,
    publishedAt: '2026-11-10T00:00:00.000Z',
    upvotes: 3,
    authors: [
      { _id: `a-${id}`, name: 'Ahsen Khaliq', hidden: false, ...(opts.authorUser ? { user: opts.authorUser } : {}) },
      { _id: `b-${id}`, name: 'Bo Second', hidden: false },
    ],
    ...(opts.submitter ? { submittedOnDailyBy: opts.submitter } : {}),
  },
  publishedAt: '2026-11-18T09:00:00.000Z',
  title,
  numComments: 0,
});

describe('imported identities', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let squatter: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    // Someone registers the handle before it appears in an import.
    squatter = await signedInUser(db, { username: 'akhaliq', fullname: 'Squatter' });
    await importHfItems(db, [item('2611.08001', 'Imported person paper', { submitter: HF_AK, authorUser: HF_AK })], '2026-11-18', 'day');
  });
  afterAll(() => db.close());

  const page = async (path: string) => (await app.request(path)).text();

  it('never overwrites the local account of the same handle', async () => {
    const local = await db.kysely.selectFrom('users').selectAll().where('id', '=', squatter.id).executeTakeFirstOrThrow();
    expect(local).toMatchObject({ fullname: 'Squatter', avatar_url: null, hf_id: null });
    expect(await db.kysely.selectFrom('users').select('id').where('username', '=', 'akhaliq').execute()).toHaveLength(1);
    const imported = await db.kysely.selectFrom('imported_users').selectAll().where('username', '=', 'akhaliq').executeTakeFirstOrThrow();
    expect(imported).toMatchObject({ source: 'hf', fullname: 'AK at the source', avatar_url: 'https://cdn.example/ak.png', hf_id: 'hf-ak', user_id: null });
  });

  it('never makes the local account a verified author or the submitter', async () => {
    const [author] = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', '2611.08001').orderBy('position').execute();
    expect(author!.user_id).toBeNull();
    expect(author!.imported_user_id).not.toBeNull();
    const listing = await db.kysely.selectFrom('daily_listings').selectAll().where('paper_id', '=', '2611.08001').executeTakeFirstOrThrow();
    expect(listing.submitter_id).toBeNull();

    const html = await page('/papers/2611.08001');
    expect(html).toContain('submitted by AK at the source');
    expect(html).not.toContain('class="verified"');
    expect(html).not.toContain('href="/users/akhaliq"');
    expect(html).not.toContain('Squatter');
    expect(await page('/users/akhaliq')).not.toContain('Imported person paper');
  });

  it('answers the Hugging Face API in the same shape, with the imported person', async () => {
    const paper = (await (await app.request('/api/papers/2611.08001')).json()) as { authors: { user?: { user: string; fullname: string } }[]; submittedOnDailyBy?: { user: string; fullname: string } };
    expect(paper.authors[0]!.user).toMatchObject({ user: 'akhaliq', fullname: 'AK at the source' });
    expect(paper.authors[1]!.user).toBeUndefined();
    expect(paper.submittedOnDailyBy).toMatchObject({ user: 'akhaliq', fullname: 'AK at the source' });
    const bySubmitter = (await (await app.request('/api/daily_papers?submitter=akhaliq')).json()) as { paper: { id: string } }[];
    expect(bySubmitter.map((e) => e.paper.id)).toEqual(['2611.08001']);
  });

  it('drops and reports handles a sign-up would refuse, and keeps the record', async () => {
    const evil = { _id: 'hf-evil', user: '<script>x</script>', fullname: 'Evil', type: 'user' };
    const summary = await importHfItems(db, [item('2611.08002', 'Record with a bad handle', { submitter: evil, authorUser: evil })], '2026-11-18', 'bad');
    expect(summary.new).toBe(1);
    expect(summary.problems.map((p) => p.reason).join('\n')).toContain('<script>x</script>');
    expect(await db.kysely.selectFrom('users').select('id').where('username', '=', '<script>x</script>').execute()).toHaveLength(0);
    expect(await db.kysely.selectFrom('imported_users').select('id').where('username', '=', '<script>x</script>').execute()).toHaveLength(0);
    const listing = await db.kysely.selectFrom('daily_listings').selectAll().where('paper_id', '=', '2611.08002').executeTakeFirstOrThrow();
    expect(listing.imported_submitter_id).toBeNull();
  });

  it('becomes a verified author through an approved claim', async () => {
    await importHfItems(db, [item('2611.08003', 'Claimed paper', { authorUser: HF_AK })], '2026-11-18', 'claim');
    const admin = await signedInUser(db, { role: 'admin' });
    const claim = await app.request('/papers/2611.08003/claim', { method: 'POST', headers: formHeaders(squatter), body: new URLSearchParams({ _csrf: squatter.csrf, position: '0' }) });
    expect(claim.status).toBe(303);
    const { id } = await db.kysely.selectFrom('authorship_claims').select('id').where('paper_id', '=', '2611.08003').executeTakeFirstOrThrow();
    const approve = await app.request(`/admin/claims/${id}/approve`, { method: 'POST', headers: formHeaders(admin), body: new URLSearchParams({ _csrf: admin.csrf }) });
    expect(approve.status).toBe(303);
    expect(await page('/papers/2611.08003')).toContain('class="verified"');
    // A re-import keeps the verified authorship, and still writes nothing into the account.
    await importHfItems(db, [item('2611.08003', 'Claimed paper', { authorUser: { ...HF_AK, fullname: 'Renamed at the source' } })], '2026-11-18', 'again');
    const [author] = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', '2611.08003').orderBy('position').execute();
    expect(author!.user_id).toBe(squatter.id);
    expect((await db.kysely.selectFrom('users').select('fullname').where('id', '=', squatter.id).executeTakeFirstOrThrow()).fullname).toBe('Squatter');
  });

  it('is linked to a local account by an administrator, audited', async () => {
    const owner = await signedInUser(db, { username: 'ak-real' });
    expect(await linkImported(db, 'akhaliq', 'ak-real')).toMatch(/hf:akhaliq is now ak-real/);
    const [author] = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', '2611.08001').orderBy('position').execute();
    expect(author!.user_id).toBe(owner.id);
    expect(await page('/papers/2611.08001')).toContain('class="verified"');
    expect(await db.kysely.selectFrom('audit_log').select('id').where('action', '=', 'link-imported').execute()).toHaveLength(1);
    // Papers imported later show the linked account as their author too.
    await importHfItems(db, [item('2611.08004', 'Later paper', { authorUser: HF_AK })], '2026-11-19', 'later');
    const [later] = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', '2611.08004').orderBy('position').execute();
    expect(later!.user_id).toBe(owner.id);
  });
});

describe("migration '011_imported_identities'", () => {
  it('moves what imports wrote into users apart, keeps claimed authorships and accounts, and frees import-only handles', async () => {
    const db = await connectDatabase(await emptyDatabaseUrl());
    try {
      const steps = migrations(db.dialect);
      await migrateToLatest(db, Object.fromEntries(Object.entries(steps).filter(([name]) => name < '011')));
      const k = db.kysely;
      const at = '2026-11-18T09:00:00.000Z';
      // As the old import left them: an import-only user, and a local account it took over.
      const user = (username: string, email: string | null) =>
        sql<{ id: number }>`insert into users (username, fullname, avatar_url, hf_id, kind, created_at, email, role) values (${username}, ${`${username} name`}, null, ${`hf-${username}`}, 'user', ${at}, ${email}, 'user') returning id`
          .execute(k)
          .then((r) => r.rows[0]!.id);
      const onlyImported = await user('only-imported', null);
      const takenOver = await user('taken-over', 'taken@example.org');
      const claimer = await user('claimer', 'claimer@example.org');
      for (const id of ['2611.09001', '2611.09002']) {
        await sql`insert into papers (id, title, abstract, published_at, upvotes_source, upvotes, comments_source, trending_score, created_at, modified_at)
          values (${id}, 'T', 'A', ${at}, 0, 0, 0, 0, ${at}, ${at})`.execute(k);
      }
      await sql`insert into paper_authors (paper_id, position, name, hidden, user_id) values
        ('2611.09001', 0, 'Only Imported', 0, ${onlyImported}), ('2611.09001', 1, 'Taken Over', 0, ${takenOver}), ('2611.09002', 0, 'Claimer', 0, ${claimer})`.execute(k);
      await sql`insert into authorship_claims (paper_id, user_id, author_position, status, created_at) values ('2611.09002', ${claimer}, 0, 'approved', ${at})`.execute(k);
      await sql`insert into daily_listings (day, paper_id, submitted_at, submitter_id, source, created_at) values ('2026-11-18', '2611.09001', ${at}, ${takenOver}, 'hf', ${at})`.execute(k);

      await migrateToLatest(db);

      const imported = await k.selectFrom('imported_users').selectAll().orderBy('username').execute();
      expect(imported.map((i) => [i.source, i.username, i.user_id])).toEqual([
        ['hf', 'only-imported', null],
        ['hf', 'taken-over', null],
      ]);
      const authors = await k.selectFrom('paper_authors').selectAll().orderBy('paper_id').orderBy('position').execute();
      const idOf = (name: string) => imported.find((i) => i.username === name)!.id;
      expect(authors.map((a) => [a.user_id, a.imported_user_id])).toEqual([
        [null, idOf('only-imported')],
        [null, idOf('taken-over')],
        [claimer, null],
      ]);
      const listing = await k.selectFrom('daily_listings').selectAll().executeTakeFirstOrThrow();
      expect([listing.submitter_id, listing.imported_submitter_id]).toEqual([null, idOf('taken-over')]);
      const users = await k.selectFrom('users').select('username').orderBy('username').execute();
      expect(users.map((u) => u.username)).toEqual(['claimer', 'taken-over']);
    } finally {
      await db.close();
    }
  });
});
