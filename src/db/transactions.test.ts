import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freshDatabaseUrl, testDialect } from '../../test/helpers.ts';
import { connectDatabase, sqlitePath } from './database.ts';

describe.skipIf(testDialect !== 'sqlite')('transactions on SQLite', () => {
  it('take the write lock at BEGIN: a transaction that reads before it writes never fails because another instance wrote in between', async () => {
    const url = await freshDatabaseUrl();
    const db = await connectDatabase(url);
    // Another instance on the same file, one that does not wait for a lock (busy_timeout 0).
    const other = new SQLite(sqlitePath(url));
    other.pragma('busy_timeout = 0');
    let otherWrite: string | undefined;
    try {
      await db.kysely.transaction().execute(async (trx) => {
        await trx.selectFrom('site_state').select('value').execute();
        try {
          other.prepare("insert into site_state (key, value) values ('other', 1)").run();
          otherWrite = 'written';
        } catch (err) {
          otherWrite = (err as Error).message;
        }
        await trx.insertInto('site_state').values({ key: 'ours', value: 1 }).execute();
      });
      // The other writer found the lock taken (it would wait for it with a busy timeout), and ours committed.
      expect(otherWrite).toBe('database is locked');
      expect(await db.kysely.selectFrom('site_state').select('key').where('key', 'in', ['ours', 'other']).execute()).toEqual([{ key: 'ours' }]);
    } finally {
      other.close();
      await db.close();
    }
  });
});
