import type { Mail } from '../mail/mailer.ts';
import type { Frequency } from './subscriptions.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

interface Button {
  label: string;
  link: string;
}

/** A short mail with one main button and an optional second link: plain text for every client, small HTML for phones. */
function noticeMail(to: string, subject: string, siteName: string, lead: string, main: Button, footer: string, extra?: Button): Mail {
  const text = [lead, '', `${main.label}:`, main.link, ...(extra ? ['', `${extra.label}:`, extra.link] : []), '', footer, ''].join('\n');
  const html = `<!doctype html><html><body style="margin:0;padding:24px;background:#f8fafc;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#0f172a">
<div style="max-width:480px;margin:0 auto;background:#ffffff;border:1px solid #e2e8f0;border-radius:10px;padding:24px">
<p style="margin:0 0 8px;font-weight:700;font-size:18px">${escapeHtml(siteName)}</p>
<p style="margin:0 0 20px;line-height:1.5">${escapeHtml(lead)}</p>
<p style="margin:0 0 20px"><a href="${escapeHtml(main.link)}" style="display:inline-block;background:#b45309;color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:8px">${escapeHtml(main.label)}</a></p>
<p style="margin:0 0 8px;font-size:13px;color:#64748b;line-height:1.5">Or paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(main.link)}</span></p>
${extra ? `<p style="margin:16px 0 0;font-size:13px;line-height:1.5"><a href="${escapeHtml(extra.link)}" style="color:#b45309">${escapeHtml(extra.label)}</a></p>` : ''}
<p style="margin:16px 0 0;font-size:13px;color:#64748b;line-height:1.5">${escapeHtml(footer)}</p>
</div></body></html>`;
  return { kind: 'subscribe', to, subject, text, html };
}

/** Double opt-in: nothing is sent to an address until its owner presses the button this mail links to. */
export function confirmSubscriptionMail(to: string, frequency: Frequency, confirmLink: string, siteName: string): Mail {
  return noticeMail(
    to,
    `Confirm your ${siteName} digest`,
    siteName,
    `Confirm this address to get the trending papers of ${siteName} by e-mail, ${frequency === 'daily' ? 'every weekday' : 'once a week'}. You can choose topics next.`,
    { label: 'Confirm my subscription', link: confirmLink },
    `You get this mail because someone entered this address on ${siteName}. If it was not you, ignore it: nothing is sent without a confirmation. The link works for 7 days.`,
  );
}

/** For an address that is subscribed already: the page said "check your inbox" as for anyone, and this is what arrives. */
export function alreadySubscribedMail(to: string, preferencesLink: string, unsubscribeLink: string, siteName: string): Mail {
  return noticeMail(
    to,
    `You already get the ${siteName} digest`,
    siteName,
    `Someone asked to subscribe this address to ${siteName}'s digest, and it is subscribed already: nothing changed. To choose topics or how often it comes, open your preferences.`,
    { label: 'Manage my digest', link: preferencesLink },
    `If it was not you, there is nothing to do.`,
    { label: 'Unsubscribe', link: unsubscribeLink },
  );
}
