// Save, "mark read" and "not interested" without a reload, a progressive enhancement of the
// cards' forms (ui/components.tsx SaveButton, ReadButton, HideButton): the button changes at once and rolls back if the
// server refuses. Without this script the forms post and the page comes back.
(() => {
  const signIn = () => {
    location.href = `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
  };
  const pending = new WeakSet();

  const showSaved = (form, saved) => {
    const button = form.querySelector('button');
    button.setAttribute('aria-pressed', String(saved));
    button.title = saved ? 'Saved in your library · remove it' : 'Save to your library';
    button.querySelector('[aria-hidden]').textContent = saved ? '★' : '☆';
    button.querySelector('.save-label').textContent = saved ? 'Saved' : 'Save';
    form.querySelector('input[name=action]').value = saved ? 'unsave' : 'save';
  };
  const showRead = (form, read) => {
    const button = form.querySelector('button');
    button.setAttribute('aria-pressed', String(read));
    button.title = read ? 'You read it · mark it unread' : 'Mark read';
    button.querySelector('.read-label').textContent = read ? 'Read' : 'Mark read';
    form.querySelector('input[name=action]').value = read ? 'unread' : 'read';
  };
  const showHidden = (form, hidden) => {
    const button = form.querySelector('button');
    button.setAttribute('aria-pressed', String(hidden));
    button.title = hidden ? 'Hidden from your lists · show it again' : 'Not interested: hide it from your lists, search and digests';
    button.textContent = hidden ? 'Hidden · undo' : 'Not interested';
    form.querySelector('input[name=action]').value = hidden ? 'unhide' : 'not-interested';
    // On a list the card folds away, leaving its undo button.
    const item = form.closest('li');
    if (!item || !item.querySelector('article.card')) return;
    item.classList.toggle('hidden-by-reader', hidden);
    let note = item.querySelector('.hidden-note');
    if (hidden && !note) {
      note = document.createElement('p');
      note.className = 'hidden-note';
      note.textContent = 'Hidden from your lists. ';
      const undo = document.createElement('button');
      undo.type = 'button';
      undo.className = 'hide-button';
      undo.textContent = 'Undo';
      undo.addEventListener('click', () => send(form));
      note.append(undo);
      item.prepend(note);
    } else if (!hidden && note) note.remove();
  };
  const current = (form) => form.querySelector('button').getAttribute('aria-pressed') === 'true';
  const show = (form, on) => (form.matches('form.save') ? showSaved(form, on) : form.matches('form.read') ? showRead(form, on) : showHidden(form, on));
  const stateOf = (form, answer) => (form.matches('form.save') ? answer.saved : form.matches('form.read') ? answer.read : answer.hidden);

  async function send(form) {
    if (pending.has(form)) return;
    const before = current(form);
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
      if (res.status === 401 || res.status === 303 || res.type === 'opaqueredirect') return signIn();
      if (!res.ok) throw new Error(`library: ${res.status}`);
      const state = await res.json();
      show(form, stateOf(form, state));
    } catch {
      show(form, before);
      form.classList.add('vote-failed');
      setTimeout(() => form.classList.remove('vote-failed'), 1200);
    } finally {
      pending.delete(form);
    }
  }

  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form.save[data-save], form.read[data-read], form.hide[data-hide]')) return;
    e.preventDefault();
    send(form);
  });
})();
