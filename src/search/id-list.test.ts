import { describe, expect, it } from 'vitest';
import { IdList, IdListBuilder } from './id-list.ts';

describe('IdList', () => {
  const ids = ['2401.00001', 'astro-ph/0601001', '2401.00003é', '東京.1', ...Array.from({ length: 3000 }, (_, i) => `2402.${String(i).padStart(5, '0')}`)];
  const built = () => {
    const b = new IdListBuilder();
    for (const id of ids) b.push(id);
    return b.finish();
  };

  it('gives each ordinal its id and each id its ordinal, beyond ASCII too', () => {
    const list = built();
    expect(list.length).toBe(ids.length);
    for (const d of [0, 1, 2, 3, 1500, ids.length - 1]) {
      expect(list.at(d)).toBe(ids[d]);
      expect(list.ordinalOf(ids[d]!)).toBe(d);
    }
    for (const unknown of ['2401.0000', '2401.000011', '', '2402.99999']) expect(list.ordinalOf(unknown)).toBeUndefined();
  });

  it('is the ids joined by newlines, and reads back from that text', () => {
    const list = built();
    expect(Buffer.from(list.joined).toString()).toBe(ids.join('\n'));
    const read = IdList.fromJoined(Buffer.from(ids.join('\n')));
    expect(read.length).toBe(ids.length);
    expect(read.at(3)).toBe('東京.1');
    expect(read.ordinalOf(ids.at(-1)!)).toBe(ids.length - 1);
    expect(IdList.fromJoined(new Uint8Array(0)).length).toBe(0);
    expect(new IdListBuilder().finish().length).toBe(0);
  });
});
