// A Preview button beside each comment box (comments/pages.tsx): the server renders the text as
// posting would (POST /comments/preview, with the form's CSRF token), Markdown and math alike;
// Write goes back to the box. Without this script the forms post as they always did.
(() => {
  for (const form of document.querySelectorAll('form.comment-form')) {
    const box = form.querySelector('textarea[name=comment]');
    const row = form.querySelector('.comment-form-row');
    if (!box || !row) continue;
    const pane = document.createElement('div');
    pane.className = 'comment-preview';
    pane.hidden = true;
    pane.setAttribute('aria-live', 'polite');
    box.after(pane);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button preview-button';
    button.textContent = 'Preview';
    button.setAttribute('aria-pressed', 'false');
    row.querySelector('button[type=submit]')?.before(button);

    const write = () => {
      pane.hidden = true;
      box.hidden = false;
      button.textContent = 'Preview';
      button.setAttribute('aria-pressed', 'false');
      box.focus();
    };
    button.addEventListener('click', async () => {
      if (!pane.hidden) return write();
      const body = new URLSearchParams({ comment: box.value, _csrf: form.querySelector('input[name=_csrf]')?.value ?? '' });
      pane.textContent = 'Rendering…';
      pane.classList.remove('preview-problem');
      pane.hidden = false;
      box.hidden = true;
      button.textContent = 'Write';
      button.setAttribute('aria-pressed', 'true');
      try {
        const res = await fetch('/comments/preview', { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRF-Token': body.get('_csrf') } });
        const answer = await res.json();
        if (res.ok) pane.innerHTML = answer.html;
        else {
          pane.textContent = answer.error ?? `The preview failed (${res.status}).`;
          pane.classList.add('preview-problem');
        }
      } catch {
        pane.textContent = 'The preview could not be fetched; posting still works.';
        pane.classList.add('preview-problem');
      }
    });
  }
})();
