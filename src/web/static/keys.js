// Keyboard shortcuts on lists, a progressive enhancement: j/k move between cards,
// o or Enter opens the focused one. Pages work the same without it.
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
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName ?? '')) return;
    if (e.key === 'j') focus(index + 1);
    else if (e.key === 'k') focus(index - 1);
    else if (e.key === 'o' && index >= 0) cards()[index]?.querySelector('.card-title a')?.click();
  });
})();
