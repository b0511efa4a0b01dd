import { describe, expect, it } from 'vitest';
import { MAX_COMMENT_HTML_BYTES, MAX_MATH_SPANS, renderComment, renderStoredComment, safeLink } from './markdown.ts';

/** What a comment stores when written (these tests' comments are all accepted). */
function renderMarkdown(body: string): string {
  const rendered = renderComment(body);
  if ('refused' in rendered) throw new Error(`refused: ${rendered.refused}`);
  return rendered.html;
}

// Payloads a hostile commenter would try; none may produce markup that runs script.
const XSS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)><circle r=10 /></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<a href="javascript:alert(1)">x</a>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x](&#106;avascript:alert(1))',
  '[x](&#x6A;avascript&#58;alert(1))',
  '[x](javascript&colon;alert(1))',
  '[x](<java\tscript:alert(1)>)',
  '[x](<java\nscript:alert(1)>)',
  '[x]( javascript:alert(1))',
  '[x](\u0001javascript:alert(1))',
  '[x](vbscript:msgbox(1))',
  '[x](data:text/html,<script>alert(1)</script>)',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](file:///etc/passwd)',
  '<javascript:alert(1)>',
  '<JAVASCRIPT:alert(1)>',
  '<data:text/html,<script>alert(1)</script>>',
  '![x](javascript:alert(1))',
  '![x" onerror="alert(1)](https://example.org/a.png)',
  '[x](https://example.org/" onmouseover="alert(1))',
  '[x][r]\n\n[r]: javascript:alert(1)',
  '[x][r]\n\n[r]: <javascript:alert(1)> "t"',
  '[a](https://example.org "title\\" onclick=\\"alert(1)")',
  '**unclosed [link](javascript:alert(1)',
  '[unclosed](https://example.org',
  '`<script>alert(1)</script>`',
  '```html\n<script>alert(1)</script>\n```',
  '    <img src=x onerror=alert(1)>',
  '> <script>alert(1)</script>\n> - [x](javascript:alert(1))',
  '$\\href{javascript:alert(1)}{click}$',
  '$\\url{javascript:alert(1)}$',
  '$$\\href{javascript:alert(1)}{x}$$',
  '$\\htmlClass{x}{y}$ $\\htmlData{onload=alert(1)}{y}$ $\\includegraphics{https://evil.example/x.png}$',
  '$<img src=x onerror=alert(1)>$',
  '$\\text{<script>alert(1)</script>}$',
  'javascript:alert(1)',
  'www.example.org/<script>alert(1)</script>',
  '<!-- <script>alert(1)</script> -->',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
];

const FORBIDDEN_TAGS = /^(script|iframe|frame|img|image|object|embed|style|form|input|button|base|meta|link|video|audio|source|foreignobject)$/i;

/** Checks every tag the HTML holds, as a browser would read it: no dangerous element, handler or URL. */
function assertInert(html: string) {
  for (const [tag, name, attrs] of html.matchAll(/<([a-z][\w:-]*)([^>]*)>/gi)) {
    expect(name, tag).not.toMatch(FORBIDDEN_TAGS);
    for (const [, attr, value] of attrs!.matchAll(/\s([^\s=]+)(?:="([^"]*)")?/g)) {
      expect(attr, tag).not.toMatch(/^(on|src|srcset|action|formaction|xlink:href|background)/i);
      if (attr === 'style') expect(value, tag).not.toMatch(/url\(|expression\(/i);
      if (attr === 'href') {
        const href = value!.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
        expect(safeLink(href), href).toBe(true);
        expect([...href].filter((ch) => ch > ' ').join('').toLowerCase()).not.toMatch(/^(javascript|vbscript|data|file):/);
      }
    }
  }
  // Quotes in text never close an attribute early: every attribute is well formed.
  for (const [tag] of html.matchAll(/<[a-z][^>]*>/gi)) expect(tag).toMatch(/^<[a-z][\w:-]*(\s[^\s=]+(="[^"]*")?)*\s*\/?>$/i);
}

describe('comment Markdown', () => {
  it.each(XSS)('renders %j inert', (input) => {
    assertInert(renderMarkdown(input));
  });

  it('prints raw HTML as text', () => {
    expect(renderMarkdown('<b>hi</b> <script>x</script>')).toBe('<p>&lt;b&gt;hi&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;</p>\n');
  });

  it('keeps http, https, mailto and site links, with rel="nofollow ugc noopener" and no target', () => {
    const html = renderMarkdown('[a](https://example.org/x?y=1&z=2) [b](http://example.org) [c](mailto:ada@example.org) [d](/papers/2611.04127) <https://example.org/auto>');
    expect(html).toContain('<a href="https://example.org/x?y=1&amp;z=2" rel="nofollow ugc noopener">a</a>');
    expect(html).toContain('<a href="http://example.org" rel="nofollow ugc noopener">b</a>');
    expect(html).toContain('<a href="mailto:ada@example.org" rel="nofollow ugc noopener">c</a>');
    expect(html).toContain('<a href="/papers/2611.04127" rel="nofollow ugc noopener">d</a>');
    expect(html).toContain('<a href="https://example.org/auto" rel="nofollow ugc noopener">');
    expect(html).not.toContain('target=');
  });

  it('links bare URLs (linkify), but not other schemes', () => {
    const html = renderMarkdown('see www.example.org and https://arxiv.org/abs/2611.04127, not ftp://example.org/x');
    expect(html).toContain('<a href="http://www.example.org" rel="nofollow ugc noopener">www.example.org</a>');
    expect(html).toContain('<a href="https://arxiv.org/abs/2611.04127" rel="nofollow ugc noopener">');
    expect(html).not.toContain('href="ftp:');
  });

  it('drops javascript: links in every disguise, leaving their text', () => {
    for (const input of ['[x](javascript:alert(1))', '[x](JaVaScRiPt:alert(1))', '[x](&#106;avascript:alert(1))', '<javascript:alert(1)>']) {
      const html = renderMarkdown(input);
      expect(html, input).not.toContain('<a');
    }
    expect(safeLink('java\tscript:alert(1)')).toBe(false);
    expect(safeLink('java\nscript:alert(1)')).toBe(false);
    expect(safeLink(' javascript:alert(1)')).toBe(false);
    expect(safeLink('data:image/png;base64,AAAA')).toBe(false);
  });

  it('turns images into links, so no reader fetches from a stranger', () => {
    const html = renderMarkdown('![a *chart*](https://tracker.example/pixel.png "t")');
    expect(html).not.toContain('<img');
    expect(html).toContain('<a href="https://tracker.example/pixel.png" rel="nofollow ugc noopener" class="image-link">🖼 a chart</a>');
  });

  it('demotes headings so a comment cannot shout', () => {
    const html = renderMarkdown('# One\n## Two\n### Three\n###### Six');
    expect(html).toBe('<h4>One</h4>\n<h5>Two</h5>\n<h6>Three</h6>\n<h6>Six</h6>\n');
  });

  it('keeps code as code, escaped', () => {
    expect(renderMarkdown('`a < b && $x$`')).toBe('<p><code>a &lt; b &amp;&amp; $x$</code></p>\n');
    const block = renderMarkdown('```ts\nconst x = "$y$" < 1;\n```');
    expect(block).toContain('<pre><code class="language-ts">const x = &quot;$y$&quot; &lt; 1;\n</code></pre>');
    expect(block).not.toContain('katex');
  });
});

describe('comment math', () => {
  it('typesets inline and display math with KaTeX', () => {
    const html = renderMarkdown('Energy $E = mc^2$ and\n\n$$\\int_0^1 x\\,dx = \\tfrac12$$');
    expect(html).toMatch(/<p>Energy <span class="katex">.*<annotation encoding="application\/x-tex">E = mc\^2<\/annotation>/s);
    expect(html).toContain('<span class="katex-display">');
    expect(html).not.toContain('$');
  });

  it('follows the title rules: prices stay text, \\$ is a dollar, bad TeX keeps its source', () => {
    expect(renderMarkdown('costs $5 and $6 more')).toBe('<p>costs $5 and $6 more</p>\n');
    expect(renderMarkdown('a \\$x\\$ b')).toBe('<p>a $x$ b</p>\n');
    expect(renderMarkdown('bad $\\frac{1$ tex')).toBe('<p>bad $\\frac{1$ tex</p>\n');
    expect(renderMarkdown('unclosed $$x and $y$')).toContain('unclosed $$x and <span class="katex">');
  });

  it('does not let Markdown inside math become markup', () => {
    const html = renderMarkdown('$a_1 * b_2 * [c](https://x.example)$');
    expect(html).not.toContain('<em>');
    expect(html).not.toContain('<a ');
  });

  it('renders \\href and \\url as inert text (KaTeX trust off)', () => {
    const html = renderMarkdown('$\\href{https://example.org}{x}$ $\\url{https://example.org}$');
    expect(html).not.toContain('<a ');
    expect(html).not.toContain('href=');
  });

  it('refuses macro definitions, whose expansion maxExpand does not bound (kept as source in old comments)', () => {
    const bomb = '$\\def\\a{xxxxxxxxxx}\\def\\b{\\a\\a\\a\\a\\a\\a\\a\\a\\a\\a}\\def\\c{\\b\\b\\b\\b\\b\\b\\b\\b\\b\\b}\\def\\d{\\c\\c\\c\\c\\c\\c\\c\\c\\c\\c}\\d\\d\\d\\d$';
    expect(renderComment(bomb)).toEqual({ refused: expect.stringContaining('a macro definition (\\def)'), tooLarge: false });
    // 200 uses of a 9,000-character macro: minutes of KaTeX before definitions were refused.
    expect(renderComment(`$\\def\\a{${'x'.repeat(9000)}}${'\\a'.repeat(200)}$`)).toMatchObject({ refused: expect.stringContaining('macro definition') });
    for (const tex of ['\\newcommand{\\a}{x}\\a', '\\gdef\\a{x}', '\\let\\a\\b', '\\global\\def\\a{x}']) {
      expect(renderComment(`$${tex}$`), tex).toMatchObject({ refused: expect.stringContaining('macro definition') });
    }
    expect(renderStoredComment(bomb)).toBe(`<p>${bomb}</p>\n`);
  });
});

// Issue 13: 10,000 characters of `$x^2$ ` rendered to 1.26 MB of HTML, on every view.
describe('comment size', () => {
  it('refuses more than MAX_MATH_SPANS formulas, with the count', () => {
    const flood = '$x^2$ '.repeat(1666);
    expect(flood.length).toBeLessThanOrEqual(10_000);
    expect(renderComment(flood)).toEqual({ refused: `a comment may have at most ${MAX_MATH_SPANS} formulas; this one has 1,666`, tooLarge: true });
    const most = renderComment('$x^2$ '.repeat(MAX_MATH_SPANS));
    expect('html' in most && most.html.match(/class="katex"/g)?.length).toBe(MAX_MATH_SPANS);
  });

  it('refuses a comment whose HTML would pass MAX_COMMENT_HTML_BYTES', () => {
    const heavy = '$\\begin{pmatrix}a&b&c\\\\d&e&f\\\\g&h&i\\end{pmatrix}^{\\frac{1}{2}}$ '.repeat(MAX_MATH_SPANS);
    expect(heavy.length).toBeLessThanOrEqual(10_000);
    const result = renderComment(heavy);
    expect(result).toEqual({ refused: expect.stringMatching(/^this comment renders to [\d,]+ KB of HTML, more than the 256 KB/), tooLarge: true });
  });

  it('renders old comments past the limits as well as they allow, never refusing', () => {
    const flood = '$x^2$ '.repeat(1666);
    const html = renderStoredComment(flood);
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(MAX_COMMENT_HTML_BYTES);
    expect(html.match(/class="katex"/g)?.length).toBe(MAX_MATH_SPANS);
    expect(html).toContain('$x^2$');
    const heavy = '$\\begin{pmatrix}a&b&c\\\\d&e&f\\\\g&h&i\\end{pmatrix}^{\\frac{1}{2}}$ '.repeat(MAX_MATH_SPANS);
    expect(Buffer.byteLength(renderStoredComment(heavy))).toBeLessThanOrEqual(MAX_COMMENT_HTML_BYTES);
  });
});

// Issue 13: `\smash{\kern{-2em}\raisebox{30em}{…}}` drew a banner over the page, outside the comment.
describe('math stays in its box', () => {
  it('refuses negative kerns past 1em, 3em of them in all, and boxes raised or lowered past 1em', () => {
    const refused: [string, RegExp][] = [
      ['\\smash{\\kern{-2em}\\raisebox{30em}{\\colorbox{yellow}{\\Huge NOTICE: your session expired}}}', /negative space of -2em/],
      ['\\raisebox{30em}{\\Huge NOTICE}', /raised by 30em/],
      ['\\raisebox{-2em}{x}', /raised by -2em/],
      ['x\\rule[-5em]{1em}{1em}', /raised by -5em/],
      ['\\hspace{-1cm}x', /negative space of -1cm/],
      ['\\mkern-36mu x', /negative space of -36mu/],
      ['\\kern-0.9em\\kern-0.9em\\kern-0.9em\\kern-0.9em x', /negative spaces of more than 3em in all/],
      ['{\\kern{-2em}}x', /negative space/],
    ];
    for (const [tex, why] of refused) {
      const result = renderComment(`look: $${tex}$`);
      expect(result, tex).toMatchObject({ refused: expect.stringMatching(why), tooLarge: false });
      expect('refused' in result && result.refused, tex).toContain('which could move it out of its place');
    }
  });

  it('accepts the small moves real formulas make', () => {
    for (const tex of ['a\\!b\\!\\!c', '\\int\\!\\!\\int f', '\\raisebox{0.3ex}{x}', '\\hspace{2em}x', '\\mkern-9mu x', '\\rule[-0.2em]{1em}{0.1em}', '\\smash{x^2}']) {
      const result = renderComment(`$${tex}$`);
      expect('html' in result && result.html, tex).toContain('class="katex"');
    }
  });

  it('keeps an old comment’s offending formula as source text', () => {
    const html = renderStoredComment('$\\raisebox{30em}{NOTICE}$ and $x$');
    expect(html).toContain('$\\raisebox{30em}{NOTICE}$ and <span class="katex">');
  });
});
