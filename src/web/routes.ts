import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { AppEnv } from '../app.ts';
import { showDay, showLatestDay, showMonth, showTrending, showWeek } from '../feed/pages.tsx';
import { showPaper } from '../papers/pages.tsx';
import { healthz, metrics } from './health.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const katexDist = path.join(path.dirname(createRequire(import.meta.url).resolve('katex/package.json')), 'dist');

/** The server-rendered pages, one line each, with Hugging Face's URL scheme. */
export function pageRoutes(): Hono<AppEnv> {
  const pages = new Hono<AppEnv>();
  pages.get('/', (c) => c.redirect('/papers'));
  pages.get('/healthz', healthz);
  pages.get('/metrics', metrics);
  pages.get('/papers', showLatestDay);
  pages.get('/papers/date', showDay);
  pages.get('/papers/date/:day', showDay);
  pages.get('/papers/week', showWeek);
  pages.get('/papers/week/:week', showWeek);
  pages.get('/papers/month', showMonth);
  pages.get('/papers/month/:month', showMonth);
  pages.get('/papers/trending', showTrending);
  pages.get('/papers/:id{.+}', showPaper);
  pages.use('/static/katex/*', staticFrom(katexDist, '/static/katex'));
  pages.use('/static/*', staticFrom(path.join(here, 'static'), '/static'));
  return pages;
}

function staticFrom(dir: string, prefix: string) {
  return serveStatic({
    root: path.relative(process.cwd(), dir) || '.',
    rewriteRequestPath: (p) => p.slice(prefix.length),
    onFound: (_path, c) => {
      c.header('Cache-Control', 'public, max-age=86400');
    },
  });
}
