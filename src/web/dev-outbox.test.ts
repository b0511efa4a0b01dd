import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testApp } from '../../test/helpers.ts';
import { CookieClient, LOOPBACK } from '../../test/cookie-client.ts';

describe('/dev/outbox', () => {
  it('lets a developer without a mail server read the sign-up mail and follow its link', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-outbox-'));
    const { db, app } = await testApp({ MAIL_OUTBOX_DIR: dir, NODE_ENV: 'development' });
    try {
      const browser = new CookieClient(app);
      expect((await browser.get('/dev/outbox')).html).toContain('No mails yet');
      await browser.get('/signup');
      const inbox = await browser.post('/signup', { username: 'dev-user', email: 'dev@example.org' });
      expect(inbox.html).toContain('href="/dev/outbox"');

      let list = '';
      // The mail is written after the answer: wait for it (the test's limit bounds the wait).
      while (!list.includes('Confirm your')) {
        await new Promise((r) => setTimeout(r, 50));
        list = (await browser.get('/dev/outbox')).html;
      }
      const name = /href="\/dev\/outbox\/([^"]+)"/.exec(list)![1]!;
      const mail = await browser.get(`/dev/outbox/${name}`);
      expect(mail.res.status).toBe(200);
      expect(mail.html).toContain('dev@example.org');
      const link = /href="(http:\/\/localhost\/signin\/link\?token=[\w-]+)"/.exec(mail.html)![1]!;
      const url = new URL(link);
      await browser.get(url.pathname + url.search);
      const done = await browser.post('/signin/link', { token: url.searchParams.get('token')! });
      expect(done.res.status).toBe(303);

      expect((await browser.get('/dev/outbox/..%2F..%2Fetc%2Fpasswd')).res.status).toBe(404);
      expect((await browser.get('/dev/outbox/nope.eml')).res.status).toBe(404);
    } finally {
      await db.close();
    }
  });

  it('does not exist in production, when mail goes to a server, or for a browser on another machine', async () => {
    for (const overrides of [{ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40) }, { SMTP_URL: 'smtp://127.0.0.1:9' }] as Record<string, string>[]) {
      const { db, app } = await testApp(overrides);
      try {
        expect((await app.request('/dev/outbox', {}, LOOPBACK)).status).toBe(404);
      } finally {
        await db.close();
      }
    }
    const { db, app } = await testApp({ NODE_ENV: 'development' });
    try {
      expect((await app.request('/dev/outbox', {}, LOOPBACK)).status).toBe(200);
      expect((await app.request('/dev/outbox', {}, { incoming: { socket: { remoteAddress: '192.0.2.7' } } })).status).toBe(404);
      // A proxy on this machine forwarding someone else's request is not a local browser.
      expect((await app.request('/dev/outbox', { headers: { 'X-Forwarded-For': '192.0.2.7' } }, LOOPBACK)).status).toBe(404);
    } finally {
      await db.close();
    }
  });
});
