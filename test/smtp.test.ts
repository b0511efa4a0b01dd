import { describe, expect, it } from 'vitest';
import { createMailer } from '../src/mail/mailer.ts';
import { startSmtpServer } from './smtp.ts';

describe('the test SMTP server', () => {
  it('parses what it receives, and refuses the next N messages when told to', async () => {
    const server = await startSmtpServer();
    const mailer = createMailer({ SMTP_URL: server.url, MAIL_FROM: 'Test <t@localhost>', MAIL_OUTBOX_DIR: '/nonexistent' });
    try {
      server.failNext(1, 550, 'mailbox unavailable');
      await expect(mailer.send({ to: 'a@example.org', subject: 'one', text: 'first' })).rejects.toThrow(/550/);
      expect(server.refused).toBe(1);
      const waiting = server.waitForMail((m) => m.subject === 'two');
      await mailer.send({ to: 'b@example.org', subject: 'two', text: 'see https://example.org/x', html: '<p>hi</p>' });
      const mail = await waiting;
      expect(mail.to).toEqual(['b@example.org']);
      expect(mail.text).toContain('https://example.org/x');
      expect(mail.html).toContain('<p>hi</p>');
      expect(server.mails.map((m) => m.subject)).toEqual(['two']);
      await expect(server.waitForMail((m) => m.subject === 'never', 100)).rejects.toThrow(/no matching mail/);
    } finally {
      mailer.close();
      await server.close();
    }
  });
});
