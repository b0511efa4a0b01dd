import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The tables, as Kysely sees them. Timestamps are ISO-8601 UTC strings
 * (`2026-06-17T00:00:00.000Z`) and days are `YYYY-MM-DD`: they sort as text and
 * read the same on SQLite and PostgreSQL (docs/decisions/002-storage.md).
 */
export interface Database {
  organizations: OrganizationTable;
  users: UserTable;
  papers: PaperTable;
  paper_authors: PaperAuthorTable;
  paper_categories: PaperCategoryTable;
  daily_listings: DailyListingTable;
  site_state: SiteStateTable;
  job_runs: JobRunTable;
  harvest_state: HarvestStateTable;
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
}

export interface PaperTable {
  /** arXiv id without version: `2401.01234` or `astro-ph/0601001`. */
  id: string;
  version: number | null;
  title: string;
  abstract: string;
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
  discussion_id: string | null;
  ai_summary: string | null;
  /** JSON array of strings. */
  ai_keywords: string | null;
  thumbnail_url: string | null;
  /** Stored "hot" rank (papers/trending.ts), indexed for the trending view. */
  trending_score: number;
  created_at: string;
  modified_at: string;
}

export interface PaperAuthorTable {
  paper_id: string;
  /** 0-based order on the paper. */
  position: number;
  name: string;
  affiliation: string | null;
  hf_id: string | null;
  hidden: number;
  user_id: number | null;
}

export interface PaperCategoryTable {
  paper_id: string;
  category: string;
}

export interface DailyListingTable {
  id: Generated<number>;
  /** The day the paper is featured on. */
  day: string;
  paper_id: string;
  /** When it was submitted to that day's list. */
  submitted_at: string;
  submitter_id: number | null;
  /** `hf` (imported), `community` or `rule`. */
  source: string;
  /**
   * The record exactly as the import source sent it, for provenance and for the
   * source's own fields that the product does not model (docs/decisions/004-api-shape.md).
   */
  source_record: string | null;
  created_at: string;
}

export type Paper = Selectable<PaperTable>;
export type NewPaper = Insertable<PaperTable>;
export type PaperUpdate = Updateable<PaperTable>;
export type PaperAuthor = Selectable<PaperAuthorTable>;
export type DailyListing = Selectable<DailyListingTable>;
export type Organization = Selectable<OrganizationTable>;
export type User = Selectable<UserTable>;
