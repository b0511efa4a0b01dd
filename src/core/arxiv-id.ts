/** An arXiv identifier split into its base id and optional version. */
export interface ArxivId {
  /** `2401.01234` or `astro-ph/0601001`. */
  id: string;
  version: number | null;
}

// New style (2007-04 on): YYMM.NNNN (to 2014) or YYMM.NNNNN; old style: archive[.SUBJ]/YYMMNNN.
const NEW_STYLE = /^(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v(\d+))?$/;
const OLD_STYLE = /^([a-z-]+(?:\.[A-Z]{2})?\/\d{2}(?:0[1-9]|1[0-2])\d{3})(?:v(\d+))?$/;

/** Parses a bare arXiv id (`2401.01234v2`, `astro-ph/0601001`); null when it is not one. */
export function parseArxivId(input: string): ArxivId | null {
  const text = input.trim();
  const match = NEW_STYLE.exec(text) ?? OLD_STYLE.exec(text);
  if (!match) return null;
  return { id: match[1]!, version: match[2] ? Number(match[2]) : null };
}

/**
 * Finds the arXiv id in what a person pastes: a bare id, `arXiv:` prefix, or an
 * abs/pdf/html URL on arxiv.org, huggingface.co/papers and the like.
 */
export function arxivIdFromInput(input: string): ArxivId | null {
  let text = input.trim().replace(/^arxiv:/i, '');
  const url = /^https?:\/\/[^/]+\/(?:abs|pdf|html|papers)\/(.+?)(?:\.pdf)?\/?(?:[?#].*)?$/i.exec(text);
  if (url) text = decodeURIComponent(url[1]!);
  return parseArxivId(text);
}
