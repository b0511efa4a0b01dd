import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './database.ts';
import { DEFER_SETTING, sqliteKeysOf } from './suggest-keys.ts';

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
    // The community: accounts and sessions, votes, comments, claims, reports, moderation.
    '005_community': {
      async up(db) {
        for (const column of [
          db.schema.alterTable('users').addColumn('email', 'text'),
          db.schema.alterTable('users').addColumn('password_hash', 'text'),
          db.schema.alterTable('users').addColumn('role', 'text', (c) => c.notNull().defaultTo('user')),
          db.schema.alterTable('users').addColumn('banned_at', 'text'),
          db.schema.alterTable('users').addColumn('bio', 'text'),
          db.schema.alterTable('papers').addColumn('hidden_at', 'text'),
          db.schema.alterTable('papers').addColumn('comments', 'integer', (c) => c.notNull().defaultTo(0)),
          db.schema.alterTable('daily_listings').addColumn('hidden_at', 'text'),
        ]) {
          await column.execute();
        }
        await db.schema.createIndex('users_email').on('users').column('email').unique().execute();
        // Imported comment counts are the baseline, as upvotes_source is for votes.
        await db.updateTable('papers').set((eb) => ({ comments: eb.ref('comments_source') })).execute();

        // Server-side sessions, found by the SHA-256 of the cookie's token.
        await db.schema
          .createTable('sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('last_seen_at', 'text', (c) => c.notNull())
          .addColumn('user_agent', 'text')
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

        // One-time e-mailed links (sign in, sign up), stored hashed, used once.
        await db.schema
          .createTable('email_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('purpose', 'text', (c) => c.notNull())
          /** JSON: what the link does when used (e.g. the username chosen at sign-up). */
          .addColumn('payload', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('used_at', 'text')
          .execute();

        await id(db, 'api_tokens')
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

        await db.schema
          .createTable('upvotes')
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('upvotes_pk', ['user_id', 'paper_id'])
          .execute();
        await db.schema.createIndex('upvotes_paper').on('upvotes').column('paper_id').execute();

        await id(db, 'comments')
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('parent_id', 'integer', (c) => c.references('comments.id').onDelete('cascade'))
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('edited_at', 'text')
          .addColumn('deleted_at', 'text')
          .addColumn('hidden_at', 'text')
          .execute();
        await db.schema.createIndex('comments_paper').on('comments').columns(['paper_id', 'created_at']).execute();
        await db.schema.createIndex('comments_user').on('comments').column('user_id').execute();

        await db.schema
          .createTable('organization_members')
          .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('role', 'text', (c) => c.notNull().defaultTo('member'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('organization_members_pk', ['organization_id', 'user_id'])
          .execute();
        await db.schema.createIndex('organization_members_user').on('organization_members').column('user_id').execute();

        await id(db, 'authorship_claims')
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          /** Which author on the paper the user says they are. */
          .addColumn('author_position', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('decided_at', 'text')
          .addColumn('decided_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addUniqueConstraint('authorship_claims_paper_user', ['paper_id', 'user_id'])
          .execute();
        await db.schema.createIndex('authorship_claims_status').on('authorship_claims').column('status').execute();

        await id(db, 'reports')
          .addColumn('reporter_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          /** `comment`, `paper`, `listing` or `user`. */
          .addColumn('target_type', 'text', (c) => c.notNull())
          .addColumn('target_id', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('resolved_at', 'text')
          .addColumn('resolved_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('resolution', 'text')
          .execute();
        await db.schema.createIndex('reports_open').on('reports').columns(['resolved_at', 'created_at']).execute();

        // Every moderation action, kept: who did what to which target, and why.
        await id(db, 'audit_log')
          .addColumn('actor_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          /** Who acted when there is no user: `cli:<os user>`. */
          .addColumn('actor_label', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target_type', 'text', (c) => c.notNull())
          .addColumn('target_id', 'text', (c) => c.notNull())
          .addColumn('detail', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_log_created').on('audit_log').column('created_at').execute();

        // Per-key counters for rate limits, shared by every instance on the database.
        await db.schema
          .createTable('rate_limits')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('window_start', 'text', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .execute();
      },
    },

    // Full-text search (docs/decisions/009-search.md). Each paper row carries its authors' names,
    // and the database itself keeps the index in step with every insert, update, hide and delete.
    '006_search': {
      async up(db) {
        await db.schema.alterTable('papers').addColumn('author_names', 'text', (c) => c.notNull().defaultTo('')).execute();
        if (dialect === 'postgres') {
          await sql`update papers set author_names = coalesce((select string_agg(a.name, ', ' order by a.position) from paper_authors a where a.paper_id = papers.id), '')`.execute(db);
          // Title over authors over abstract: the weights A, B and C that ts_rank reads. Punctuation
          // becomes space first, as in FTS5 and the query parser: PostgreSQL's parser would keep
          // `image/video`, URLs and hosts as single tokens and read `SemEval-2026` as `-2026`.
          await sql`alter table papers add column search_vector tsvector generated always as (
            setweight(to_tsvector('english', regexp_replace(title, '[[:punct:][:space:]]+', ' ', 'g')), 'A') ||
            setweight(to_tsvector('english', regexp_replace(author_names, '[[:punct:][:space:]]+', ' ', 'g')), 'B') ||
            setweight(to_tsvector('english', regexp_replace(abstract, '[[:punct:][:space:]]+', ' ', 'g')), 'C')) stored`.execute(db);
          await sql`create index papers_search on papers using gin (search_vector)`.execute(db);
          return;
        }
        await sql`update papers set author_names = coalesce((select group_concat(name, ', ') from (select a.name from paper_authors a where a.paper_id = papers.id order by a.position)), '')`.execute(db);
        // A stable integer key per paper (VACUUM may renumber the rowids of a table keyed by text).
        await sql`create table paper_search_rows (doc integer primary key, paper_id text not null unique)`.execute(db);
        // The visible papers as the index sees them: FTS5 reads its external content from here.
        await sql`create view paper_search_source as
          select r.doc, p.title, p.author_names, p.abstract from paper_search_rows r join papers p on p.id = r.paper_id where p.hidden_at is null`.execute(db);
        await sql`create virtual table paper_search using fts5(
          title, author_names, abstract,
          content = 'paper_search_source', content_rowid = 'doc',
          tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')`.execute(db);
        await sql`create trigger papers_search_insert after insert on papers begin
          insert into paper_search_rows (paper_id) values (new.id);
          insert into paper_search (rowid, title, author_names, abstract)
            select r.doc, new.title, new.author_names, new.abstract from paper_search_rows r where r.paper_id = new.id and new.hidden_at is null;
        end`.execute(db);
        await sql`create trigger papers_search_update after update of title, author_names, abstract, hidden_at on papers
          when old.title is not new.title or old.author_names is not new.author_names or old.abstract is not new.abstract
            or (old.hidden_at is null) <> (new.hidden_at is null) begin
          insert into paper_search (paper_search, rowid, title, author_names, abstract)
            select 'delete', r.doc, old.title, old.author_names, old.abstract from paper_search_rows r where r.paper_id = old.id and old.hidden_at is null;
          insert into paper_search (rowid, title, author_names, abstract)
            select r.doc, new.title, new.author_names, new.abstract from paper_search_rows r where r.paper_id = new.id and new.hidden_at is null;
        end`.execute(db);
        await sql`create trigger papers_search_delete after delete on papers begin
          insert into paper_search (paper_search, rowid, title, author_names, abstract)
            select 'delete', r.doc, old.title, old.author_names, old.abstract from paper_search_rows r where r.paper_id = old.id and old.hidden_at is null;
          delete from paper_search_rows where paper_id = old.id;
        end`.execute(db);
        // Existing papers get keys in publication order, so that a newer paper has a larger key.
        await sql`insert into paper_search_rows (paper_id) select id from papers order by published_at, id`.execute(db);
        await sql`insert into paper_search (paper_search) values ('rebuild')`.execute(db);
      },
    },
    // Semantic search: one vector per paper (float32, little-endian) for the model that made it,
    // and the papers the embedding service refused, with when to try them again.
    '007_embeddings': {
      async up(db) {
        await db.schema
          .createTable('paper_embeddings')
          .addColumn('paper_id', 'text', (c) => c.primaryKey().references('papers.id').onDelete('cascade'))
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('dimensions', 'integer', (c) => c.notNull())
          .addColumn('vector', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        // The search cache asks for the count and latest vector of one model on every query.
        await db.schema.createIndex('paper_embeddings_model').on('paper_embeddings').columns(['model', 'dimensions', 'created_at']).execute();
        await db.schema
          .createTable('embedding_failures')
          .addColumn('paper_id', 'text', (c) => c.primaryKey().references('papers.id').onDelete('cascade'))
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('last_error', 'text', (c) => c.notNull())
          .addColumn('failed_at', 'text', (c) => c.notNull())
          .addColumn('retry_at', 'text', (c) => c.notNull())
          .execute();
      },
    },

    // E-mail digests (docs/decisions/010-digests.md): subscriptions with double opt-in, and an
    // outbox that holds each (subscription, period) digest once, built before it is sent.
    '009_digests': {
      async up(db) {
        await id(db, 'subscriptions')
          /** Lowercased; one subscription per address. */
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          /** `pending` (not confirmed), `active`, `unsubscribed` or `bounced`. */
          .addColumn('status', 'text', (c) => c.notNull())
          /** `daily` or `weekly`. */
          .addColumn('frequency', 'text', (c) => c.notNull())
          /** JSON: `{categories, queries, organizations, authors}`, each a list of strings. */
          .addColumn('topics', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('max_papers', 'integer', (c) => c.notNull().defaultTo(10))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('confirmed_at', 'text')
          .addColumn('unsubscribed_at', 'text')
          /** Permanent delivery failures in a row; at the limit the status becomes `bounced`. */
          .addColumn('bounces', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .execute();
        await db.schema.createIndex('subscriptions_status').on('subscriptions').columns(['status', 'frequency']).execute();
        await db.schema.createIndex('subscriptions_user').on('subscriptions').column('user_id').execute();

        // Each distinct rendered digest of a period, once: subscribers who share a selection
        // share its body (528 bodies for 100,000 subscribers in bench/DIGESTS.md). The body holds
        // placeholders for the per-subscriber links, which the sender fills in.
        await id(db, 'digest_bodies')
          .addColumn('period', 'text', (c) => c.notNull())
          /** SHA-256 of subject, HTML and text: the same rendering is stored once per period. */
          .addColumn('content_hash', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('html', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          /** JSON array of the paper ids in the digest. */
          .addColumn('paper_ids', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('digest_bodies_period_hash', ['period', 'content_hash'])
          .execute();

        await id(db, 'digest_outbox')
          .addColumn('subscription_id', 'integer', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
          /** `daily:2026-11-25` or `weekly:2026-W48`. */
          .addColumn('period', 'text', (c) => c.notNull())
          /** `queued`, `sending`, `sent`, `failed` (permanent) or `skipped` (nothing to send). */
          .addColumn('status', 'text', (c) => c.notNull())
          /** Fixed when the digest is built, so a resend is recognisably the same mail. */
          .addColumn('message_id', 'text', (c) => c.notNull())
          /** What the mail says, shared with every subscriber of the same selection. */
          .addColumn('body_id', 'integer', (c) => c.notNull().references('digest_bodies.id'))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          /** The instance sending it, and until when its claim holds. */
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'text')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('sent_at', 'text')
          .addUniqueConstraint('digest_outbox_subscription_period', ['subscription_id', 'period'])
          .execute();
        await db.schema.createIndex('digest_outbox_due').on('digest_outbox').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('digest_outbox_period').on('digest_outbox').columns(['period', 'status']).execute();
      },
    },

    // The sender checks each digest body against the papers hidden since it was built
    // (src/digests/outbox.ts): hidden papers are few, so a partial index finds them at once.
    // 006_search and 009_digests were edited after they shipped. A database built by the first
    // versions gets here what the edits added; one built by the edited steps is left as it is.
    // Sorted before 010, which needs digest_outbox.body_id.
    '009b_repair_edited_steps': {
      async up(db) {
        const outboxColumns = (await db.introspection.getTables()).find((t) => t.name === 'digest_outbox')?.columns.map((c) => c.name) ?? [];
        if (outboxColumns.length > 0 && !outboxColumns.includes('body_id')) await repairDigestOutbox(db, dialect);
        if (dialect === 'postgres') await repairSearchVector(db);
      },
    },

    '010_hidden_papers': {
      async up(db) {
        await db.schema.createIndex('papers_hidden').on('papers').column('hidden_at').where(sql.ref('hidden_at'), 'is not', null).execute();
        await db.schema.createIndex('digest_outbox_body').on('digest_outbox').column('body_id').execute();
      },
    },

    // Imported people are not local accounts (issue 13). An import used to match users by
    // handle: it overwrote a local account's name and avatar, and made it a verified author of
    // papers it never claimed. Imported identities now live apart, keyed by source and handle,
    // and reach a local account only through a verified step: an approved claim (which sets
    // paper_authors.user_id) or an administrator's link (imported_users.user_id).
    '011_imported_identities': {
      async up(db) {
        await id(db, 'imported_users')
          /** Where the identity comes from: `hf` (Hugging Face). */
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('username', 'text', (c) => c.notNull())
          .addColumn('fullname', 'text', (c) => c.notNull())
          .addColumn('avatar_url', 'text')
          .addColumn('hf_id', 'text')
          /** The local account an administrator linked it to; null until then. */
          .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('imported_users_source_username', ['source', 'username'])
          .execute();
        await db.schema.createIndex('imported_users_user').on('imported_users').column('user_id').execute();
        await db.schema
          .alterTable('daily_listings')
          .addColumn('imported_submitter_id', 'integer', (c) => c.references('imported_users.id').onDelete('set null'))
          .execute();
        await db.schema.alterTable('paper_authors').addColumn('imported_user_id', 'integer', (c) => c.references('imported_users.id').onDelete('set null')).execute();
        await db.schema.createIndex('paper_authors_imported_user').on('paper_authors').column('imported_user_id').execute();
        await db.schema.createIndex('daily_listings_imported_submitter').on('daily_listings').column('imported_submitter_id').execute();

        // What imports wrote into users: submitters of imported listings, and authors linked without
        // an approved claim. Their profiles (as the import last wrote them) become imported identities.
        const claimed = sql`exists (select 1 from authorship_claims c where c.paper_id = a.paper_id and c.user_id = a.user_id
          and c.author_position = a.position and c.status = 'approved')`;
        await sql`insert into imported_users (source, username, fullname, avatar_url, hf_id, user_id, created_at)
          select 'hf', u.username, u.fullname, u.avatar_url, u.hf_id, null, u.created_at from users u
          where u.kind = 'user' and (
            exists (select 1 from daily_listings l where l.submitter_id = u.id and l.source = 'hf')
            or exists (select 1 from paper_authors a where a.user_id = u.id and not ${claimed}))`.execute(db);
        const importedOf = (userRef: string) =>
          sql`(select i.id from imported_users i join users u on u.username = i.username where i.source = 'hf' and u.id = ${sql.ref(userRef)})`;
        await sql`update daily_listings set imported_submitter_id = ${importedOf('daily_listings.submitter_id')}, submitter_id = null
          where source = 'hf' and submitter_id is not null`.execute(db);
        await sql`update paper_authors set imported_user_id = ${importedOf('paper_authors.user_id')}, user_id = null
          where user_id is not null and not exists (select 1 from authorship_claims c where c.paper_id = paper_authors.paper_id
            and c.user_id = paper_authors.user_id and c.author_position = paper_authors.position and c.status = 'approved')`.execute(db);

        // Users rows that only an import made (no address, no password) and that nothing else
        // refers to any more go: their handles are free for the people who own them.
        await sql`delete from users where kind = 'user' and email is null and password_hash is null
          and username in (select username from imported_users where source = 'hf')
          and not exists (select 1 from daily_listings l where l.submitter_id = users.id)
          and not exists (select 1 from paper_authors a where a.user_id = users.id)
          and not exists (select 1 from comments c where c.user_id = users.id)
          and not exists (select 1 from upvotes v where v.user_id = users.id)
          and not exists (select 1 from organization_members m where m.user_id = users.id)
          and not exists (select 1 from authorship_claims c where c.user_id = users.id or c.decided_by = users.id)
          and not exists (select 1 from sessions s where s.user_id = users.id)
          and not exists (select 1 from api_tokens t where t.user_id = users.id)
          and not exists (select 1 from reports r where r.reporter_id = users.id or r.resolved_by = users.id)
          and not exists (select 1 from subscriptions s where s.user_id = users.id)
          and not exists (select 1 from audit_log g where g.actor_id = users.id)`.execute(db);
      },
    },

    // Secrets this instance made for itself (src/db/secrets.ts): in development the root secret of
    // mail-link signing is generated once and kept here, so links outlive a restart and no key
    // is derived from a value anyone can know. Not site_state: its values are numbers.
    '012_instance_secrets': {
      async up(db) {
        await db.schema
          .createTable('instance_settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
    },

    // Comments are typeset once, when written, and stored: 10,000 characters of `$x^2$ `
    // re-typeset on every view made 1.26 MB and stalled the server (issue 13). Rows written
    // before keep html null and are rendered once, on first read (comments/comments.ts),
    // so this step needs no renderer of its own, and a later fix to the renderer can ask for
    // a fresh rendering by setting html back to null in a migration.
    '013_comment_html': {
      async up(db) {
        await db.schema.alterTable('comments').addColumn('html', 'text').execute();
      },
    },

    // A reader's library (issue 17): collections of papers, ordered, each item with a note
    // (Markdown, rendered once when written like comments), and per-reader marks on papers.
    // Saving puts a paper in the reader's default collection, made on first save; the partial
    // unique index keeps it one per reader when two first saves race.
    '015_library': {
      async up(db) {
        await id(db, 'collections')
          .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          /** `{title-slug}-{id}`: with the owner's handle it is Hugging Face's collection slug. */
          .addColumn('slug', 'text', (c) => c.notNull())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('private', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('collections_owner_slug', ['owner_id', 'slug'])
          .execute();
        await db.schema.createIndex('collections_default').on('collections').column('owner_id').unique().where(sql.ref('is_default'), '=', 1).execute();

        await id(db, 'collection_items')
          .addColumn('collection_id', 'integer', (c) => c.notNull().references('collections.id').onDelete('cascade'))
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('position', 'integer', (c) => c.notNull())
          /** Markdown, as written, and rendered (comments/markdown.ts) when written. */
          .addColumn('note', 'text')
          .addColumn('note_html', 'text')
          .addColumn('added_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('collection_items_collection_paper', ['collection_id', 'paper_id'])
          .execute();
        await db.schema.createIndex('collection_items_order').on('collection_items').columns(['collection_id', 'position']).execute();
        await db.schema.createIndex('collection_items_paper').on('collection_items').column('paper_id').execute();

        // One row per reader and paper: read, and hidden (`hidden` or `not-interested`).
        await db.schema
          .createTable('paper_marks')
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('read_at', 'text')
          .addColumn('hidden_at', 'text')
          /** `hidden` or `not-interested`; null when not hidden. */
          .addColumn('hidden_reason', 'text')
          .addPrimaryKeyConstraint('paper_marks_pk', ['user_id', 'paper_id'])
          .execute();
        await db.schema.createIndex('paper_marks_paper').on('paper_marks').column('paper_id').execute();
        await db.schema.createIndex('paper_marks_hidden').on('paper_marks').columns(['user_id', 'hidden_at']).where(sql.ref('hidden_at'), 'is not', null).execute();
      },
    },

    // Papers imported from Hugging Face come without arXiv's categories, comments, journal
    // reference or DOI; a job asks arXiv for them (ingest/arxiv-metadata.ts). A row per paper
    // asked remembers the answer, so a paper arXiv does not know is not asked again every run,
    // and an interrupted backfill resumes where it stopped.
    '018_metadata_backfill': {
      async up(db) {
        await db.schema
          .createTable('arxiv_metadata_checks')
          .addColumn('paper_id', 'text', (c) => c.primaryKey().references('papers.id').onDelete('cascade'))
          /** `found`, or `unknown` (arXiv left it out of its answer). */
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('checked_at', 'text', (c) => c.notNull())
          /** When to ask again; null: never. */
          .addColumn('retry_at', 'text')
          .execute();
      },
    },

    // Issue 17: what a reader follows (authors by name, organizations, arXiv categories, saved
    // searches), the tokens of their private for-you feed (only hashes, revocable), and whether
    // their digest is "for you". Author pages look papers up by name, hence its index.
    '017_follows': {
      async up(db) {
        await db.schema
          .createTable('follows')
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('follows_pk', ['user_id', 'kind', 'target'])
          .execute();
        await id(db, 'feed_tokens')
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema.createIndex('feed_tokens_user').on('feed_tokens').column('user_id').execute();
        await db.schema.createIndex('paper_authors_name').on('paper_authors').column('name').execute();
        await db.schema.alterTable('subscriptions').addColumn('for_you', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      },
    },

    // Images shown on pages (papers' thumbnails, organizations' and people's avatars), fetched
    // once from their source by the images job, resized and kept here, so that pages load them
    // from this site and no reader's address reaches the source (issue 18). A row per source
    // address is also the job's claim on it: nothing is fetched twice.
    '016_images': {
      async up(db) {
        await id(db, 'images')
          .addColumn('source_url', 'text', (c) => c.notNull().unique())
          .addColumn('key', 'text', (c) => c.notNull().unique())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('content_type', 'text')
          .addColumn('width', 'integer')
          .addColumn('height', 'integer')
          .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob')
          .addColumn('fetched_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('images_due').on('images').columns(['status', 'next_attempt_at']).execute();
      },
    },

    // Related papers were computed on a paper page's first view in each hour (0.2–0.8 s on
    // PostgreSQL with the full archive); they change only as papers arrive or are reworded, so
    // they are computed then (search/related.ts) and stored. related_at null marks a paper to do:
    // every existing paper, new papers, and papers whose title or abstract changed.
    '014_related_papers': {
      async up(db) {
        await db.schema
          .createTable('related_papers')
          .addColumn('paper_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addColumn('rank', 'integer', (c) => c.notNull())
          .addColumn('related_id', 'text', (c) => c.notNull().references('papers.id').onDelete('cascade'))
          .addPrimaryKeyConstraint('related_papers_pk', ['paper_id', 'rank'])
          .execute();
        await db.schema.createIndex('related_papers_related').on('related_papers').column('related_id').execute();
        await db.schema.alterTable('papers').addColumn('related_at', 'text').execute();
        await db.schema.createIndex('papers_related_at').on('papers').column('related_at').execute();
      },
    },

    // The backfill looks for papers without categories; without this it walked every paper each
    // run (12 µs a row on SQLite: 0.1 s at 10k papers, seconds at a million) to find none. Every
    // source but Hugging Face sets a primary category, so the index holds only the papers
    // still to fill (and the few arXiv does not know).
    '018b_metadata_backfill_index': {
      async up(db) {
        await db.schema.createIndex('papers_uncategorised').on('papers').column('published_at').where(sql.ref('primary_category'), 'is', null).execute();
      },
    },

    // Issue 16: a reader's own saves, hides, follows and votes bumped the content version and so
    // dropped every cached page; they now bump only their reader's version. Kept cards are
    // checked against their paper's row and against cards_version, which every content write
    // bumps but votes and comments (they change only the paper's own row).
    '019_reader_versions': {
      async up(db) {
        await db.schema.alterTable('users').addColumn('state_version', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.insertInto('site_state').values({ key: 'cards_version', value: 0 }).execute();
      },
    },

    // Issue 17: each reader's for-you model, so that a restart or another instance does not
    // learn it again from their signals (docs/decisions/017); `version` goes up with each change
    // and names the copy an instance keeps in memory. And whether a reader leaves the papers
    // they marked read out of their daily lists.
    '020_reader_models': {
      async up(db) {
        await db.schema
          .createTable('reader_models')
          .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
          .addColumn('version', 'integer', (c) => c.notNull())
          /** JSON: what was learned, signal by signal (foryou/model.ts ReaderModel.toJSON). */
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.alterTable('users').addColumn('hide_read', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      },
    },

    // Issue 19: the search index lives in each process (search/search-index.ts) and follows the
    // papers through this log: every change that search reads appends the paper's id, and each
    // instance applies what is past its own position. Named paper_search_* so that a copy leaves
    // it out, as it does FTS5's tables (the target's triggers log what the copy writes).
    '022_search_changes': {
      async up(db) {
        const changed = (o: string, n: string) =>
          ['title', 'author_names', 'abstract', 'hidden_at', 'upvotes', 'published_at', 'github_repo', 'organization_id']
            .map((c) => `${o}.${c} is distinct from ${n}.${c}`)
            .join(' or ');
        if (dialect === 'postgres') {
          await sql`create table paper_search_changes (seq bigint generated by default as identity primary key, paper_id text not null)`.execute(db);
          await sql`create function paper_search_log_paper() returns trigger language plpgsql as $$ begin
              insert into paper_search_changes (paper_id) values (case when tg_op = 'DELETE' then old.id else new.id end);
              return null;
            end $$`.execute(db);
          await sql`create function paper_search_log_category() returns trigger language plpgsql as $$ begin
              insert into paper_search_changes (paper_id) values (case when tg_op = 'DELETE' then old.paper_id else new.paper_id end);
              return null;
            end $$`.execute(db);
          await sql`create trigger papers_search_log_insert after insert or delete on papers for each row execute function paper_search_log_paper()`.execute(db);
          await sql
            .raw(`create trigger papers_search_log_update after update on papers for each row when (${changed('old', 'new')}) execute function paper_search_log_paper()`)
            .execute(db);
          await sql`create trigger paper_categories_search_log after insert or delete on paper_categories for each row execute function paper_search_log_category()`.execute(db);
          return;
        }
        await sql`create table paper_search_changes (seq integer primary key autoincrement, paper_id text not null)`.execute(db);
        await sql`create trigger papers_search_log_insert after insert on papers begin insert into paper_search_changes (paper_id) values (new.id); end`.execute(db);
        await sql`create trigger papers_search_log_delete after delete on papers begin insert into paper_search_changes (paper_id) values (old.id); end`.execute(db);
        await sql
          .raw(`create trigger papers_search_log_update after update on papers when ${changed('old', 'new').replaceAll('is distinct from', 'is not')}
            begin insert into paper_search_changes (paper_id) values (new.id); end`)
          .execute(db);
        await sql`create trigger paper_categories_search_log_insert after insert on paper_categories begin
            insert into paper_search_changes (paper_id) values (new.paper_id); end`.execute(db);
        await sql`create trigger paper_categories_search_log_delete after delete on paper_categories begin
            insert into paper_search_changes (paper_id) values (old.paper_id); end`.execute(db);
      },
    },

    // Issue 19: a vote or a hide changes only per-paper numbers the index holds in arrays, so the
    // log says which kind of change it was ('state': only upvotes or hidden_at; 'index': what the
    // postings hold), and each process applies state changes in place instead of re-indexing the
    // paper. And when each change was logged, so that rows older than a day can be pruned
    // (search/search-index.ts pruneSearchChanges; a process further behind rebuilds).
    '023_search_change_kinds': {
      async up(db) {
        const changed = (columns: string[], o: string, n: string, op: string) => columns.map((c) => `${o}.${c} ${op} ${n}.${c}`).join(' or ');
        const indexed = ['title', 'author_names', 'abstract', 'published_at', 'github_repo', 'organization_id'];
        const state = ['upvotes', 'hidden_at'];
        await sql`alter table paper_search_changes add column kind text not null default 'index'`.execute(db);
        await db.insertInto('site_state').values({ key: 'search_changes_pruned', value: 0 }).execute();
        if (dialect === 'postgres') {
          await sql`alter table paper_search_changes add column logged_at timestamptz not null default now()`.execute(db);
          await sql`create or replace function paper_search_log_paper() returns trigger language plpgsql as $$ begin
              insert into paper_search_changes (paper_id, kind) values (case when tg_op = 'DELETE' then old.id else new.id end, coalesce(tg_argv[0], 'index'));
              return null;
            end $$`.execute(db);
          await sql`drop trigger papers_search_log_update on papers`.execute(db);
          await sql
            .raw(`create trigger papers_search_log_update after update on papers for each row when (${changed(indexed, 'old', 'new', 'is distinct from')})
              execute function paper_search_log_paper()`)
            .execute(db);
          await sql
            .raw(`create trigger papers_search_log_state after update on papers for each row
              when (not (${changed(indexed, 'old', 'new', 'is distinct from')}) and (${changed(state, 'old', 'new', 'is distinct from')}))
              execute function paper_search_log_paper('state')`)
            .execute(db);
          await sql`create index paper_search_changes_logged_at on paper_search_changes (logged_at)`.execute(db);
          return;
        }
        // SQLite cannot add a column whose default is the time: the triggers write it.
        await sql`alter table paper_search_changes add column logged_at text`.execute(db);
        await sql`update paper_search_changes set logged_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`.execute(db);
        const now = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
        for (const t of ['papers_search_log_insert', 'papers_search_log_delete', 'papers_search_log_update', 'paper_categories_search_log_insert', 'paper_categories_search_log_delete']) {
          await sql.raw(`drop trigger ${t}`).execute(db);
        }
        const log = (id: string, kind = 'index') => `insert into paper_search_changes (paper_id, kind, logged_at) values (${id}, '${kind}', ${now})`;
        await sql.raw(`create trigger papers_search_log_insert after insert on papers begin ${log('new.id')}; end`).execute(db);
        await sql.raw(`create trigger papers_search_log_delete after delete on papers begin ${log('old.id')}; end`).execute(db);
        await sql.raw(`create trigger papers_search_log_update after update on papers when ${changed(indexed, 'old', 'new', 'is not')} begin ${log('new.id')}; end`).execute(db);
        await sql
          .raw(`create trigger papers_search_log_state after update on papers when not (${changed(indexed, 'old', 'new', 'is not')}) and (${changed(state, 'old', 'new', 'is not')})
            begin ${log('new.id', 'state')}; end`)
          .execute(db);
        await sql.raw(`create trigger paper_categories_search_log_insert after insert on paper_categories begin ${log('new.paper_id')}; end`).execute(db);
        await sql.raw(`create trigger paper_categories_search_log_delete after delete on paper_categories begin ${log('old.paper_id')}; end`).execute(db);
        await sql`create index paper_search_changes_logged_at on paper_search_changes (logged_at)`.execute(db);
      },
    },

    // Issue 18: the header's suggestions scanned every title, author and organization with
    // `lower(col) like '% word%'` on each keystroke. Each of them now has a key per word start
    // (the text from that word on, lowered, its first 48 characters) that the database keeps in
    // step by triggers, so a suggestion is a range scan of one index: `key >= q and key < q⁺`
    // (suggest/queries.ts). PostgreSQL keeps the keys in byte order (collate "C") as SQLite
    // does, so the same bounds hold on both. Words past a title's 256th character get no key.
    // The derived table is left out of a copy (db/copy.ts): the target's triggers fill it.
    '025_suggest_keys': {
      async up(db) {
        const KEY = 48;
        const SPAN = 256;
        if (dialect === 'postgres') {
          await sql`create table suggest_keys (key text collate "C" not null, kind text not null, target text not null, primary key (kind, key, target))`.execute(db);
          await sql.raw(`create function suggest_keys_of(t text) returns setof text language sql immutable as $$
              select distinct left(substr(s, n), ${KEY}) from (select btrim(regexp_replace(lower(t), '\\s+', ' ', 'g')) as s) x, generate_series(1, least(length(s), ${SPAN})) n
              where (n = 1 or substr(s, n - 1, 1) = ' ') and substr(s, n, 1) <> ' ' $$`).execute(db);
          await sql`create function suggest_keys_paper() returns trigger language plpgsql as $$ begin
              if tg_op <> 'INSERT' then delete from suggest_keys where kind = 'paper' and target = old.id; end if;
              if tg_op <> 'DELETE' then insert into suggest_keys select k, 'paper', new.id from suggest_keys_of(new.title) k on conflict do nothing; end if;
              return null;
            end $$`.execute(db);
          // An author's keys go with the last paper that names them.
          await sql`create function suggest_keys_author() returns trigger language plpgsql as $$ begin
              if tg_op <> 'INSERT' and not exists (select 1 from paper_authors where name = old.name) then delete from suggest_keys where kind = 'author' and target = old.name; end if;
              if tg_op <> 'DELETE' then insert into suggest_keys select k, 'author', new.name from suggest_keys_of(new.name) k on conflict do nothing; end if;
              return null;
            end $$`.execute(db);
          await sql`create function suggest_keys_organization() returns trigger language plpgsql as $$ begin
              if tg_op <> 'INSERT' then delete from suggest_keys where kind = 'organization' and target = old.name; end if;
              if tg_op <> 'DELETE' then
                insert into suggest_keys select k, 'organization', new.name from (select suggest_keys_of(new.name) union select suggest_keys_of(new.fullname)) x(k) on conflict do nothing;
              end if;
              return null;
            end $$`.execute(db);
          await sql`create trigger papers_suggest after insert or delete or update of title on papers for each row execute function suggest_keys_paper()`.execute(db);
          await sql`create trigger paper_authors_suggest after insert or delete or update of name on paper_authors for each row execute function suggest_keys_author()`.execute(db);
          await sql`create trigger organizations_suggest after insert or delete or update of name, fullname on organizations for each row execute function suggest_keys_organization()`.execute(db);
          await sql`insert into suggest_keys select k, 'paper', id from papers, suggest_keys_of(title) k on conflict do nothing`.execute(db);
          await sql`insert into suggest_keys select k, 'author', name from (select distinct name from paper_authors) a, suggest_keys_of(name) k on conflict do nothing`.execute(db);
          await sql`insert into suggest_keys select k, 'organization', name from organizations, suggest_keys_of(name) k on conflict do nothing`.execute(db);
          await sql`insert into suggest_keys select k, 'organization', name from organizations, suggest_keys_of(fullname) k on conflict do nothing`.execute(db);
          // A paper by the start of its id: `id like '2606.1%'` in the id's own collation needs this index.
          await sql`create index papers_id_pattern on papers (id text_pattern_ops)`.execute(db);
        } else {
          await sql`create table suggest_keys (key text not null, kind text not null, target text not null, primary key (kind, key, target)) without rowid`.execute(db);
          // SQLite's triggers take no WITH clause (so no recursive split): the word starts are found by offset.
          await sql`create table suggest_offsets (n integer primary key)`.execute(db);
          await sql.raw(`insert into suggest_offsets (n) select value from json_each(json_array(${Array.from({ length: SPAN }, (_, i) => i + 1).join(',')}))`).execute(db);
          // Whitespace as one space (runs of up to eight), then every offset that starts a word: rows of (id, k).
          const keysOf = sqliteKeysOf; // shared with the bulk import's set-wise build (db/suggest-keys.ts)
          const keys = (kind: string, select: string) => `insert into suggest_keys (key, kind, target) select k, '${kind}', id from (${select}) where true on conflict do nothing;`;
          const run = (statement: string) => sql.raw(statement).execute(db);
          await run(`create trigger papers_suggest_insert after insert on papers begin ${keys('paper', keysOf('new.title', 'new.id'))} end`);
          await run(`create trigger papers_suggest_update after update of title on papers when old.title is not new.title begin
              delete from suggest_keys where kind = 'paper' and target = old.id; ${keys('paper', keysOf('new.title', 'new.id'))} end`);
          await run(`create trigger papers_suggest_delete after delete on papers begin delete from suggest_keys where kind = 'paper' and target = old.id; end`);
          // An author's keys go with the last paper that names them.
          const authorGone = `delete from suggest_keys where kind = 'author' and target = old.name and not exists (select 1 from paper_authors where name = old.name);`;
          const authorKeys = keys('author', keysOf('new.name', 'new.name'));
          await run(`create trigger paper_authors_suggest_insert after insert on paper_authors begin ${authorKeys} end`);
          await run(`create trigger paper_authors_suggest_update after update of name on paper_authors when old.name is not new.name begin ${authorGone} ${authorKeys} end`);
          await run(`create trigger paper_authors_suggest_delete after delete on paper_authors begin ${authorGone} end`);
          const organizationKeys = keys('organization', `${keysOf('new.name', 'new.name')} union ${keysOf('new.fullname', 'new.name')}`);
          await run(`create trigger organizations_suggest_insert after insert on organizations begin ${organizationKeys} end`);
          await run(`create trigger organizations_suggest_update after update of name, fullname on organizations begin
              delete from suggest_keys where kind = 'organization' and target = old.name; ${organizationKeys} end`);
          await run(`create trigger organizations_suggest_delete after delete on organizations begin delete from suggest_keys where kind = 'organization' and target = old.name; end`);
          await run(keys('paper', keysOf('title', 'id', 'from papers')));
          await run(keys('author', keysOf('name', 'name', 'from (select distinct name from paper_authors)')));
          await run(keys('organization', `${keysOf('name', 'name', 'from organizations')} union ${keysOf('fullname', 'name', 'from organizations')}`));
        }
        await sql`create index suggest_keys_target on suggest_keys (kind, target)`.execute(db);
      },
    },

    // arXiv's terms hold for the whole site, not per process: one request at a time, three
    // seconds apart. Every process that shares the database (app instances, their jobs, an
    // operator's CLI) takes its turn through this row per upstream origin
    // (ingest/upstream-lane.ts). `free_at` is epoch milliseconds; `holder` names the current turn.
    '026_upstream_lanes': {
      async up(db) {
        await db.schema
          .createTable('upstream_lanes')
          .addColumn('origin', 'text', (c) => c.primaryKey())
          .addColumn('free_at', 'bigint', (c) => c.notNull())
          .addColumn('holder', 'text')
          .execute();
      },
    },

    // Issue 19: `import snapshot` at a million papers spent hours in the per-row suggest-key
    // triggers (about 13 keys a paper at random places of suggest_keys, decision 032). A bulk
    // import skips them and notes its new papers here, in the same transaction as the papers;
    // their keys are then built set-wise in key order (db/suggest-keys.ts, decision 033). A row
    // left here by a kill is finished by the next import, `migrate` or `serve`. PostgreSQL's
    // triggers skip inserts in a transaction that sets dailypapers.suggest_keys = 'deferred';
    // SQLite's bulk loader drops and re-creates its triggers inside its transaction instead.
    '027_suggest_keys_pending': {
      async up(db) {
        await sql`create table suggest_keys_pending (paper_id text not null)`.execute(db);
        if (dialect !== 'postgres') return;
        const deferred = `current_setting('${DEFER_SETTING}', true) is distinct from 'deferred'`;
        await sql`drop trigger papers_suggest on papers`.execute(db);
        await sql`drop trigger paper_authors_suggest on paper_authors`.execute(db);
        await sql.raw(`create trigger papers_suggest_insert after insert on papers for each row when (${deferred}) execute function suggest_keys_paper()`).execute(db);
        await sql`create trigger papers_suggest after delete or update of title on papers for each row execute function suggest_keys_paper()`.execute(db);
        await sql.raw(`create trigger paper_authors_suggest_insert after insert on paper_authors for each row when (${deferred}) execute function suggest_keys_author()`).execute(db);
        await sql`create trigger paper_authors_suggest after delete or update of name on paper_authors for each row execute function suggest_keys_author()`.execute(db);
      },
    },

    // PostgreSQL's suggest_keys_of (025) tried each of a text's first 256 characters as a word
    // start, character by character, and sorted each text's keys for `distinct`: 1.2 ms a title,
    // 24 s of a 20,000-paper import's 43 (decision 033). The same keys from the text's words:
    // the rest of the text from each word on, for the words that start within its first 256
    // characters. Duplicates (two word starts whose first 48 characters agree) are left to the
    // callers' `on conflict do nothing` and `union`.
    '028_suggest_keys_by_words': {
      async up(db) {
        if (dialect !== 'postgres') return;
        await sql.raw(`create or replace function suggest_keys_of(t text) returns setof text language sql immutable as $$
            select left(array_to_string(w[i:], ' '), 48)
            from (select string_to_array(s, ' ') as w, length(s) as l from (select btrim(regexp_replace(lower(t), '\\s+', ' ', 'g')) as s) x) y, generate_subscripts(w, 1) i
            where l <= 256 or length(array_to_string(w[:i], ' ')) - length(w[i]) < 256 $$`).execute(db);
      },
    },

    // 028 built each key by joining the words from it on (`array_to_string(w[i:])`): a title's
    // keys cost it a join per word, 20,000 titles 9–11 s under load. The same keys by offset:
    // a word's start is the running sum of the lengths before it (one pass), its key the 48
    // characters there; 2.3–2.7 s in the same session (decision 040). PostgreSQL 13 has no
    // string_to_table, hence unnest(string_to_array()).
    '031_suggest_keys_by_offsets': {
      async up(db) {
        if (dialect !== 'postgres') return;
        await sql.raw(`create or replace function suggest_keys_of(t text) returns setof text language sql immutable as $$
            select substr(s, st::int, 48) from (
              select s, sum(length(w) + 1) over (order by i) - length(w) as st
              from (select btrim(regexp_replace(lower(t), '\\s+', ' ', 'g')) as s) x, unnest(string_to_array(x.s, ' ')) with ordinality u(w, i)) y
            where st <= 256 $$`).execute(db);
      },
    },
  };
}

/**
 * The first 009_digests kept each digest's text in its outbox row; the shipped one keeps it once
 * per period in digest_bodies. Each old row becomes a body of its own (keyed `legacy:<id>`, so no
 * new build ever shares it) and the outbox is rebuilt in the shipped shape, ids kept.
 */
async function repairDigestOutbox(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const postgres = dialect === 'postgres';
  const id = (table: string) =>
    postgres
      ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await id('digest_bodies')
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('paper_ids', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('digest_bodies_period_hash', ['period', 'content_hash'])
    .execute();
  await sql`insert into digest_bodies (period, content_hash, subject, html, text, paper_ids, created_at)
    select period, 'legacy:' || id, subject, html, text, paper_ids, created_at from digest_outbox`.execute(db);

  await db.schema.dropIndex('digest_outbox_due').execute();
  await db.schema.dropIndex('digest_outbox_period').execute();
  await db.schema.alterTable('digest_outbox').renameTo('digest_outbox_legacy').execute();
  if (postgres) await sql`alter table digest_outbox_legacy rename constraint digest_outbox_subscription_period to digest_outbox_legacy_subscription_period`.execute(db);
  await id('digest_outbox')
    .addColumn('subscription_id', 'integer', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('body_id', 'integer', (c) => c.notNull().references('digest_bodies.id'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addUniqueConstraint('digest_outbox_subscription_period', ['subscription_id', 'period'])
    .execute();
  await sql`insert into digest_outbox (id, subscription_id, period, status, message_id, body_id, attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, sent_at)
    select o.id, o.subscription_id, o.period, o.status, o.message_id, b.id, o.attempts, o.next_attempt_at, o.lease_owner, o.lease_until, o.last_error, o.created_at, o.sent_at
    from digest_outbox_legacy o join digest_bodies b on b.content_hash = 'legacy:' || o.id`.execute(db);
  if (postgres) await sql`select setval(pg_get_serial_sequence('digest_outbox', 'id'), coalesce((select max(id) from digest_outbox), 0) + 1, false)`.execute(db);
  await db.schema.dropTable('digest_outbox_legacy').execute();
  await db.schema.createIndex('digest_outbox_due').on('digest_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('digest_outbox_period').on('digest_outbox').columns(['period', 'status']).execute();
}

/**
 * The first 006_search indexed PostgreSQL's own tokens (`image/video` one word, `SemEval-2026`
 * read as `-2026`); the shipped one turns punctuation into spaces first, as FTS5 does.
 */
async function repairSearchVector(db: Kysely<any>): Promise<void> {
  const current = await sql<{ expr: string | null }>`select pg_get_expr(d.adbin, d.adrelid) as expr
    from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
    where d.adrelid = 'papers'::regclass and a.attname = 'search_vector'`.execute(db);
  const expr = current.rows[0]?.expr;
  if (!expr || expr.includes('regexp_replace')) return;
  await sql`drop index if exists papers_search`.execute(db);
  await sql`alter table papers drop column search_vector`.execute(db);
  await sql`alter table papers add column search_vector tsvector generated always as (
    setweight(to_tsvector('english', regexp_replace(title, '[[:punct:][:space:]]+', ' ', 'g')), 'A') ||
    setweight(to_tsvector('english', regexp_replace(author_names, '[[:punct:][:space:]]+', ' ', 'g')), 'B') ||
    setweight(to_tsvector('english', regexp_replace(abstract, '[[:punct:][:space:]]+', ' ', 'g')), 'C')) stored`.execute(db);
  await sql`create index papers_search on papers using gin (search_vector)`.execute(db);
}
