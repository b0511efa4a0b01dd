import { describe, expect, it } from 'vitest';
import { addDays, parseDay, parseMonth, parseWeek, shiftPeriod, weekKeyOf } from './periods.ts';

describe('periods', () => {
  it('parses real days only', () => {
    expect(parseDay('2024-02-29')).toBe('2024-02-29');
    expect(parseDay('2025-02-29')).toBeNull();
    expect(parseDay('2025-13-40')).toBeNull();
    expect(parseDay('2025-1-4')).toBeNull();
    expect(parseDay("2025-01-01' or 1=1")).toBeNull();
  });

  it('computes ISO weeks across year boundaries', () => {
    expect(weekKeyOf('2026-01-01')).toBe('2026-W01');
    expect(weekKeyOf('2024-12-30')).toBe('2025-W01');
    expect(weekKeyOf('2021-01-03')).toBe('2020-W53');
    expect(parseWeek('2026-W25')).toMatchObject({ first: '2026-06-15', last: '2026-06-21' });
    expect(parseWeek('2020-W53')).toMatchObject({ first: '2020-12-28', last: '2021-01-03' });
    expect(parseWeek('2026-W53')).toMatchObject({ first: '2026-12-28' });
    expect(parseWeek('2025-W53')).toBeNull();
    expect(parseWeek('2026-W00')).toBeNull();
  });

  it('parses months', () => {
    expect(parseMonth('2024-02')).toMatchObject({ first: '2024-02-01', last: '2024-02-29' });
    expect(parseMonth('2024-13')).toBeNull();
  });

  it('steps periods', () => {
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(shiftPeriod(parseWeek('2025-W01')!, -1).key).toBe('2024-W52');
    expect(shiftPeriod(parseMonth('2025-01')!, -1).key).toBe('2024-12');
    expect(shiftPeriod(parseMonth('2025-12')!, 1).key).toBe('2026-01');
  });
});
