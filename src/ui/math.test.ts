import { describe, expect, it } from 'vitest';
import { closers, hasMath, mathAsText, renderMath, stripMath, renderMathExcerpt } from './math.ts';

// Counts rendered KaTeX spans (display spans wrap one too).
const spans = (html: string) => html.split('<span class="katex">').length - 1;

// No live tags apart from the ones KaTeX emits.
const expectNoLiveTags = (html: string) => {
  expect(html).not.toMatch(/<img|<script|<a[\s>]|<iframe/i);
  expect(html).not.toMatch(/href="javascript|on\w+="/i);
};

describe('renderMath', () => {
  it('renders inline math', () => {
    const html = renderMath('$SE(3)$-equivariant networks');
    expect(html).toContain('class="katex"');
    expect(html).not.toContain('$SE(3)$');
    expect(html).toMatch(/<\/span>-equivariant networks$/);
    expect(spans(html)).toBe(1);
  });

  it('keeps text glued to the closing dollar as text', () => {
    const html = renderMath('$i$REPO: a repo agent');
    expect(spans(html)).toBe(1);
    expect(html).toMatch(/<\/span>REPO: a repo agent$/);
  });

  it('renders commands inside dollars', () => {
    const html = renderMath('Attention in $\\mathcal{O}(n)$ time');
    expect(html).toContain('class="katex"');
    expect(html).toContain('mathcal');
    expect(html).not.toContain('$');
  });

  it('renders \\( \\) inline and $$ / \\[ \\] in display mode', () => {
    expect(renderMath('\\(x\\)')).not.toContain('katex-display');
    expect(renderMath('\\(x\\)')).toContain('class="katex"');
    expect(renderMath('$$x^2$$')).toContain('class="katex-display"');
    expect(renderMath('\\[x^2\\]')).toContain('class="katex-display"');
  });

  it('allows spans to wrap lines but not to cross a blank line', () => {
    expect(spans(renderMath('where $a +\n b$ holds'))).toBe(1);
    expect(spans(renderMath('$$\\sum_i\n x_i$$'))).toBe(1);
    expect(renderMath('$a\n\nb$')).toBe('$a\n\nb$');
  });

  it('leaves prices and lone dollars as text', () => {
    for (const t of ['costs $200k and $300k', 'US$5', '$ 5', '$5 to $10', 'from $5-$10', 'only $', 'a $b', 'x $y $']) {
      expect(renderMath(t), t).toBe(t);
      expect(hasMath(t), t).toBe(false);
    }
  });

  it('treats a digit-led span with spaces and no TeX syntax as prose', () => {
    const t = 'raised $5 million, 3x more than US$';
    expect(renderMath(t)).toBe(t);
    // TeX syntax makes it math again.
    expect(hasMath('$2 \\times 2$')).toBe(true);
    expect(hasMath('$3^{n}$')).toBe(true);
  });

  it('prices next to real math do not swallow it', () => {
    const html = renderMath('costs $200k and $300k with $x^2$');
    expect(html).toContain('costs $200k and $300k with <span class="katex">');
    expect(spans(html)).toBe(1);
  });

  it('turns \\$ into a literal dollar, in text and without closing math', () => {
    expect(renderMath('\\$5 and \\$x\\$')).toBe('$5 and $x$');
    expect(spans(renderMath('$a \\$ b$'))).toBe(1);
  });

  it('degrades malformed math to the escaped original', () => {
    expect(renderMath('$\\frac{1$ and more')).toBe('$\\frac{1$ and more');
    expect(renderMath('$\\undefinedmacro x$ <b>')).toBe('$\\undefinedmacro x$ &lt;b&gt;');
    expect(renderMath('$$\\frac{1$$')).toBe('$$\\frac{1$$');
    expect(renderMath('$a<b\\left($')).toBe('$a&lt;b\\left($');
  });

  it('keeps unclosed delimiters literal', () => {
    expect(renderMath('$$x and \\(y')).toBe('$$x and \\(y');
  });

  it('escapes HTML in text', () => {
    expect(renderMath(`Tom & Jerry's <b>"bold"</b>`)).toBe('Tom &amp; Jerry&#39;s &lt;b&gt;&quot;bold&quot;&lt;/b&gt;');
    expect(renderMath('a < b with $x$ & c')).toMatch(/^a &lt; b with <span class="katex">.*<\/span> &amp; c$/s);
  });

  it('neutralises hostile input', () => {
    for (const t of [
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(1)>',
      '$<img src=x onerror=alert(1)>$',
      '$x$<script>alert(1)</script>',
      '$\\href{javascript:alert(1)}{x}$',
      '$\\url{javascript:alert(1)}$',
      '\\(\\href{javascript:alert(1)}{x}\\)',
      '$\\htmlClass{x}{y}\\includegraphics{javascript:1}$',
    ]) {
      expectNoLiveTags(renderMath(t));
    }
    expect(renderMath('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(renderMath('"><img src=x onerror=alert(1)>')).toBe('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(renderMath('$<img src=x onerror=alert(1)>$')).toContain('class="katex"');
  });

  it('returns the same result from the cache', () => {
    const t = 'cached $\\alpha$ title';
    expect(renderMath(t)).toBe(renderMath(t));
  });
});

describe('hasMath', () => {
  it('is true only when a span renders', () => {
    expect(hasMath('$SE(3)$-equivariant')).toBe(true);
    expect(hasMath('\\[x\\]')).toBe(true);
    expect(hasMath('plain title')).toBe(false);
    expect(hasMath('$\\frac{1$')).toBe(false);
    expect(hasMath('\\$x\\$')).toBe(false);
  });
});

describe('stripMath', () => {
  it('drops delimiters and keeps the TeX source', () => {
    expect(stripMath('$SE(3)$-equivariant')).toBe('SE(3)-equivariant');
    expect(stripMath('$i$REPO')).toBe('iREPO');
    expect(stripMath('in $\\mathcal{O}(n)$ time')).toBe('in \\mathcal{O}(n) time');
    expect(stripMath('$$x$$ and \\(y\\) and \\[z\\]')).toBe('x and y and z');
  });

  it('keeps prices, literal dollars and malformed math as written, unescaped', () => {
    expect(stripMath('costs $200k & $300k')).toBe('costs $200k & $300k');
    expect(stripMath('\\$5')).toBe('$5');
    expect(stripMath('$\\frac{1$ <b>')).toBe('$\\frac{1$ <b>');
  });
});

describe('renderMathExcerpt', () => {
  it('keeps short text whole', () => {
    expect(renderMathExcerpt('Short $x$ text.', 100)).toBe(renderMath('Short $x$ text.'));
  });

  it('cuts at a word boundary and marks the cut', () => {
    const out = renderMathExcerpt('one two three four five six seven', 15);
    expect(out).toBe('one two three…');
  });

  it('never cuts inside a math span', () => {
    const text = 'We bound the error by $\\mathcal{O}(n \\log n)$ in the worst case and more words follow here.';
    const out = renderMathExcerpt(text, 30);
    expect(out).not.toContain('class="katex"');
    expect(out).not.toContain('$');
    expect(out.endsWith('…')).toBe(true);
    const longer = renderMathExcerpt(text, 50);
    expect(longer).toContain('class="katex"');
    expect(longer).not.toContain('worst case and more words');
  });

  it('escapes what it keeps', () => {
    expect(renderMathExcerpt('<b>bold</b> and a long tail of words here', 12)).toBe('&lt;b&gt;bold&lt;/b&gt;…');
  });
});

describe('closing delimiters', () => {
  // The scan closers() replaces: one pass per opener, skipping backslash pairs.
  const naive = (text: string, start: number, close: string) => {
    for (let j = start; j < text.length; j++) {
      if (text.startsWith(close, j)) return j;
      if (text[j] === '\\') j++;
    }
    return -1;
  };

  it('finds, from every position, the closer a fresh scan would find', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const alphabet = ['$', '\\', '(', ')', '[', ']', 'a', ' ', '\n', '1'];
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      for (const close of ['$', '$$', '\\)', '\\]']) {
        const table = closers(text, close);
        for (let start = 0; start <= text.length; start++) expect(table[start], `${JSON.stringify(text)} ${close} ${start}`).toBe(naive(text, start, close));
      }
    }
  });

  // Each of these once rescanned the rest of the text per opener (quadratic): they
  // now cost one table per delimiter. Timings are measured, not asserted, here.
  it.each([
    ['\\(', '\\('.repeat(5000)],
    ['\\[', '\\['.repeat(5000)],
    ['\\( $', '\\( $'.repeat(2500)],
    ['$a\\', '$a\\'.repeat(3000)],
  ])('keeps 10k characters of unclosed %s as text', (_, text) => {
    expect(spans(renderMath(text))).toBe(0);
    expect(stripMath(text)).toBe(text.replaceAll('\\$', '$'));
  });
});

describe('TeX outside math and math as text', () => {
  it('prints escapes and commands in prose as what they mean, on the page and in plain text', () => {
    expect(renderMath('Accuracy of 56.0\\% on \\OneMillion-Bench \\& \\emph{more}')).toBe('Accuracy of 56.0% on OneMillion-Bench &amp; more');
    expect(stripMath('Caf\\\'e at 5\\%')).toBe('Café at 5%');
  });

  it('writes simple math in Unicode for mails and images, never a backslash command', () => {
    expect(mathAsText('in $\\mathcal{O}(n \\log n)$ time')).toBe('in 𝒪(n log n) time');
    expect(mathAsText('$x^{2}+y_i$, $\\frac{a+b}{c}$, $\\alpha \\leq \\beta$, $\\mathbb{R}^d$, $\\sqrt{n}$, $10^{-3}$')).toBe('x²+yᵢ, (a+b)/c, α ≤ β, ℝᵈ, √n, 10⁻³');
    expect(mathAsText('$\\hat{y} = \\text{softmax}(W h)$ and $x^{\\top}$')).toBe('y = softmax(W h) and x^⊤');
    expect(mathAsText('$\\mathfrak{g} \\curlyvee \\mathring{A}$')).toBe('g curlyvee A');
  });
});
