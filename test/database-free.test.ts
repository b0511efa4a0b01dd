import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FREE } from '../vitest.config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
// What opens a database in a test: test/helpers.ts's databases and app, the e2e server, the CLI, or the db module.
const OPENS_A_DATABASE = /\b(freshDb|freshDatabaseUrl|emptyDatabaseUrl|testApp|createApp|startServer|connectDatabase|testDialect|inject)\b|run-cli|\/db\/database|bin\/dailypapers/;

describe('the files that run only in the SQLite pass (vitest.config.ts DATABASE_FREE)', () => {
  it.each(DATABASE_FREE)('%s exists and never opens a database', (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    expect(text.match(OPENS_A_DATABASE)?.[0]).toBeUndefined();
  });
});
