import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The tables, as Kysely sees them. Timestamps are ISO-8601 UTC strings
 * (`2026-06-17T00:00:00.000Z`) and days are `YYYY-MM-DD`: they sort as text and
 * read the same on SQLite and PostgreSQL (docs/decisions/002-storage.md).
 */
export interface Database {
  suggest_keys: SuggestKeyTable;
  organizations: OrganizationTable;
  users: UserTable;
  imported_users: ImportedUserTable;
  papers: PaperTable;
  paper_authors: PaperAuthorTable;
  paper_categories: PaperCategoryTable;
  daily_listings: DailyListingTable;
  site_state: SiteStateTable;
  job_runs: JobRunTable;
  harvest_state: HarvestStateTable;
  upstream_lanes: UpstreamLaneTable;
  sessions: SessionTable;
  email_tokens: EmailTokenTable;
  api_tokens: ApiTokenTable;
  upvotes: UpvoteTable;
  comments: CommentTable;
  organization_members: OrganizationMemberTable;
  authorship_claims: AuthorshipClaimTable;
  reports: ReportTable;
  audit_log: AuditLogTable;
  rate_limits: RateLimitTable;
  paper_embeddings: PaperEmbeddingTable;
  related_papers: RelatedPaperTable;
  embedding_failures: EmbeddingFailureTable;
  subscriptions: SubscriptionTable;
  digest_bodies: DigestBodyTable;
  digest_outbox: DigestOutboxTable;
  instance_settings: InstanceSettingTable;
  collections: CollectionTable;
  collection_items: CollectionItemTable;
  paper_marks: PaperMarkTable;
  arxiv_metadata_checks: ArxivMetadataCheckTable;
  follows: FollowTable;
  feed_tokens: FeedTokenTable;
  images: ImageTable;
  reader_models: ReaderModelTable;
}

/** A reader's for-you model as last learned (foryou/model.ts), and its version, which goes up with each change. */
export interface ReaderModelTable {
  user_id: number;
  version: number;
  model: string;
  updated_at: string;
}

/** Something a reader follows: `author` (a name as papers give it), `organization` (its slug), `category` or `search` (a query). */
export interface FollowTable {
  user_id: number;
  kind: string;
  target: string;
  created_at: string;
}

/** A reader's private feed token (`/feeds/for-you.rss?token=…`): read-only, revocable; only its SHA-256 is stored. */
export interface FeedTokenTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Someone who asked for the digest by e-mail (docs/decisions/010-digests.md). */
export interface SubscriptionTable {
  id: Generated<number>;
  /** Lowercased; one subscription per address. */
  email: string;
  user_id: number | null;
  /** `pending` (not confirmed yet), `active`, `unsubscribed` or `bounced`. */
  status: string;
  /** `daily` or `weekly`. */
  frequency: string;
  /** JSON: `{categories, queries, organizations, authors}`, each a list of strings. */
  topics: Generated<string>;
  max_papers: Generated<number>;
  created_at: string;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
  /** Permanent delivery failures in a row. */
  bounces: Generated<number>;
  last_error: string | null;
  /** 1 when the digest is ranked for the subscriber's account (for you) instead of by topics. */
  for_you: Generated<number>;
}

/**
 * One rendered digest of a period, shared by every subscriber whose selection renders the same;
 * the per-subscriber links are placeholders the sender fills in (src/digests/render.ts).
 */
export interface DigestBodyTable {
  id: Generated<number>;
  period: string;
  /** SHA-256 (hex) of subject, HTML and text. */
  content_hash: string;
  subject: string;
  html: string;
  text: string;
  /** JSON array of paper ids. */
  paper_ids: string;
  created_at: string;
}

/** One digest for one subscription and period: built once, then sent (and retried) from here. */
export interface DigestOutboxTable {
  id: Generated<number>;
  subscription_id: number;
  /** `daily:2026-11-25` or `weekly:2026-W48`. */
  period: string;
  /** `queued`, `sending`, `sent`, `failed` (permanent) or `skipped`. */
  status: string;
  message_id: string;
  body_id: number;
  attempts: Generated<number>;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

/** A paper's vector for semantic search: title and abstract as one embedding model saw them. */
export interface PaperEmbeddingTable {
  paper_id: string;
  /** The EMBEDDINGS_MODEL that made it; papers embedded by another model are embedded again. */
  model: string;
  dimensions: number;
  /** `dimensions` float32 values, little-endian, as the service returned them (not normalized). */
  vector: Buffer;
  created_at: string;
}

/** One of a paper's related papers, computed when the papers change (search/related.ts), read by its page. */
export interface RelatedPaperTable {
  paper_id: string;
  /** 0 is the most related. */
  rank: number;
  related_id: string;
}

/** A paper the embedding service refused: skipped until `retry_at`, backing off with each attempt. */
export interface EmbeddingFailureTable {
  paper_id: string;
  model: string;
  attempts: number;
  last_error: string;
  failed_at: string;
  retry_at: string;
}

/** A signed-in browser. The cookie holds a random token; only its SHA-256 is stored. */
export interface SessionTable {
  token_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  user_agent: string | null;
}

/** A one-time link sent by e-mail (`signin`, `signup`); only the token's SHA-256 is stored. */
export interface EmailTokenTable {
  token_hash: string;
  email: string;
  purpose: string;
  /** JSON: what using the link does, e.g. `{"username": "ada"}` at sign-up. */
  payload: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** A personal API token: `Authorization: Bearer dp_…`. */
export interface ApiTokenTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  /** `read` or `read write`. */
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A reader's named list of papers; `is_default` is the one the save button fills. */
export interface CollectionTable {
  id: Generated<number>;
  owner_id: number;
  /** `{title-slug}-{id}`; `{owner}/{slug}` is Hugging Face's collection slug. */
  slug: string;
  title: string;
  description: string | null;
  /** 1: seen by its owner only (pages, API, search, feeds, exports). */
  private: Generated<number>;
  is_default: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** A paper in a collection, in order, with the owner's note. */
export interface CollectionItemTable {
  id: Generated<number>;
  collection_id: number;
  paper_id: string;
  position: number;
  /** Markdown, as written. */
  note: string | null;
  /** The note rendered (comments/markdown.ts) when written. */
  note_html: string | null;
  added_at: string;
}

/** A reader's own marks on a paper: read, hidden or not interested. */
export interface PaperMarkTable {
  user_id: number;
  paper_id: string;
  read_at: string | null;
  hidden_at: string | null;
  /** `hidden` or `not-interested`; null when not hidden. */
  hidden_reason: string | null;
}

/** One person's vote on a paper; the primary key makes it one per person. */
export interface UpvoteTable {
  user_id: number;
  paper_id: string;
  created_at: string;
}

export interface CommentTable {
  id: Generated<number>;
  paper_id: string;
  user_id: number;
  /** The comment this one replies to. */
  parent_id: number | null;
  /** Markdown, as written. */
  body: string;
  /** The body rendered (comments/markdown.ts) when written; null until a row from before 013 is first read. */
  html: string | null;
  created_at: string;
  edited_at: string | null;
  /** Deleted by its author: the thread keeps a placeholder so replies stay in place. */
  deleted_at: string | null;
  /** Hidden by a moderator. */
  hidden_at: string | null;
}

export interface OrganizationMemberTable {
  organization_id: number;
  user_id: number;
  /** `member` or `admin`. */
  role: string;
  created_at: string;
}

export interface AuthorshipClaimTable {
  id: Generated<number>;
  paper_id: string;
  user_id: number;
  author_position: number;
  /** `pending`, `approved` or `rejected`. */
  status: string;
  created_at: string;
  decided_at: string | null;
  decided_by: number | null;
}

export interface ReportTable {
  id: Generated<number>;
  reporter_id: number | null;
  /** `comment`, `paper`, `listing` or `user`. */
  target_type: string;
  target_id: string;
  reason: string;
  created_at: string;
  resolved_at: string | null;
  resolved_by: number | null;
  resolution: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  actor_id: number | null;
  /** Who acted when no user did, e.g. `cli:root`. */
  actor_label: string | null;
  action: string;
  target_type: string;
  target_id: string;
  detail: string | null;
  created_at: string;
}

/** A fixed-window counter per (action, client) key, shared by every instance. */
export interface RateLimitTable {
  key: string;
  window_start: string;
  count: number;
}

/** Whose turn it is to ask an upstream (arXiv) anything: the time, in epoch ms, from which the next request may start. */
export interface UpstreamLaneTable {
  origin: string;
  free_at: number;
  /** The turn being held (a random id per turn), or null between turns. */
  holder: string | null;
}

/** Checkpoint of an OAI-PMH harvest, one row per `${baseUrl}|${metadataPrefix}|${set}`. */
export interface HarvestStateTable {
  key: string;
  /** Token for the next page; null once the list is complete. */
  resumption_token: string | null;
  from_date: string | null;
  until_date: string | null;
  /** Largest header datestamp seen: the next incremental harvest asks from it. */
  last_datestamp: string | null;
  completed_at: string | null;
  updated_at: string;
}

export interface JobRunTable {
  job: string;
  /** Start of the period this run claimed, ISO timestamp. */
  period_start: string;
  /** Which process ran it: host and pid. */
  instance: string;
  started_at: string;
  finished_at: string | null;
  /** `running`, `ok` or `failed`. */
  outcome: string;
  /** What the run did, or why it failed. */
  detail: string | null;
}

/** A value this instance chose for itself, e.g. the development root secret (src/db/secrets.ts). */
export interface InstanceSettingTable {
  name: string;
  value: string;
}

export interface SiteStateTable {
  key: string;
  value: number;
}

export interface OrganizationTable {
  id: Generated<number>;
  /** URL slug, e.g. `internlm`. */
  name: string;
  fullname: string;
  avatar_url: string | null;
  /** Hugging Face `_id`, when the organization came from there. */
  hf_id: string | null;
  created_at: string;
}

export interface UserTable {
  id: Generated<number>;
  /** Handle, unique, e.g. `akhaliq`. */
  username: string;
  fullname: string;
  avatar_url: string | null;
  hf_id: string | null;
  /** `user` for a person, `system` for rule-based featuring. */
  kind: string;
  created_at: string;
  /** Set for accounts that sign in here; imported users have none. */
  email: string | null;
  /** argon2id, when the user set a password. */
  password_hash: string | null;
  /** `user`, `moderator` or `admin`. */
  role: Generated<string>;
  banned_at: string | null;
  bio: string | null;
  /** Bumped by the user's own saves, hides, follows and votes: their pages' state and ETags (db/content-version.ts). */
  state_version: Generated<number>;
  /** 1 when the reader leaves papers they marked read out of their daily lists. */
  hide_read: Generated<number>;
}

/**
 * A person as an import source names them (a submitter, an author's account there): never a
 * local account. Linked to one only by an administrator (`user_id`); claims link authorship.
 */
export interface ImportedUserTable {
  id: Generated<number>;
  /** `hf` (Hugging Face). */
  source: string;
  /** Their handle at the source; unique per source. */
  username: string;
  fullname: string;
  avatar_url: string | null;
  hf_id: string | null;
  /** The local account an administrator linked this identity to. */
  user_id: number | null;
  created_at: string;
}

export interface PaperTable {
  /** arXiv id without version: `2401.01234` or `astro-ph/0601001`. */
  id: string;
  version: number | null;
  title: string;
  abstract: string;
  /** The authors' names in order, joined by ", ": what search reads (written with the author rows). */
  author_names: Generated<string>;
  primary_category: string | null;
  /** First arXiv version's date. */
  published_at: string;
  /** Latest arXiv version's date. */
  updated_at: string | null;
  comment: string | null;
  journal_ref: string | null;
  doi: string | null;
  pdf_url: string | null;
  github_repo: string | null;
  github_stars: number | null;
  project_page: string | null;
  withdrawn_at: string | null;
  /** License URL, as arXiv gives it. */
  license: string | null;
  organization_id: number | null;
  /** Upvotes the import source reported: a baseline refreshed by later imports. */
  upvotes_source: number;
  /** `upvotes_source` plus the votes cast here. */
  upvotes: number;
  /** Comments the import source reported. */
  comments_source: number;
  /** `comments_source` plus the visible comments written here. */
  comments: Generated<number>;
  /** Hidden by a moderator: gone from lists, search and the API. */
  hidden_at: string | null;
  discussion_id: string | null;
  ai_summary: string | null;
  /** JSON array of strings. */
  ai_keywords: string | null;
  thumbnail_url: string | null;
  /** Stored "hot" rank (papers/trending.ts), indexed for the trending view. */
  trending_score: number;
  created_at: string;
  modified_at: string;
  /** When its related papers were last computed (search/related.ts); null: to compute. */
  related_at: string | null;
}

export interface PaperAuthorTable {
  paper_id: string;
  /** 0-based order on the paper. */
  position: number;
  name: string;
  affiliation: string | null;
  hf_id: string | null;
  hidden: number;
  /** The local account verified as this author: by an approved claim, or an administrator's link. */
  user_id: number | null;
  /** The author's identity at the import source (shown, never as a local account). */
  imported_user_id: number | null;
}

export interface PaperCategoryTable {
  paper_id: string;
  category: string;
}

/** A paper whose arXiv metadata the backfill asked for (ingest/arxiv-metadata.ts), and what arXiv answered. */
export interface ArxivMetadataCheckTable {
  paper_id: string;
  /** `found`; `unknown`: arXiv left the id out of its answer; `fictional`: a demo paper, never asked. */
  outcome: string;
  /** Times asked. */
  attempts: number;
  checked_at: string;
  /** When an unknown id may be asked again; null: never. */
  retry_at: string | null;
}

export interface DailyListingTable {
  id: Generated<number>;
  /** The day the paper is featured on. */
  day: string;
  paper_id: string;
  /** When it was submitted to that day's list. */
  submitted_at: string;
  /** The local account that submitted it (`community` and `rule` listings). */
  submitter_id: number | null;
  /** Who submitted it at the import source (`hf` listings). */
  imported_submitter_id: number | null;
  /** `hf` (imported), `community` or `rule`. */
  source: string;
  /**
   * The record exactly as the import source sent it, for provenance and for the
   * source's own fields that the product does not model (docs/decisions/004-api-shape.md).
   */
  source_record: string | null;
  created_at: string;
  /** Hidden by a moderator: the paper no longer shows on that day. */
  hidden_at: string | null;
}

export type Paper = Selectable<PaperTable>;
export type NewPaper = Insertable<PaperTable>;
export type PaperUpdate = Updateable<PaperTable>;
export type PaperAuthor = Selectable<PaperAuthorTable>;
export type DailyListing = Selectable<DailyListingTable>;
export type Organization = Selectable<OrganizationTable>;
export type User = Selectable<UserTable>;
export type ImportedIdentity = Selectable<ImportedUserTable>;
/** What pages and the API show of a person, local or imported. */
export type Person = Pick<User, 'username' | 'fullname' | 'avatar_url' | 'hf_id'>;
export type Comment = Selectable<CommentTable>;

/** An image fetched from another site, resized and kept (src/images/). */
export interface ImageTable {
  id: Generated<number>;
  source_url: string;
  /** What pages name it by: `/images/<key>.webp` (a hash of the source address). */
  key: string;
  /** `thumbnail` or `avatar`: how it is resized. */
  kind: string;
  /** `pending` (claimed or due for a retry), `ok` (data kept) or `failed` (given up). */
  status: string;
  attempts: Generated<number>;
  /** When a pending row may be claimed (again): a retry's backoff, or a claim's lease. */
  next_attempt_at: string;
  error: string | null;
  content_type: string | null;
  width: number | null;
  height: number | null;
  data: Buffer | null;
  fetched_at: string | null;
  created_at: string;
}

/** A word start of a paper's title, an author's name or an organization's name, kept by triggers (migration 025) for the search box's suggestions. */
export interface SuggestKeyTable {
  /** The text from that word on, lowered, whitespace as single spaces, its first 48 characters. */
  key: string;
  kind: 'paper' | 'author' | 'organization';
  /** The paper's id, the author's name, the organization's name. */
  target: string;
}
