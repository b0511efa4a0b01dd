import { describe, expect, it } from 'vitest';
import { arxivIdFromInput, parseArxivId } from './arxiv-id.ts';

describe('parseArxivId', () => {
  it('accepts new-style ids with and without version', () => {
    expect(parseArxivId('2401.01234')).toEqual({ id: '2401.01234', version: null });
    expect(parseArxivId('2401.01234v3')).toEqual({ id: '2401.01234', version: 3 });
    expect(parseArxivId('0704.0001')).toEqual({ id: '0704.0001', version: null });
  });

  it('accepts old-style ids with archive and subject class', () => {
    expect(parseArxivId('astro-ph/0601001')).toEqual({ id: 'astro-ph/0601001', version: null });
    expect(parseArxivId('math.GT/0309136v2')).toEqual({ id: 'math.GT/0309136', version: 2 });
  });

  it('rejects what is not an id', () => {
    for (const bad of ['', 'abc', '2401.123', '2413.01234', '2401.012345', '../etc/passwd', '2401.01234v', 'astro-ph/06010']) {
      expect(parseArxivId(bad), bad).toBeNull();
    }
  });
});

describe('arxivIdFromInput', () => {
  it('finds the id in URLs people paste', () => {
    expect(arxivIdFromInput('https://arxiv.org/abs/2401.01234v2')).toEqual({ id: '2401.01234', version: 2 });
    expect(arxivIdFromInput('https://arxiv.org/pdf/2401.01234.pdf')).toEqual({ id: '2401.01234', version: null });
    expect(arxivIdFromInput('http://arxiv.org/abs/astro-ph/0601001')).toEqual({ id: 'astro-ph/0601001', version: null });
    expect(arxivIdFromInput('https://huggingface.co/papers/2606.19338')).toEqual({ id: '2606.19338', version: null });
    expect(arxivIdFromInput('arXiv:2401.01234')).toEqual({ id: '2401.01234', version: null });
  });

  it('rejects other URLs', () => {
    expect(arxivIdFromInput('https://example.com/abs/whatever')).toBeNull();
  });
});
