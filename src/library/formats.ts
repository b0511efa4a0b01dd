import type { PaperView } from '../papers/read-model.ts';

/** One exported paper: what citation managers need, and the collection's note. */
export interface ExportRecord {
  id: string;
  title: string;
  authors: string[];
  abstract: string;
  publishedAt: string;
  doi: string | null;
  category: string | null;
  journalRef: string | null;
  note: string | null;
  addedAt: string | null;
}

export type ExportFormat = 'bib' | 'ris' | 'csv' | 'json';
export const EXPORT_TYPES: Record<ExportFormat, string> = {
  bib: 'application/x-bibtex; charset=utf-8',
  ris: 'application/x-research-info-systems; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function exportRecord(view: PaperView, item?: { note: string | null; added_at: string }): ExportRecord {
  const { paper } = view;
  return {
    id: paper.id,
    title: paper.title,
    authors: view.authors.filter((a) => a.hidden !== 1).map((a) => a.name),
    abstract: paper.abstract,
    publishedAt: paper.published_at,
    doi: paper.doi,
    category: paper.primary_category,
    journalRef: paper.journal_ref,
    note: item?.note ?? null,
    addedAt: item?.added_at ?? null,
  };
}

export const absUrl = (id: string) => `https://arxiv.org/abs/${id}`;

export function renderExport(format: ExportFormat, records: ExportRecord[]): string {
  switch (format) {
    case 'bib':
      return toBibtex(records);
    case 'ris':
      return toRis(records);
    case 'csv':
      return toCsv(records);
    case 'json':
      return `${JSON.stringify(records.map((r) => ({ ...r, url: absUrl(r.id), pdf: `https://arxiv.org/pdf/${r.id}` })), null, 2)}\n`;
  }
}

/**
 * A BibTeX value in braces: braces balanced (an unmatched one is dropped) and the characters
 * TeX reads as commands in running text escaped; `$…$` math is kept as TeX.
 */
function bibValue(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text.replace(/\s+/g, ' ').trim()) {
    if (ch === '{') depth++;
    else if (ch === '}') {
      if (depth === 0) continue;
      depth--;
    }
    out += ch === '&' || ch === '%' || ch === '#' ? `\\${ch}` : ch;
  }
  return `{${out}${'}'.repeat(depth)}}`;
}

/** `arXiv_2401_01234`: a key every BibTeX tool accepts, unique per paper. */
export const bibKey = (id: string) => `arXiv_${id.replace(/[^A-Za-z0-9]/g, '_')}`;

/** BibTeX as arXiv's own export writes preprints: `@misc` with eprint, archivePrefix and primaryClass. */
export function toBibtex(records: ExportRecord[]): string {
  return records
    .map((r) => {
      const fields: [string, string][] = [
        ['title', bibValue(r.title)],
        ['author', bibValue(r.authors.join(' and '))],
        ['year', `{${r.publishedAt.slice(0, 4)}}`],
        ['eprint', `{${r.id}}`],
        ['archivePrefix', '{arXiv}'],
        ...(r.category ? ([['primaryClass', `{${r.category}}`]] as [string, string][]) : []),
        ['url', `{${absUrl(r.id)}}`],
        ...(r.doi ? ([['doi', `{${r.doi}}`]] as [string, string][]) : []),
        ...(r.journalRef ? ([['journal', bibValue(r.journalRef)]] as [string, string][]) : []),
        ...(r.note ? ([['note', bibValue(r.note)]] as [string, string][]) : []),
      ];
      return `@misc{${bibKey(r.id)},\n${fields.map(([k, v]) => `  ${k} = ${v}`).join(',\n')}\n}\n`;
    })
    .join('\n');
}

/** RIS (one tag per line, `ER` ends a record), as Zotero and EndNote read it; preprints are `UNPB`. */
export function toRis(records: ExportRecord[]): string {
  const line = (tag: string, value: string) => `${tag}  - ${value.replace(/\s+/g, ' ').trim()}\r\n`;
  return records
    .map(
      (r) =>
        line('TY', 'UNPB') +
        line('TI', r.title) +
        r.authors.map((a) => line('AU', a)).join('') +
        line('PY', r.publishedAt.slice(0, 4)) +
        line('DA', r.publishedAt.slice(0, 10).replace(/-/g, '/')) +
        line('AB', r.abstract) +
        line('UR', absUrl(r.id)) +
        line('M1', `arXiv:${r.id}`) +
        (r.doi ? line('DO', r.doi) : '') +
        (r.category ? line('KW', r.category) : '') +
        (r.note ? line('N1', r.note) : '') +
        line('ER', ''),
    )
    .join('\r\n');
}

/** RFC 4180 CSV; a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) starts with `'`. */
export function toCsv(records: ExportRecord[]): string {
  const cell = (value: string | null) => {
    const text = value ?? '';
    const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const header = ['arxiv_id', 'title', 'authors', 'published', 'url', 'doi', 'note', 'added'];
  const rows = records.map((r) => [r.id, r.title, r.authors.join('; '), r.publishedAt.slice(0, 10), absUrl(r.id), r.doi, r.note, r.addedAt].map(cell).join(','));
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
}
