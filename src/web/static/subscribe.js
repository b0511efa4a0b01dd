// The "Get trending papers in your inbox" forms (digests/forms.tsx SubscribeCta). Pages for
// anonymous readers are cached and shared, so their form cannot carry a CSRF token: it is a GET
// to the subscribe page. With this script it fetches this browser's token and posts instead,
// so subscribing takes one click. Without the script the subscribe page asks once more.
(() => {
  for (const form of document.querySelectorAll('form[data-subscribe]')) {
    if (form.getAttribute('method') === 'post') continue;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const res = await fetch('/subscribe/token', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (!res.ok) throw new Error(`subscribe: token ${res.status}`);
        const { csrf } = await res.json();
        const field = document.createElement('input');
        field.type = 'hidden';
        field.name = '_csrf';
        field.value = csrf;
        form.append(field);
        form.setAttribute('method', 'post');
      } catch {
        // The GET still reaches the subscribe page, which has a token of its own.
      }
      form.submit();
    });
  }
})();
