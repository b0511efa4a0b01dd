// Keyboard shortcuts, a progressive enhancement: j/k move between cards, o or Enter opens the
// focused one (u upvotes it: buttons.js), / goes to the header's search box, ? shows the list of
// them (the dialog in ui/layout.tsx), Escape closes it. Pages work the same without it.
(() => {
  const cards = () => [...document.querySelectorAll('article.card')];
  let index = -1;
  const focus = (i) => {
    const all = cards();
    if (all.length === 0) return;
    index = Math.max(0, Math.min(all.length - 1, i));
    const link = all[index].querySelector('.card-title a');
    all.forEach((c, n) => c.classList.toggle('focused', n === index));
    link?.focus({ preventScroll: true });
    all[index].scrollIntoView({ block: 'nearest' });
  };
  const panel = document.getElementById('shortcuts');
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const active = document.activeElement;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(active?.tagName ?? '') || active?.isContentEditable) return;
    if (panel?.open) return;
    if (e.key === 'j') focus(index + 1);
    else if (e.key === 'k') focus(index - 1);
    else if (e.key === 'o' && index >= 0) cards()[index]?.querySelector('.card-title a')?.click();
    else if (e.key === '/') {
      const box = document.querySelector('.header-search input, #search-q');
      if (!box) return;
      e.preventDefault();
      box.focus();
      box.select();
    } else if (e.key === '?' && panel) {
      e.preventDefault();
      panel.showModal();
    }
  });
  // A <dialog> closes itself on Escape; a click on its backdrop closes it too.
  panel?.addEventListener('click', (e) => {
    if (e.target === panel) panel.close();
  });
})();
