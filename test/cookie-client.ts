import type { Hono } from 'hono';
import type { AppEnv } from '../src/http/env.ts';

/** What the Node server tells the app about a connection from this machine. */
export const LOOPBACK = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };

/**
 * A browser on this machine, as far as forms go: keeps cookies between `app.request()`
 * calls, sends the site's Origin on POSTs and the `_csrf` field of the last page it saw.
 */
export class CookieClient {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(
    private readonly app: Hono<AppEnv>,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ res: Response; html: string }> {
    const res = await this.app.request(path, { headers: { Cookie: this.cookieHeader, 'User-Agent': this.userAgent, ...headers } }, LOOPBACK);
    return this.took(res);
  }

  /** A same-site form POST carrying the CSRF token (unless `_csrf` is given, even as ''). */
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ res: Response; html: string }> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields });
    const res = await this.app.request(path, {
      method: 'POST',
      body,
      headers: { Cookie: this.cookieHeader, 'User-Agent': this.userAgent, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost', ...headers },
    }, LOOPBACK);
    return this.took(res);
  }

  private async took(res: Response): Promise<{ res: Response; html: string }> {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      const expired = attrs.some((a) => /^\s*max-age=0$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired || value === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    const html = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html);
    if (csrf) this.csrf = csrf[1]!;
    return { res, html };
  }
}
