// Results as one types on /papers/search, a progressive enhancement of its form
// (search/pages.tsx): a pause in typing fetches the page with `prefix=1` (the last
// word also matches as a prefix) and swaps in its results. Without this script the
// form submits and the page comes back. On a phone the filters start folded unless
// some are set.
(() => {
  const form = document.getElementById('search-form');
  const input = document.getElementById('search-q');
  const results = document.getElementById('search-results');
  if (!form || !input || !results) return;

  const filters = document.querySelector('details.search-filters');
  if (filters && !filters.hasAttribute('data-active') && matchMedia('(max-width: 760px)').matches) filters.open = false;

  const DELAY_MS = 250;
  let timer;
  let inflight;
  let last = input.value;

  async function refresh() {
    const params = new URLSearchParams();
    // FormData of the form includes the filter fields tied to it with `form=`.
    for (const [key, value] of new FormData(form)) if (value !== '') params.set(key, value);
    const shown = params.toString();
    params.set('prefix', '1');
    inflight?.abort();
    inflight = new AbortController();
    results.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch(`/papers/search?${params}`, { signal: inflight.signal, headers: { Accept: 'text/html' } });
      // A query cut short while typing (`after:20`) is refused: keep the last results
      // until it is whole; submitting the form shows what is wrong.
      const fresh = res.ok && new DOMParser().parseFromString(await res.text(), 'text/html');
      if (fresh && fresh.getElementById('search-results')) {
        results.innerHTML = fresh.getElementById('search-results').innerHTML;
        document.getElementById('search-problem')?.remove();
        input.removeAttribute('aria-invalid');
        document.title = fresh.title;
      }
      if (fresh) history.replaceState(null, '', `/papers/search${shown ? `?${shown}` : ''}`);
    } catch (err) {
      if (err.name !== 'AbortError') results.setAttribute('aria-busy', 'false');
      return;
    }
    results.setAttribute('aria-busy', 'false');
  }

  input.addEventListener('input', () => {
    if (input.value === last) return;
    last = input.value;
    clearTimeout(timer);
    timer = setTimeout(refresh, DELAY_MS);
  });
})();
