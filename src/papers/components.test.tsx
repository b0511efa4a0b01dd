import { describe, expect, it } from 'vitest';
import type { PaperView } from './read-model.ts';
import { PaperList } from './components.tsx';

const view = (over: Partial<PaperView['paper']> = {}, images = new Map<string, { key: string; width: number; height: number }>()): PaperView =>
  ({
    listing: null,
    paper: { id: '2611.00001', title: 'Kept cards', abstract: 'An abstract.', upvotes: 3, comments: 0, thumbnail_url: 'https://example.org/t.png', published_at: '2026-11-01T00:00:00.000Z', modified_at: 'a', organization_id: null, github_repo: null, project_page: null, github_stars: null, ai_summary: null, ...over },
    authors: [],
    organization: null,
    submitter: null,
    authorUsers: new Map(),
    importedAuthors: new Map(),
    images,
    paperSource: null,
  }) as unknown as PaperView;

const html = (v: PaperView) => String(<PaperList views={[v]} />);

// Cards on shared pages are kept rendered (cardHtml): every input must show at once.
describe('kept cards', () => {
  it('show what changed: a count, a title, a picture kept since', () => {
    const first = html(view());
    expect(html(view())).toBe(first);
    expect(html(view({ upvotes: 4 }))).toContain('>4<');
    expect(html(view({ title: 'Renamed', modified_at: 'b' }))).toContain('Renamed');
    expect(html(view())).toBe(first);
    const kept = html(view({}, new Map([['https://example.org/t.png', { key: 'abc', width: 10, height: 10 }]])));
    expect(kept).not.toBe(first);
    expect(kept).toContain('abc');
  });
});
