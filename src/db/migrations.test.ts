import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDatabaseUrl, freshDb, testDialect } from '../../test/helpers.ts';
import { assertSchemaCurrent, connectDatabase, migrateToLatest, stepChecksums, type Db } from './database.ts';
import { migrations } from './migrations.ts';

const open: Db[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

async function track(db: Promise<Db>): Promise<Db> {
  open.push(await db);
  return open.at(-1)!;
}

describe('migrations are immutable', () => {
  it('refuses a database whose applied step the code has changed, naming the step', async () => {
    const db = await track(freshDb());
    const steps = migrations(db.dialect);
    await expect(assertSchemaCurrent(db, steps)).resolves.toBeUndefined();

    // Someone "fixes" a shipped step in place instead of adding a new one.
    const original = steps['002_job_runs']!;
    const edited: Record<string, Migration> = {
      ...steps,
      '002_job_runs': {
        async up(k) {
          await original.up(k);
          await k.schema.createIndex('job_runs_extra').on('job_runs').column('job').execute();
        },
      },
    };
    await expect(assertSchemaCurrent(db, edited)).rejects.toThrow(/002_job_runs differ from the ones this database was built with/);
    await expect(migrateToLatest(db, edited)).rejects.toThrow(/002_job_runs/);
    // The same code as before still serves.
    await expect(migrateToLatest(db, steps)).resolves.toEqual([]);
  });

  it('checksums what a step does, not how its source is written', async () => {
    const steps = migrations(testDialect);
    const reworded: Record<string, Migration> = { ...steps, '004_paper_license': { up: (k) => steps['004_paper_license']!.up(k) } };
    const a = await stepChecksums(testDialect, steps);
    const b = await stepChecksums(testDialect, reworded);
    expect(b.get('004_paper_license')).toBe(a.get('004_paper_license'));
    expect(new Set(a.values()).size).toBeGreaterThan(Object.keys(steps).length - 3);
  });
});

describe('repair of the steps edited after they shipped', () => {
  it('gives a database built by the first 009_digests its digest_bodies, keeping every queued digest', async () => {
    const db = await track(connectDatabase(await emptyDatabaseUrl()));
    const steps = migrations(db.dialect);
    const before = Object.fromEntries(Object.entries(steps).filter(([name]) => name < '009'));
    await new Migrator({ db: db.kysely, provider: { getMigrations: async () => ({ ...before, '009_digests': { up: (k) => firstDigestsStep(k, db.dialect) } }) } }).migrateToLatest();

    const now = new Date().toISOString();
    const k = db.kysely as Kysely<any>;
    const { id: subscription } = await k.insertInto('subscriptions').values({ email: 'ada@example.org', status: 'active', frequency: 'daily', created_at: now }).returning('id').executeTakeFirstOrThrow();
    await k
      .insertInto('digest_outbox')
      .values({ subscription_id: subscription, period: 'daily:2026-01-05', status: 'queued', message_id: '<m1@x>', subject: 'Your papers', html: '<p>hi</p>', text: 'hi', paper_ids: '["2401.00001"]', next_attempt_at: now, created_at: now })
      .execute();

    await migrateToLatest(db);
    await assertSchemaCurrent(db);
    const row = await k
      .selectFrom('digest_outbox as o')
      .innerJoin('digest_bodies as b', 'b.id', 'o.body_id')
      .select(['o.id', 'o.status', 'o.message_id', 'b.subject', 'b.html', 'b.paper_ids', 'b.period'])
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'queued', message_id: '<m1@x>', subject: 'Your papers', html: '<p>hi</p>', paper_ids: '["2401.00001"]', period: 'daily:2026-01-05' });
    // New digests still get ids of their own after the rebuild.
    const { id: body } = await k.insertInto('digest_bodies').values({ period: 'daily:2026-01-06', content_hash: 'h', subject: 's', html: 'h', text: 't', paper_ids: '[]', created_at: now }).returning('id').executeTakeFirstOrThrow();
    const next = await k.insertInto('digest_outbox').values({ subscription_id: subscription, period: 'daily:2026-01-06', status: 'queued', message_id: '<m2@x>', body_id: body, next_attempt_at: now, created_at: now }).returning('id').executeTakeFirstOrThrow();
    expect(next.id).toBeGreaterThan(row.id);
  });

  it.runIf(testDialect === 'postgres')('rebuilds a search vector made by the first 006_search', async () => {
    const db = await track(freshDb());
    const k = db.kysely as Kysely<any>;
    // The first 006_search's column, and a database that never ran the repair.
    await sql`drop index papers_search`.execute(k);
    await sql`alter table papers drop column search_vector`.execute(k);
    await sql`alter table papers add column search_vector tsvector generated always as (
      setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', author_names), 'B') ||
      setweight(to_tsvector('english', abstract), 'C')) stored`.execute(k);
    await sql`delete from kysely_migration where name = '009b_repair_edited_steps'`.execute(k);
    await sql`delete from migration_checksums where name = '009b_repair_edited_steps'`.execute(k);

    expect(await migrateToLatest(db)).toEqual(['009b_repair_edited_steps']);
    const expr = await sql<{ expr: string }>`select pg_get_expr(d.adbin, d.adrelid) as expr from pg_attrdef d
      join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum where d.adrelid = 'papers'::regclass and a.attname = 'search_vector'`.execute(k);
    expect(expr.rows[0]!.expr).toContain('regexp_replace');
    const index = await sql`select 1 from pg_indexes where indexname = 'papers_search'`.execute(k);
    expect(index.rows).toHaveLength(1);
  });
});

/** 009_digests as it first shipped (commit 50ecb03): each outbox row held its own mail. */
async function firstDigestsStep(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const id = (table: string) =>
    dialect === 'postgres'
      ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await id('subscriptions')
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('frequency', 'text', (c) => c.notNull())
    .addColumn('topics', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('max_papers', 'integer', (c) => c.notNull().defaultTo(10))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('unsubscribed_at', 'text')
    .addColumn('bounces', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('subscriptions_status').on('subscriptions').columns(['status', 'frequency']).execute();
  await db.schema.createIndex('subscriptions_user').on('subscriptions').column('user_id').execute();
  await id('digest_outbox')
    .addColumn('subscription_id', 'integer', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('paper_ids', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addUniqueConstraint('digest_outbox_subscription_period', ['subscription_id', 'period'])
    .execute();
  await db.schema.createIndex('digest_outbox_due').on('digest_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('digest_outbox_period').on('digest_outbox').columns(['period', 'status']).execute();
}
