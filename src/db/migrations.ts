import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from './database.ts';

/**
 * The schema's history: one ordered list, each step run in its own transaction
 * by Kysely's migrator. Never edit a step that has shipped; add the next one.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  // The only dialect twin so far: an auto-numbered primary key.
  const id = (db: Kysely<any>, table: string) =>
    dialect === 'postgres'
      ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    // Papers keyed by arXiv id, their ordered authors, and the days they are featured on.
    '001_initial': {
      async up(db) {
        await id(db, 'organizations')
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('fullname', 'text', (c) => c.notNull())
          .addColumn('avatar_url', 'text')
          .addColumn('hf_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await id(db, 'users')
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('fullname', 'text', (c) => c.notNull())
          .addColumn('avatar_url', 'text')
          .addColumn('hf_id', 'text')
          .addColumn('kind', 'text', (c) => c.notNull().defaultTo('user'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('papers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('version', 'integer')
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('abstract', 'text', (c) => c.notNull())
          .addColumn('primary_category', 'text')
          .addColumn('published_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text')
          .addColumn('comment', 'text')
          .addColumn('journal_ref', 'text')
          .addColumn('doi', 'text')
          .addColumn('pdf_url', 'text')
          .addColumn('github_repo', 'text')
          .addColumn('github_stars', 'integer')
          .addColumn('project_page', 'text')
          .addColumn('withdrawn_at', 'text')
          .addColumn('organization_id', 'integer', (c) => c.references('organizations.id').onDelete('set null'))
          .addColumn('upvotes_source', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('upvotes', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('comments_source', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('discussion_id', 'text')
          .addColumn('ai_summary', 'text')
          .addColumn('ai_keywords', 'text')
          .addColumn('thumbnail_url', 'text')
          .addColumn('trending_score', 'double precision', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('modified_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('papers_trending').on('papers').column('trending_score').execute();
        await db.schema.createIndex('papers_published').on('papers').column('published_at').execute();
        await db.schema.createIndex('papers_organization').on('papers').column('organization_id').execute();

        await db.schema
          .createTable('paper_authors')
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('position', 'integer', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('affiliation', 'text')
          .addColumn('hf_id', 'text')
          .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addPrimaryKeyConstraint('paper_authors_pk', ['paper_id', 'position'])
          .execute();
        await db.schema.createIndex('paper_authors_user').on('paper_authors').column('user_id').execute();

        await db.schema
          .createTable('paper_categories')
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('category', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('paper_categories_pk', ['paper_id', 'category'])
          .execute();
        await db.schema.createIndex('paper_categories_category').on('paper_categories').column('category').execute();

        await id(db, 'daily_listings')
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('submitted_at', 'text', (c) => c.notNull())
          .addColumn('submitter_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('source_record', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('daily_listings_day_paper', ['day', 'paper_id'])
          .execute();
        await db.schema.createIndex('daily_listings_paper').on('daily_listings').column('paper_id').execute();
        await db.schema.createIndex('daily_listings_submitted').on('daily_listings').column('submitted_at').execute();
        await db.schema.createIndex('daily_listings_submitter').on('daily_listings').column('submitter_id').execute();

        // One counter bumped by every write that changes what pages show; caches compare it.
        await db.schema
          .createTable('site_state')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'bigint', (c) => c.notNull())
          .execute();
        await db.insertInto('site_state').values({ key: 'content_version', value: 0 }).execute();
      },
    },
    // Scheduled jobs claim each period here: the primary key lets exactly one instance win it.
    '002_job_runs': {
      async up(db) {
        await db.schema
          .createTable('job_runs')
          .addColumn('job', 'text', (c) => c.notNull())
          .addColumn('period_start', 'text', (c) => c.notNull())
          .addColumn('instance', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull().defaultTo('running'))
          .addColumn('detail', 'text')
          .addPrimaryKeyConstraint('job_runs_pk', ['job', 'period_start'])
          .execute();
      },
    },
    // OAI-PMH harvest checkpoints: the resumption token of the page to fetch next, stored with each page.
    '003_harvest_state': {
      async up(db) {
        await db.schema
          .createTable('harvest_state')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('resumption_token', 'text')
          .addColumn('from_date', 'text')
          .addColumn('until_date', 'text')
          .addColumn('last_datestamp', 'text')
          .addColumn('completed_at', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // The license a paper is distributed under (arXiv's OAI metadata and snapshot carry it).
    '004_paper_license': {
      async up(db) {
        await db.schema.alterTable('papers').addColumn('license', 'text').execute();
      },
    },
  };
}
