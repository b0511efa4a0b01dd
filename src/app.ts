import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { requestId } from 'hono/request-id';
import type { Config } from './core/config.ts';
import type { Db } from './db/database.ts';
import { apiRoutes } from './api/routes.ts';
import { pageRoutes } from './web/routes.ts';
import { feedRoutes } from './syndication/routes.ts';
import { notFound, serverError } from './web/errors.tsx';
import { createPageCache } from './web/page-cache.ts';
import { healthzEarly, metrics } from './web/health.ts';
import { markContentChanged } from './db/content-version.ts';
import { observe } from './web/observe.ts';
import { silentLogger, type Logger } from './core/log.ts';
import { authenticate, csrfProtection, wantsJson } from './http/authenticate.ts';
import type { AppEnv } from './http/env.ts';
import { parseFormFirst } from './http/forms.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { bodyLimit } from 'hono/body-limit';
import { resolveKeys, type InstanceKeys } from './db/secrets.ts';

const MAX_BODY_BYTES = 64 * 1024;

/** Without RELEASE_ID, each start mints its own ETags, so a new build never answers 304 for the old one's pages. */
const START_ID = Date.now().toString(36);

/**
 * The whole web application: one middleware chain, then the route tables. `keys` are resolved
 * once at startup (src/server.ts); without them (tests) they are resolved on the first request.
 */
export function createApp(deps: { db: Db; config: Config; keys?: InstanceKeys; log?: Logger; mailer?: Mailer }): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  const mailer = deps.mailer ?? createMailer(deps.config);
  let keys: InstanceKeys | Promise<InstanceKeys> | undefined = deps.keys;

  const security = secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        // Every image is this site's own (images/): none is fetched from another site by a reader.
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'"],
        // KaTeX positions glyphs with style attributes; <style> elements stay blocked.
        styleSrcAttr: ["'unsafe-inline'"],
        fontSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
      crossOriginEmbedderPolicy: false,
      // Not `no-referrer` (the default): under it browsers send `Origin: null` on same-site form
      // POSTs, which the CSRF check must refuse. `same-origin` still keeps URLs (and tokens in them) on this site.
      referrerPolicy: 'same-origin',
  });
  // The same headers on answers sent ahead of the chain (the page cache, /healthz): they are constant, so taken once.
  const securityHeaders = Promise.resolve(
    new Hono()
      .use(security)
      .get('*', (c) => c.body(null))
      .request('/'),
  ).then((res) => Object.fromEntries(res.headers));
  // Pages and API answers change only when the content version does (web/page-cache.ts).
  // Instances of one release share ETags when RELEASE_ID names it (docs/deploy.md).
  const buildId = deps.config.RELEASE_ID ?? START_ID;
  const cache = createPageCache({ db: deps.db, buildId, securityHeaders });
  const health = healthzEarly(deps.db, securityHeaders);

  app.use(requestId());
  app.use(observe(deps.log ?? silentLogger));
  app.use(security);
  app.use(async (c, next) => {
    c.set('db', deps.db);
    c.set('config', deps.config);
    c.set('keys', await (keys ??= resolveKeys(deps.db, deps.config)));
    c.set('mailer', mailer);
    await next();
  });
  // Ahead of authentication: the Bearer token /metrics takes is METRICS_TOKEN, not an API token.
  app.get('/metrics', metrics);
  // Forms and JSON bodies are small; anything bigger is refused before it is read.
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => {
      const message = `request body larger than ${MAX_BODY_BYTES / 1024} KiB`;
      return wantsJson(c) ? c.json({ error: message }, 413) : c.text(`413 Payload Too Large: ${message}`, 413);
    },
  });
  // Not for GET and HEAD, which have no body: asking for it made node-server build the whole
  // fetch Request (an AbortSignal and its listeners) for every page rendered (decision 024).
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  app.use(parseFormFirst());
  app.use(authenticate());
  app.use(csrfProtection());

  // Hono's `/papers/*` matches `/papers` itself too: one registration, or the cache runs twice there.
  app.use('/papers/*', cache.middleware);
  app.use('/api/*', cache.middleware);
  // Pages with follow buttons: their state is filled in per reader like votes (ui/follow.tsx).
  app.use('/organizations/*', cache.middleware);
  app.use('/authors/*', cache.middleware);
  app.route('/', apiRoutes());
  app.route('/', pageRoutes());
  app.route('/', feedRoutes());
  app.notFound(notFound);
  app.onError(serverError);

  // Ahead of the whole chain: an anonymous reader's cached page and /healthz need none of it
  // (no request id, logger, cookies or session); a write ends by making this process read the
  // content version afresh, so the writer's next page shows it (docs/decisions/013-serving.md).
  const dispatch = app.fetch;
  app.fetch = (req, ...rest) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      return Promise.resolve(dispatch(req, ...rest)).finally(() => {
        markContentChanged();
        cache.forgetReaders();
      });
    }
    const early = isHealthz(req.url) ? health(req) : cache.early(req);
    if (early === null) return dispatch(req, ...rest);
    if (early instanceof Response) return early;
    return early.then((res) => res ?? dispatch(req, ...rest));
  };
  return app;
}

/** Whether the URL's path is `/healthz` (without building a URL object). */
function isHealthz(url: string): boolean {
  return url.endsWith('/healthz') && url.indexOf('/', url.indexOf('//') + 2) === url.length - 8;
}
