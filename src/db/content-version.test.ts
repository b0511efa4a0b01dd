import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from './database.ts';
import { freshDb } from '../../test/helpers.ts';
import { contentVersion, currentContentVersion, VERSION_TTL_MS } from './content-version.ts';

describe('currentContentVersion', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb();
    // The clock the version's age is taken on, moved by hand; the database answers as it does.
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await db.close();
  });

  /** A write by another process: it bumps the row without telling this one (no markContentChanged). */
  const writeElsewhere = () => db.kysely.updateTable('site_state').set({ value: sql<number>`value + 1` }).where('key', '=', 'content_version').execute();
  /** Gives a read started in the background time to come back (only where none must start). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('answers from memory while fresh, reading the next version ahead so that no caller waits on the database', async () => {
    const first = await currentContentVersion(db.kysely);
    await writeElsewhere();
    // Fresh: the held version, at once, and no read started.
    expect(currentContentVersion(db.kysely)).toBe(first);
    await settle();
    expect(currentContentVersion(db.kysely)).toBe(first);
    // Past half its life it is still answered from memory, and the next read starts.
    vi.advanceTimersByTime(VERSION_TTL_MS * 0.6);
    expect(currentContentVersion(db.kysely)).toBe(first);
    // Once that read is back (however long a busy machine takes), the other process's write shows
    // without any caller having waited for it: the held version is still under its TTL on this clock.
    await expect.poll(() => currentContentVersion(db.kysely)).toBe(first + 1);
    expect(await contentVersion(db.kysely)).toBe(first + 1);
  });

  it('waits for a read once the held version is older than its TTL', async () => {
    const first = await currentContentVersion(db.kysely);
    await writeElsewhere();
    vi.advanceTimersByTime(VERSION_TTL_MS + 1);
    const read = currentContentVersion(db.kysely);
    expect(read).toBeInstanceOf(Promise);
    expect(await read).toBe(first + 1);
  });
});
