import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOIN_PIECE, readSegmentFile, writeSegmentFile } from './segment-file.ts';
import { buildSegment, type SourcePaper } from './segment.ts';

describe('the search index file', () => {
  it('reads back what was written, terms of more than one written piece included, ordinals found by id', async () => {
    // Ids beyond ASCII, and more distinct words than one piece of the joined terms.
    const papers: SourcePaper[] = Array.from({ length: JOIN_PIECE + 1500 }, (_, i) => ({
      id: `${2401 + (i % 9)}.${String(i).padStart(5, '0')}${i % 4 === 0 ? 'é' : ''}`,
      title: `word${i} über graphs`,
      authorNames: 'Zoë Ann',
      abstract: `東京 w${i % 997}`,
      upvotes: i % 13,
      publishedAt: new Date(Date.UTC(2026, 0, 1) - i * 60_000).toISOString(),
      hasCode: i % 2 === 0,
      organization: null,
      categories: ['cs.LG'],
    }));
    const seg = buildSegment(papers);
    expect(seg.terms.length).toBeGreaterThan(JOIN_PIECE);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-segment-file-'));
    try {
      const file = path.join(dir, 'index');
      await writeSegmentFile(file, seg, { schema: 's', lastSeq: 7, seen: [6, 7] });
      const read = await readSegmentFile(file, 's');
      if (!('seg' in read)) throw new Error(read.unusable);
      expect(read.position).toEqual({ schema: 's', lastSeq: 7, seen: [6, 7] });
      // Compared as whole texts and bytes: a deep equality of 67,000 elements takes seconds.
      expect(read.seg.ids.length).toBe(seg.ids.length);
      expect(Buffer.from(read.seg.ids.joined).equals(Buffer.from(seg.ids.joined))).toBe(true);
      expect(read.seg.ids.at(4)).toBe(papers[4]!.id); // beyond ASCII
      expect(read.seg.terms.length).toBe(seg.terms.length);
      expect(read.seg.terms.join('\0')).toBe(seg.terms.join('\0'));
      const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      for (const name of ['upvotes', 'published', 'popularity', 'postStart', 'blockStart', 'postings', 'blockOffset', 'impacts', 'impactStep', 'blockMax', 'blockLast'] as const) {
        expect(read.seg[name].length, name).toBe(seg[name].length);
        expect(bytes(read.seg[name]).equals(bytes(seg[name])), name).toBe(true);
      }
      const last = papers.at(-1)!.id;
      expect(read.seg.ids.ordinalOf(last)).toBe(papers.length - 1);
      expect(seg.ids.ordinalOf(last)).toBe(papers.length - 1);
      expect(read.seg.ids.ordinalOf(papers[JOIN_PIECE]!.id)).toBe(JOIN_PIECE);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes what a writer killed mid-write left, and leaves alone the file of a live writer or one written lately', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-segment-file-'));
    try {
      const file = path.join(dir, 'db.search-index');
      const [dead, deadToo] = [0, 1].map(() => spawnSync(process.execPath, ['-e', '']).pid!); // exited by now
      // The dead writer's first file was last written an hour ago; its second just now (another host's, maybe).
      const left = [`db.search-index.${dead}.tmp`, `db.search-index.${deadToo}.tmp`, `db.search-index.${process.ppid}.tmp`, 'other.search-index.1.tmp', 'db.search-index.x.tmp'];
      for (const name of left) fs.writeFileSync(path.join(dir, name), 'partial');
      const hourAgo = new Date(Date.now() - 3_600_000);
      for (const name of left.filter((n) => n !== left[1])) fs.utimesSync(path.join(dir, name), hourAgo, hourAgo);
      const seg = buildSegment([{ id: '2501.00001', title: 'a', authorNames: 'b', abstract: 'c', upvotes: 0, publishedAt: '2025-01-01T00:00:00Z', hasCode: false, organization: null, categories: [] }]);
      await writeSegmentFile(file, seg, { schema: 's', lastSeq: 0, seen: [] });
      expect(fs.readdirSync(dir).sort()).toEqual(['db.search-index', ...left.slice(1)].sort());

      // An id with the separator in it would shift every id after it: such a file is not used.
      const odd = buildSegment([{ id: '2501.00001\nx', title: 'a', authorNames: 'b', abstract: 'c', upvotes: 0, publishedAt: '2025-01-01T00:00:00Z', hasCode: false, organization: null, categories: [] }]);
      expect(odd.ids.at(0)).toBe('2501.00001\nx');
      await writeSegmentFile(file, odd, { schema: 's', lastSeq: 0, seen: [] });
      expect(await readSegmentFile(file, 's')).toEqual({ unusable: '2 ids for 1 papers' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
