// Upvotes without a reload, a progressive enhancement of the cards' forms
// (components.tsx Upvotes): the count and the pressed state change at once and
// roll back if the server refuses. `u` upvotes the focused card (see keys.js).
// Without this script the forms post and the page comes back.
(() => {
  const signIn = () => {
    location.href = `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
  };
  const show = (form, upvoted, count) => {
    const button = form.querySelector('button');
    button.setAttribute('aria-pressed', String(upvoted));
    form.dataset.count = String(count);
    // As ui/format.ts formatCount writes it.
    form.querySelector('.upvote-count').textContent = count >= 1000 ? `${(count / 1000).toFixed(count >= 10000 ? 0 : 1)}k` : String(count);
    form.querySelector('input[name=action]').value = upvoted ? 'down' : 'up';
    button.title = `${count} ${count === 1 ? 'upvote' : 'upvotes'} · ${upvoted ? 'withdraw your upvote' : 'upvote'}`;
  };
  const pending = new WeakSet();

  async function vote(form) {
    if (pending.has(form)) return;
    const button = form.querySelector('button');
    const before = { upvoted: button.getAttribute('aria-pressed') === 'true', count: Number(form.dataset.count) };
    const body = new URLSearchParams(new FormData(form));
    show(form, !before.upvoted, Math.max(0, before.count + (before.upvoted ? -1 : 1)));
    pending.add(form);
    try {
      // `form.action` would be the input named "action", not the attribute.
      const res = await fetch(form.getAttribute('action'), {
        method: 'POST',
        body,
        credentials: 'same-origin',
        redirect: 'manual',
        headers: { Accept: 'application/json', 'X-CSRF-Token': body.get('_csrf') ?? '' },
      });
      if (res.status === 401 || res.status === 303 || res.type === 'opaqueredirect') return signIn();
      if (!res.ok) throw new Error(`upvote: ${res.status}`);
      const state = await res.json();
      show(form, state.upvoted, state.upvotes);
    } catch {
      show(form, before.upvoted, before.count);
      form.classList.add('vote-failed');
      setTimeout(() => form.classList.remove('vote-failed'), 1200);
    } finally {
      pending.delete(form);
    }
  }

  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form.upvotes[data-vote]')) return;
    e.preventDefault();
    vote(form);
  });

  document.addEventListener('keydown', (e) => {
    if (e.key !== 'u' || e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName ?? '')) return;
    const card = document.activeElement?.closest('article.card') ?? document.querySelector('article.card.focused');
    const form = card?.querySelector('form.upvotes') ?? (card ? null : document.querySelector('.paper form.upvotes'));
    if (!form) return;
    e.preventDefault();
    if (form.matches('[data-vote]')) vote(form);
    else signIn();
  });
})();
