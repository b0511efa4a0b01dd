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
  /** License URL; undefined where the format does not carry one (the Atom API), which keeps what is stored. */
  license?: string | null;
}

/** Collapses runs of whitespace (arXiv wraps titles and abstracts) and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Splits arXiv's author line ("A. One, B. Two (Univ. X) and C. Three") at commas
 * and " and " outside parentheses; a trailing parenthesised part is the
 * author's affiliation, and a part that is all parentheses (arXiv's numbered
 * affiliation list at the end) is dropped.
 */
export function splitAuthors(text: string): ArxivRecord['authors'] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  const s = collapseWhitespace(text);
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) {
      if (c === ',') {
        parts.push(s.slice(start, i));
        start = i + 1;
      } else if (c === ' ' && /^ and /i.test(s.slice(i, i + 5))) {
        parts.push(s.slice(start, i));
        start = i + 5;
        i += 4;
      }
    }
  }
  parts.push(s.slice(start));
  const out: ArxivRecord['authors'] = [];
  for (const raw of parts) {
    let part = raw.trim().replace(/^and\s+/i, '');
    if (!part || part.startsWith('(')) continue;
    let affiliation: string | null = null;
    const aff = /^(.*?)\s*\((.*)\)$/.exec(part);
    if (aff) {
      part = aff[1]!.trim();
      affiliation = aff[2]!.trim() || null;
    }
    if (part) out.push({ name: part, affiliation });
  }
  return out;
}
