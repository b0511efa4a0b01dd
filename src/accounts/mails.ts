import type { Mail } from '../mail/mailer.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A mail with one button: plain text for every client, and a small HTML part that reads well on a phone. */
function linkMail(kind: Mail['kind'], to: string, subject: string, lead: string, action: string, link: string, siteName: string): Mail {
  const footer = `You get this mail because someone entered this address on ${siteName}. If it was not you, ignore it: nothing happens without the link. The link works once, for 30 minutes.`;
  const text = `${lead}\n\n${action}:\n${link}\n\n${footer}\n`;
  const html = `<!doctype html><html><body style="margin:0;padding:24px;background:#f8fafc;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#0f172a">
<div style="max-width:480px;margin:0 auto;background:#ffffff;border:1px solid #e2e8f0;border-radius:10px;padding:24px">
<p style="margin:0 0 8px;font-weight:700;font-size:18px">${escapeHtml(siteName)}</p>
<p style="margin:0 0 20px;line-height:1.5">${escapeHtml(lead)}</p>
<p style="margin:0 0 20px"><a href="${escapeHtml(link)}" style="display:inline-block;background:#b45309;color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:8px">${escapeHtml(action)}</a></p>
<p style="margin:0 0 8px;font-size:13px;color:#64748b;line-height:1.5">Or paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(link)}</span></p>
<p style="margin:16px 0 0;font-size:13px;color:#64748b;line-height:1.5">${escapeHtml(footer)}</p>
</div></body></html>`;
  return { kind, to, subject, text, html };
}

export function signinMail(to: string, link: string, siteName: string): Mail {
  return linkMail('signin', to, `Sign in to ${siteName}`, `Here is your link to sign in to ${siteName}.`, 'Sign in', link, siteName);
}

export function signupMail(to: string, username: string, link: string, siteName: string): Mail {
  return linkMail('signup', to, `Confirm your ${siteName} account`, `Welcome! Confirm this address to create the account @${username} on ${siteName}.`, 'Create my account', link, siteName);
}
