/**
 * A paper as arXiv describes it, whichever interface it came from (the Atom search
 * API, OAI-PMH `arXiv`/`arXivRaw`, or the bulk metadata snapshot). Each parser maps
 * its format onto this; `saveArxivRecords` stores it.
 */
export interface ArxivRecord {
  /** Without version: `2401.01234`, `astro-ph/0601001`. */
  id: string;
  /** The version this record describes, when the source says. */
  version: number | null;
  /** Whitespace collapsed. */
  title: string;
  /** Whitespace collapsed, LaTeX kept. */
  abstract: string;
  authors: { name: string; affiliation: string | null }[];
  /** All categories, primary first. */
  categories: string[];
  primaryCategory: string | null;
  /** First version's date, ISO-8601 UTC. */
  publishedAt: string;
  /** Latest version's date, ISO-8601 UTC. */
  updatedAt: string | null;
  comment: string | null;
  journalRef: string | null;
  doi: string | null;
  pdfUrl: string | null;
  /** Set when the latest version withdraws the paper. */
  withdrawnAt: string | null;
}

/** Collapses runs of whitespace (arXiv wraps titles and abstracts) and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
