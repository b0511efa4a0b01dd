// Follow without a reload, a progressive enhancement of the follow forms (ui/follow.tsx):
// the button flips at once and flips back if the server refuses. Without this script the
// form posts and the page comes back.
(() => {
  const show = (form, following) => {
    const button = form.querySelector('button');
    const label = form.dataset.label;
    button.classList.toggle('following', following);
    // A short button (the list in /following) says the action; its name adds what it follows.
    if (form.hasAttribute('data-short')) {
      button.textContent = following ? 'Unfollow' : 'Follow again';
      button.setAttribute('aria-label', `${following ? 'Unfollow' : 'Follow'} ${label}`);
    } else {
      button.setAttribute('aria-pressed', String(following));
      button.textContent = `${following ? 'Following' : 'Follow'} ${label}`;
    }
    form.querySelector('input[name=action]').value = following ? 'unfollow' : 'follow';
  };
  const pending = new WeakSet();

  document.addEventListener('submit', async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form.follow[data-follow]')) return;
    e.preventDefault();
    if (pending.has(form)) return;
    const before = form.querySelector('input[name=action]').value === 'unfollow';
    const body = new URLSearchParams(new FormData(form));
    show(form, !before);
    pending.add(form);
    try {
      const res = await fetch(form.getAttribute('action'), {
        method: 'POST',
        body,
        credentials: 'same-origin',
        redirect: 'manual',
        headers: { Accept: 'application/json', 'X-CSRF-Token': body.get('_csrf') ?? '' },
      });
      if (res.status === 401 || res.type === 'opaqueredirect') {
        location.href = `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
        return;
      }
      if (!res.ok) throw new Error(`follow: ${res.status}`);
      show(form, (await res.json()).following);
    } catch {
      show(form, before);
      form.classList.add('follow-failed');
      setTimeout(() => form.classList.remove('follow-failed'), 1200);
    } finally {
      pending.delete(form);
    }
  });
})();
