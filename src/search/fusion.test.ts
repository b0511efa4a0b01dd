import { describe, expect, it } from 'vitest';
import { fuseRankings } from './fusion.ts';

describe('fuseRankings (reciprocal rank fusion)', () => {
  it('puts first what both rankings place high, above what only one places first', () => {
    const text = ['a', 'b', 'c', 'd'];
    const semantic = ['e', 'c', 'b', 'f'];
    // b: 1/62 + 1/63, c: 1/63 + 1/62 (equal; b ranks 2nd in the first list, c 2nd in the second),
    // a: 1/61 and e: 1/61 alone.
    expect(fuseRankings([text, semantic])).toEqual(['b', 'c', 'a', 'e', 'd', 'f']);
  });

  it('scores 1/(k + rank): a smaller k lets one list’s top outweigh agreement lower down', () => {
    const one = ['x', 'y'];
    const two = ['z', 'y'];
    expect(fuseRankings([one, two], 60)[0]).toBe('y');
    // k = 0: x and z score 1, y scores 1/2 + 1/2 = 1; equal sums go to the better single rank.
    expect(fuseRankings([one, two], 0)).toEqual(['x', 'z', 'y']);
    expect(() => fuseRankings([one], -1)).toThrow(RangeError);
    expect(() => fuseRankings([one], Number.NaN)).toThrow(RangeError);
  });

  it('breaks ties the same way whatever the order of equal items: best rank, earlier list, then id', () => {
    // Same best rank, same list index impossible for distinct ids, so: earlier list wins.
    expect(fuseRankings([['p'], ['q']])).toEqual(['p', 'q']);
    expect(fuseRankings([['q'], ['p']])).toEqual(['q', 'p']);
    // Three lists adding the same ranks in different orders still tie exactly, then best rank decides.
    const fused = fuseRankings([
      ['m', 'n', 'o'],
      ['o', 'm', 'n'],
      ['n', 'o', 'm'],
    ]);
    expect(fused).toEqual(['m', 'o', 'n']);
    expect(fuseRankings([['b', 'a'], ['a', 'b']])).toEqual(['b', 'a']);
  });

  it('counts an id once per ranking and accepts empty input', () => {
    expect(fuseRankings([['a', 'a', 'b'], ['b']])).toEqual(['b', 'a']);
    expect(fuseRankings([])).toEqual([]);
    expect(fuseRankings([[], ['a']])).toEqual(['a']);
  });

  it('keeps a single ranking as it is', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`);
    expect(fuseRankings([ids])).toEqual(ids);
  });
});
