// TeX as plain Unicode text, for where typeset math cannot go: mail clients (Gmail, Outlook and
// Apple Mail drop MathML and KaTeX's stylesheet), link-preview cards, <title>. Simple math reads
// as it would on paper (`\mathcal{O}(n \log n)` → `𝒪(n log n)`, `x^{2}` → `x²`); what has no
// Unicode form keeps a readable shape (`\frac{a+b}{c}` → `(a+b)/c`), never a backslash command.

const GREEK: Record<string, string> = {
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ϵ', varepsilon: 'ε', zeta: 'ζ', eta: 'η', theta: 'θ', vartheta: 'ϑ', iota: 'ι', kappa: 'κ',
  lambda: 'λ', mu: 'μ', nu: 'ν', xi: 'ξ', pi: 'π', varpi: 'ϖ', rho: 'ρ', varrho: 'ϱ', sigma: 'σ', varsigma: 'ς', tau: 'τ', upsilon: 'υ', phi: 'ϕ',
  varphi: 'φ', chi: 'χ', psi: 'ψ', omega: 'ω', Gamma: 'Γ', Delta: 'Δ', Theta: 'Θ', Lambda: 'Λ', Xi: 'Ξ', Pi: 'Π', Sigma: 'Σ', Upsilon: 'Υ', Phi: 'Φ',
  Psi: 'Ψ', Omega: 'Ω',
};
const SYMBOLS: Record<string, string> = {
  times: '×', cdot: '·', cdots: '⋯', ldots: '…', dots: '…', div: '÷', pm: '±', mp: '∓', leq: '≤', le: '≤', geq: '≥', ge: '≥', neq: '≠', ne: '≠',
  approx: '≈', sim: '∼', simeq: '≃', equiv: '≡', propto: '∝', ll: '≪', gg: '≫', infty: '∞', partial: '∂', nabla: '∇', sum: '∑', prod: '∏',
  int: '∫', oint: '∮', in: '∈', notin: '∉', subset: '⊂', subseteq: '⊆', supset: '⊃', supseteq: '⊇', cup: '∪', cap: '∩', emptyset: '∅',
  varnothing: '∅', forall: '∀', exists: '∃', neg: '¬', land: '∧', lor: '∨', wedge: '∧', vee: '∨', to: '→', rightarrow: '→', leftarrow: '←',
  Rightarrow: '⇒', Leftarrow: '⇐', leftrightarrow: '↔', Leftrightarrow: '⇔', mapsto: '↦', uparrow: '↑', downarrow: '↓', circ: '∘', star: '⋆',
  ast: '∗', bullet: '•', oplus: '⊕', otimes: '⊗', odot: '⊙', langle: '⟨', rangle: '⟩', lceil: '⌈', rceil: '⌉', lfloor: '⌊', rfloor: '⌋',
  prime: '′', degree: '°', hbar: 'ℏ', ell: 'ℓ', Re: 'ℜ', Im: 'ℑ', aleph: 'ℵ', top: '⊤', bot: '⊥', perp: '⊥', parallel: '∥', mid: '|',
  vert: '|', Vert: '‖', lvert: '|', rvert: '|', lVert: '‖', rVert: '‖', setminus: '∖', sqrt: '√', checkmark: '✓', dagger: '†', S: '§',
  colon: ':', lbrace: '{', rbrace: '}', backslash: '\\', '%': '%', '&': '&', '#': '#', _: '_', $: '$', '{': '{', '}': '}', '|': '‖',
};
const FUNCTIONS = new Set(['log', 'ln', 'exp', 'sin', 'cos', 'tan', 'max', 'min', 'arg', 'argmax', 'argmin', 'lim', 'sup', 'inf', 'det', 'dim', 'Pr', 'gcd', 'deg', 'ker', 'tanh', 'sinh', 'cosh', 'sgn']);
const SPACES: Record<string, string> = { ',': ' ', ';': ' ', ':': ' ', ' ': ' ', quad: ' ', qquad: ' ', '!': '', enspace: ' ', thinspace: ' ' };
/** Commands whose argument is shown as it is (styles and text). */
const PASS = new Set(['text', 'textrm', 'textit', 'textbf', 'texttt', 'textsf', 'mathrm', 'mathit', 'mathbf', 'mathsf', 'mathtt', 'boldsymbol', 'bm', 'operatorname', 'emph', 'mbox', 'hbox', 'underline', 'overline', 'hat', 'widehat', 'tilde', 'widetilde', 'bar', 'vec', 'dot', 'ddot', 'mathnormal', 'displaystyle', 'textstyle', 'scriptstyle']);
const DROPPED = new Set(['left', 'right', 'big', 'Big', 'bigg', 'Bigg', 'bigl', 'bigr', 'Bigl', 'Bigr', 'biggl', 'biggr', 'limits', 'nolimits', 'displaystyle', 'textstyle', 'middle']);

const SUP: Record<string, string> = Object.fromEntries([...'0123456789+-=()nijklmabcdefghoprstuvwxyzT'].map((c, i) => [c, '⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏˡᵐᵃᵇᶜᵈᵉᶠᵍʰᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ'[i]!]));
const SUB: Record<string, string> = Object.fromEntries([...'0123456789+-=()aehijklmnoprstuvx'].map((c, i) => [c, '₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ'[i]!]));
SUP['′'] = '′';

const SCRIPT_EXCEPT: Record<string, string> = { B: 'ℬ', E: 'ℰ', F: 'ℱ', H: 'ℋ', I: 'ℐ', L: 'ℒ', M: 'ℳ', R: 'ℛ' };
const DOUBLE_EXCEPT: Record<string, string> = { C: 'ℂ', H: 'ℍ', N: 'ℕ', P: 'ℙ', Q: 'ℚ', R: 'ℝ', Z: 'ℤ' };
const letterStyle = (base: number, except: Record<string, string>) => (s: string) =>
  [...s].map((c) => except[c] ?? (/[A-Z]/.test(c) ? String.fromCodePoint(base + c.charCodeAt(0) - 65) : c)).join('');
const STYLED: Record<string, (s: string) => string> = { mathcal: letterStyle(0x1d49c, SCRIPT_EXCEPT), mathscr: letterStyle(0x1d49c, SCRIPT_EXCEPT), mathbb: letterStyle(0x1d538, DOUBLE_EXCEPT) };

/** The math `tex` (without delimiters) as readable Unicode text. */
export function texToText(tex: string): string {
  return new Reader(tex).sequence(false).replace(/\s+/g, ' ').trim();
}

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  sequence(inGroup: boolean): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '}') {
        if (inGroup) {
          this.i++;
          return out;
        }
        this.i++;
        continue;
      }
      if (c === '^' || c === '_') {
        this.i++;
        out += script(this.argument(), c === '^' ? SUP : SUB, c);
        continue;
      }
      const piece = this.atom();
      // `n\log n`: a function name keeps apart from the letter before it.
      if (/^[A-Za-z]{2,}/.test(piece) && /[A-Za-z0-9]$/.test(out)) out += ' ';
      out += piece;
    }
    return out;
  }

  /** One unit: a group, a command with its arguments, or a character. */
  atom(): string {
    const c = this.s[this.i]!;
    if (c === '{') {
      this.i++;
      return this.sequence(true);
    }
    if (c === '~') {
      this.i++;
      return ' ';
    }
    if (c !== '\\') {
      this.i++;
      return c;
    }
    const name = /^\\([A-Za-z]+|.)/.exec(this.s.slice(this.i))?.[1] ?? '';
    this.i += 1 + name.length;
    if (!name) return '';
    if (name === '\\') return ' ';
    if (name in SPACES) return SPACES[name]!;
    if (DROPPED.has(name)) return '';
    if (GREEK[name]) return GREEK[name];
    if (SYMBOLS[name] && name !== 'sqrt') return SYMBOLS[name];
    if (FUNCTIONS.has(name)) return name;
    if (STYLED[name]) return STYLED[name](this.argument());
    if (PASS.has(name)) return this.argument();
    if (name === 'frac' || name === 'dfrac' || name === 'tfrac') {
      const top = this.argument();
      const bottom = this.argument();
      return `${wrapped(top)}/${wrapped(bottom)}`;
    }
    if (name === 'sqrt') {
      if (this.s[this.i] === '[') this.i = Math.max(this.i, this.s.indexOf(']', this.i) + 1);
      return `√${wrapped(this.argument())}`;
    }
    if (name === 'mathbbm' || name === 'mathds') return STYLED.mathbb!(this.argument());
    // Anything else: a style keeps its argument (`\mathfrak{g}` → `g`), a symbol its name.
    return this.s[this.i] === '{' ? this.argument() : name;
  }

  /** A command's argument or a script: a group, or the next single unit. */
  argument(): string {
    while (this.s[this.i] === ' ') this.i++;
    if (this.i >= this.s.length) return '';
    return this.atom();
  }
}

/** `(a+b)` where a fraction or root needs the grouping back; a single symbol as it is. */
const wrapped = (s: string) => ([...s.trim()].length <= 1 || /^[\p{L}\p{N}.]+$/u.test(s.trim()) ? s.trim() : `(${s.trim()})`);

function script(body: string, table: Record<string, string>, mark: string): string {
  const chars = [...body.trim()];
  if (chars.length > 0 && chars.every((ch) => table[ch])) return chars.map((ch) => table[ch]).join('');
  return chars.length === 1 ? `${mark}${body.trim()}` : `${mark}(${body.trim()})`;
}

/** TeX escapes and text commands in prose (outside math) as what they print: `56.0\%` → `56.0%`, `\emph{new}` → `new`. */
export function cleanTextEscapes(text: string): string {
  return text
    .replace(/\\(?:emph|textbf|textit|texttt|textsc|textrm|textsf|underline|mbox|url)\{([^{}]*)\}/g, '$1')
    .replace(/\\([%&#_{}])/g, '$1')
    .replace(/\\(?:ldots|dots)\b\s?(\{\})?/g, '…')
    .replace(/\\(?:LaTeX|TeX)\b(\{\})?/g, (m) => (m.startsWith('\\LaTeX') ? 'LaTeX' : 'TeX'))
    .replace(/\\[,;: ]/g, ' ')
    .replace(/\\\\/g, ' ')
    // Accents: \'e → é, \"o → ö, \`a → à, \^o → ô, \~n → ñ (braced or not).
    .replace(/\\(['"`^~])\{?([A-Za-z])\}?/g, (_, accent: string, letter: string) => `${letter}${ACCENTS[accent]}`.normalize('NFC'))
    // Any other command: its name is the word meant (`\OneMillion-Bench` → `OneMillion-Bench`).
    .replace(/\\([A-Za-z]+)(\{\})?/g, '$1');
}
const ACCENTS: Record<string, string> = { "'": '\u0301', '`': '\u0300', '"': '\u0308', '^': '\u0302', '~': '\u0303' };
