import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Two projects: `unit` runs in this process only (functions, `app.request()`, the CLI as a
// function: `npm run test:unit`, the inner loop); `system` starts processes, servers and a
// browser, kills them mid-work, or loads the whole fixture archive. `npm test` runs both.
const SYSTEM = [
  'test/e2e/**/*.test.ts',
  'test/cli.test.ts',
  'test/multi-instance.test.ts',
  'test/dist.test.ts',
  'test/setup.test.ts',
  'src/digests/crash.test.ts',
  'src/votes/concurrency.test.ts',
  'src/ingest/arxiv-oai.test.ts',
  'src/ingest/arxiv-metadata-crash.test.ts',
  'src/ingest/arxiv-snapshot-crash.test.ts',
  'src/ingest/hf-import.test.ts',
  'src/search/fuzz.test.ts',
  'src/search/search.test.ts',
  'src/search/related.test.ts',
  'src/db/copy-archive.test.ts',
];

// Files that never open a database (no test database, app or CLI on one): the same code runs
// whichever database the suite is on, so `npm test` runs them in its SQLite pass only
// (test/run.ts). A file that uses test/helpers.ts's databases, an app or a server is not one.
export const DATABASE_FREE = [
  'src/comments/markdown.test.ts',
  'src/comments/thread.test.ts',
  'src/core/arxiv-id.test.ts',
  'src/core/config.test.ts',
  'src/core/periods.test.ts',
  'src/foryou/rank.test.ts',
  'src/papers/components.test.tsx',
  'src/papers/trending.test.ts',
  'src/search/embeddings.test.ts',
  'src/search/fusion.test.ts',
  'src/search/query.test.ts',
  'src/search/rank.test.ts',
  'src/search/segment-file.test.ts',
  'src/ui/math.test.ts',
  'test/setup.test.ts',
  'test/smtp.test.ts',
];

// Browser files run in the SQLite pass only: what they check is what the browser makes of the
// pages (layout, looks, keys, typeset math, CSP, pixels, the buttons with and without script),
// and the server side of each step (saves, collections, follows, subscriptions, search) is
// tested on both databases in-process (src/library, src/follows, src/digests, src/search and the
// like). community.test.ts is the one whole browser journey behind a real server (ONCE_ON_POSTGRES).
export const FRONT_END = [
  'test/e2e/browser.test.ts',
  'test/e2e/comment-box.test.ts',
  'test/e2e/look.test.ts',
  'test/e2e/library.test.ts',
  'test/e2e/follows.test.ts',
  'test/e2e/digests.test.ts',
  'test/e2e/search.test.ts',
];

// The whole browser journey behind a real server (sign-up by mail, submission, votes, comments,
// claims, moderation, hostile text) runs once, in the PostgreSQL pass when `npm test` has one (else
// in the SQLite pass): the SQLite pass drives a real server through a browser in every FRONT_END
// file, and each step's server side is tested on both databases in-process (src/accounts,
// src/submissions, src/votes, src/comments, src/claims, src/moderation, src/http). Decision 039.
export const ONCE_ON_POSTGRES = ['test/e2e/community.test.ts'];

// The files that take longest, longest first: started first, they end before the short ones,
// so a pass does not end on one long file with the other worker idle (vitest orders by the last
// run's durations only where it has them, which a fresh clone does not). The files that read the
// imported archive are apart, so that they do not wait for its import side by side.
const LONGEST_FIRST = [
  'test/e2e/community.test.ts',
  'test/e2e/look.test.ts',
  'src/ingest/hf-import.test.ts',
  'test/e2e/library.test.ts',
  'src/digests/crash.test.ts',
  'src/db/copy-archive.test.ts',
  'src/search/fuzz.test.ts',
  'test/e2e/browser.test.ts',
  'src/search/search.test.ts',
  'src/ingest/arxiv-oai.test.ts',
  'src/ingest/arxiv-metadata-crash.test.ts',
  'test/cli.test.ts',
  'src/votes/concurrency.test.ts',
  'src/ingest/arxiv-snapshot-crash.test.ts',
  'test/e2e/follows.test.ts',
  'src/search/related.test.ts',
  'test/multi-instance.test.ts',
  'test/e2e/digests.test.ts',
  'test/e2e/search.test.ts',
  'src/digests/digests.test.ts',
  'test/e2e/comment-box.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = LONGEST_FIRST.indexOf(path.relative(import.meta.dirname, spec.moduleId));
      return at < 0 ? LONGEST_FIRST.length : at;
    };
    // Array sort is stable: the rest keep vitest's own order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/** What `npm test` leaves out of a pass (test/run.ts); a project's own exclude would override vitest's --exclude. */
const LEFT_OUT = (process.env.DP_TEST_EXCLUDE ?? '').split(',').filter(Boolean);

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Two cores: two files at a time, whichever project they belong to.
    maxWorkers: 2,
    minWorkers: 1,
    // A worker keeps the modules it loaded from one file to the next: importing the app through
    // vite once per worker, not once per file, is most of what a file costs. Tests share no
    // state through modules (each makes its own database, app and servers).
    isolate: false,
    sequence: { sequencer: LongestFirst },
    // expect.poll's own default (1 s) is a race with a busy machine; this bounds a hang instead.
    expect: { poll: { timeout: 90_000 } },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'], exclude: [...SYSTEM, ...LEFT_OUT], testTimeout: 120_000, hookTimeout: 180_000 },
      },
      {
        extends: true,
        // Limits for a machine that is busy with something else: they catch a hang, never a slow start.
        test: { name: 'system', include: SYSTEM, exclude: LEFT_OUT, testTimeout: 600_000, hookTimeout: 600_000 },
      },
    ],
  },
});
