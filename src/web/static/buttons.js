// The instant buttons — upvote, save, mark read, not interested, follow — as one progressive
// enhancement of their forms (ui/components.tsx, ui/follow.tsx): a press shows its new state at
// once, posts the form for JSON, shows what the server answers, and rolls back if it refuses.
// Without this script the forms post and the page comes back. `u` upvotes the focused card.
(() => {
  const signIn = () => {
    location.href = `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
  };
  const button = (form) => form.querySelector('button');
  const setAction = (form, value) => {
    form.querySelector('input[name=action]').value = value;
  };
  const pressed = (form) => button(form).getAttribute('aria-pressed') === 'true';

  /** Hidden: on a list the card folds away, leaving an undo button. */
  const foldCard = (form, hidden) => {
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

  // Each kind: its forms, its state now (`current`), as the server answers it (`answered`), what
  // it would be after a press (`next`), and how it shows. A state is what `show` takes.
  const KINDS = [
    {
      selector: 'form.upvotes[data-vote]',
      current: (form) => ({ on: pressed(form), count: Number(form.dataset.count) }),
      next: ({ on, count }) => ({ on: !on, count: Math.max(0, count + (on ? -1 : 1)) }),
      answered: (answer) => ({ on: answer.upvoted, count: answer.upvotes }),
      show(form, { on, count }) {
        button(form).setAttribute('aria-pressed', String(on));
        form.dataset.count = String(count);
        // As ui/format.ts formatCount writes it.
        form.querySelector('.upvote-count').textContent = count >= 1000 ? `${(count / 1000).toFixed(count >= 10000 ? 0 : 1)}k` : String(count);
        setAction(form, on ? 'down' : 'up');
        button(form).title = `${count} ${count === 1 ? 'upvote' : 'upvotes'} · ${on ? 'withdraw your upvote' : 'upvote'}`;
      },
    },
    {
      selector: 'form.save[data-save]',
      answered: (answer) => answer.saved,
      show(form, saved) {
        button(form).setAttribute('aria-pressed', String(saved));
        button(form).title = saved ? 'Saved in your library · remove it' : 'Save to your library';
        button(form).querySelector('[aria-hidden]').textContent = saved ? '★' : '☆';
        button(form).querySelector('.save-label').textContent = saved ? 'Saved' : 'Save';
        setAction(form, saved ? 'unsave' : 'save');
      },
    },
    {
      selector: 'form.read[data-read]',
      answered: (answer) => answer.read,
      show(form, read) {
        button(form).setAttribute('aria-pressed', String(read));
        button(form).title = read ? 'You read it · mark it unread' : 'Mark read';
        button(form).querySelector('.read-label').textContent = read ? 'Read' : 'Mark read';
        setAction(form, read ? 'unread' : 'read');
      },
    },
    {
      selector: 'form.hide[data-hide]',
      answered: (answer) => answer.hidden,
      show(form, hidden) {
        button(form).setAttribute('aria-pressed', String(hidden));
        button(form).title = hidden ? 'Hidden from your lists · show it again' : 'Not interested: hide it from your lists, search and digests';
        button(form).textContent = hidden ? 'Hidden · undo' : 'Not interested';
        setAction(form, hidden ? 'unhide' : 'not-interested');
        foldCard(form, hidden);
      },
    },
    {
      selector: 'form.follow[data-follow]',
      failed: 'follow-failed',
      current: (form) => form.querySelector('input[name=action]').value === 'unfollow',
      answered: (answer) => answer.following,
      show(form, following) {
        const label = form.dataset.label;
        button(form).classList.toggle('following', following);
        // A short button (the list in /following) says the action; its name adds what it follows.
        if (form.hasAttribute('data-short')) {
          button(form).textContent = following ? 'Unfollow' : 'Follow again';
          button(form).setAttribute('aria-label', `${following ? 'Unfollow' : 'Follow'} ${label}`);
        } else {
          button(form).setAttribute('aria-pressed', String(following));
          button(form).textContent = `${following ? 'Following' : 'Follow'} ${label}`;
        }
        setAction(form, following ? 'unfollow' : 'follow');
      },
    },
  ];
  const kindOf = (form) => KINDS.find((kind) => form.matches(kind.selector));
  const pending = new WeakSet();

  async function send(form) {
    const kind = kindOf(form);
    if (!kind || pending.has(form)) return;
    const before = kind.current ? kind.current(form) : pressed(form);
    const body = new URLSearchParams(new FormData(form));
    kind.show(form, kind.next ? kind.next(before) : !before);
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
      if (!res.ok) throw new Error(`${kind.selector}: ${res.status}`);
      kind.show(form, kind.answered(await res.json()));
    } catch {
      kind.show(form, before);
      const failed = kind.failed ?? 'vote-failed';
      form.classList.add(failed);
      setTimeout(() => form.classList.remove(failed), 1200);
    } finally {
      pending.delete(form);
    }
  }

  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !kindOf(form)) return;
    e.preventDefault();
    send(form);
  });

  document.addEventListener('keydown', (e) => {
    if (e.key !== 'u' || e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName ?? '')) return;
    const card = document.activeElement?.closest('article.card') ?? document.querySelector('article.card.focused');
    const form = card?.querySelector('form.upvotes') ?? (card ? null : document.querySelector('.paper form.upvotes'));
    if (!form) return;
    e.preventDefault();
    if (form.matches('[data-vote]')) send(form);
    else signIn();
  });
})();
