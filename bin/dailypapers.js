#!/usr/bin/env node
// The one executable: server, migrations, imports and operator commands.
// It runs dist/ (`npm run build`, also run by `npm install` and `npm start`) while dist/ is what
// src/ builds to now, and otherwise the TypeScript sources through tsx's loader, so an edited
// source always runs: a stale build is never used, only slower to start (decision 038).
// DP_FROM_SOURCE=1 always runs the sources, as does `node --watch` (it watches what is loaded).
import { currentEntry } from './dist.js';

const fromSource = process.env.DP_FROM_SOURCE === '1' || process.env.WATCH_REPORT_DEPENDENCIES !== undefined;
const built = fromSource ? undefined : currentEntry();
if (built) {
  await (await import(built)).main();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await (await import('../src/cli.ts')).main();
}
