import { describe, expect, it } from 'vitest';
import { createMailer } from '../src/mail/mailer.ts';
import { startSmtpServer } from './smtp.ts';
import { mailsSent } from '../src/core/metrics.ts';

const counted = async (outcome: string) => (await mailsSent.get()).values.find((v) => v.labels.kind === 'signin' && v.labels.outcome === outcome)?.value ?? 0;

describe('the test SMTP server', () => {
  it('parses what it receives, and refuses the next N messages when told to; the mailer counts both', async () => {
    const server = await startSmtpServer();
    const mailer = createMailer({ SMTP_URL: server.url, MAIL_FROM: 'Test <t@localhost>', MAIL_OUTBOX_DIR: '/nonexistent' });
    const [sentBefore, failedBefore] = [await counted('sent'), await counted('failed')];
    try {
      server.failNext(1, 550, 'mailbox unavailable');
      await expect(mailer.send({ kind: 'signin', to: 'a@example.org', subject: 'one', text: 'first' })).rejects.toThrow(/550/);
      expect(server.refused).toBe(1);
      const waiting = server.waitForMail((m) => m.subject === 'two');
      await mailer.send({ kind: 'signin', to: 'b@example.org', subject: 'two', text: 'see https://example.org/x', html: '<p>hi</p>' });
      const mail = await waiting;
      expect(mail.to).toEqual(['b@example.org']);
      expect(mail.text).toContain('https://example.org/x');
      expect(mail.html).toContain('<p>hi</p>');
      expect(server.mails.map((m) => m.subject)).toEqual(['two']);
      await expect(server.waitForMail((m) => m.subject === 'never', 100)).rejects.toThrow(/no matching mail/);
      // /metrics counts each mail by kind and outcome.
      expect([(await counted('sent')) - sentBefore, (await counted('failed')) - failedBefore]).toEqual([1, 1]);
    } finally {
      mailer.close();
      await server.close();
    }
  });
});
