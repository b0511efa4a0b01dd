// Suggestions under the header's search box while one types (GET /api/suggest): papers,
// authors, organizations, as an ARIA combobox with a listbox; up/down move, Enter opens the
// chosen one (or searches, as without this script), Escape closes. Without it the box is a
// plain search form.
(() => {
  const input = document.querySelector('.header-search input[name=q]');
  if (!input) return;
  const form = input.form;
  const list = document.createElement('ul');
  list.id = 'suggestions';
  list.className = 'suggestions';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Suggestions');
  list.hidden = true;
  form.append(list);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', list.id);
  input.setAttribute('aria-expanded', 'false');

  const DELAY_MS = 150;
  let timer;
  let inflight;
  let active = -1;
  const options = () => [...list.querySelectorAll('[role=option]')];

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const choose = (i) => {
    const all = options();
    if (all.length === 0) return;
    active = (i + all.length) % all.length;
    all.forEach((o, n) => o.setAttribute('aria-selected', String(n === active)));
    input.setAttribute('aria-activedescendant', all[active].id);
    all[active].scrollIntoView({ block: 'nearest' });
  };
  const option = (id, href, label, kind) => {
    const li = document.createElement('li');
    li.id = id;
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', 'false');
    li.dataset.href = href;
    const text = document.createElement('span');
    text.textContent = label;
    const tag = document.createElement('span');
    tag.className = 'suggestion-kind';
    tag.textContent = kind;
    li.append(text, tag);
    // mousedown, not click: the input's blur would close the list first.
    li.addEventListener('mousedown', (e) => {
      e.preventDefault();
      location.href = href;
    });
    return li;
  };
  const show = (data) => {
    list.replaceChildren();
    let n = 0;
    for (const p of data.papers) list.append(option(`sg-${n++}`, `/papers/${p.id}`, p.title, 'Paper'));
    for (const a of data.authors) list.append(option(`sg-${n++}`, `/authors/${encodeURIComponent(a.name)}`, a.name, `Author · ${a.papers}`));
    for (const o of data.organizations) list.append(option(`sg-${n++}`, `/organizations/${encodeURIComponent(o.name)}`, o.fullname, 'Organization'));
    if (n === 0) return close();
    list.append(option(`sg-${n}`, `/papers/search?q=${encodeURIComponent(input.value.trim())}`, `Search for “${input.value.trim()}”`, '↵'));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    active = -1;
  };
  const refresh = async () => {
    const q = input.value.trim();
    inflight?.abort();
    if (q.length < 2) return close();
    inflight = new AbortController();
    try {
      const res = await fetch(`/api/suggest?q=${encodeURIComponent(q)}`, { signal: inflight.signal, headers: { Accept: 'application/json' } });
      if (res.ok && input.value.trim() === q) show(await res.json());
    } catch {
      // Offline or aborted: the form still searches.
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DELAY_MS);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (list.hidden) return;
      e.preventDefault();
      choose(active + (e.key === 'ArrowDown' ? 1 : -1));
    } else if (e.key === 'Enter' && !list.hidden && active >= 0) {
      e.preventDefault();
      location.href = options()[active].dataset.href;
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();
      close();
    }
  });
  input.addEventListener('blur', close);
})();
