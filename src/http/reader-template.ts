import { createHash, randomBytes } from 'node:crypto';
import type { Viewer } from '../auth/sessions.ts';

/**
 * A signed-in page rendered once for every reader of a role, with markers where a reader's own
 * state goes: their name, e-mail and CSRF token (slots), and the parts that differ by whether they
 * upvoted a paper or wrote a comment (conditions with two branches). Parsed once into chunks of
 * bytes; each request fills it in for its reader (docs/decisions/013-serving.md).
 *
 * The markers carry a random nonce of this process, so text a user wrote (a comment, a title)
 * can never be taken for one: nobody outside the process knows the nonce, and every marker is
 * replaced before a page leaves it.
 */
const NONCE = randomBytes(9).toString('base64url');
const OPEN = `\u0001${NONCE}:`;
const CLOSE = '\u0001';
const mark = (body: string) => `${OPEN}${body}${CLOSE}`;

/** Slots: the reader's username, e-mail and CSRF token, as they appear in the page's HTML. */
export const SLOT = { username: mark('U'), email: mark('E'), csrf: mark('C') } as const;

/**
 * Conditions a part of the page depends on: the reader upvoted paper `key`, saved it (in any of
 * their collections), hid it, marked it read, leaves it out of their lists (hid it, or read it and
 * chose to leave read papers out), wrote a comment as user `key`, or follows what `key` names
 * (follows/targets.ts followKey, a hash).
 */
export type Condition = 'voted' | 'saved' | 'hidden' | 'read' | 'omitted' | 'own' | 'follows';
const CONDITION_CODE: Record<Condition, string> = { voted: 'v', saved: 's', hidden: 'h', read: 'r', omitted: 'x', own: 'o', follows: 'f' };
type Code = 'v' | 's' | 'h' | 'r' | 'x' | 'o' | 'f';

/** Opens a two-branch part: what follows shows when the condition holds, up to `ELSE`. */
export const ifReader = (condition: Condition, key: string | number) => mark(`?${CONDITION_CODE[condition]}:${key}`);
export const ELSE = mark('|');

/** The key a follow button names what it follows by (`follows` conditions): a hash, so no user text reaches a marker. */
export function followKey(kind: string, target: string): string {
  return createHash('sha256').update(`${kind}\n${target}`).digest('base64url').slice(0, 16);
}
export const END = mark('/');

/**
 * The stand-in viewer a template is rendered for: real role (moderators see more), markers for
 * everything personal, and an id no row has, so no comparison with a real id ever holds.
 */
export function templateViewer(role: Viewer['role']): Viewer {
  return { id: -1, username: SLOT.username, fullname: SLOT.username, email: SLOT.email, role, avatarUrl: null };
}

type Part = Buffer | { slot: 'U' | 'E' | 'C' } | { cond: Code; key: string; then: Part[]; else: Part[] };

/** A parsed template: its parts, and the papers whose state (upvoted, saved, hidden) it needs. */
export interface ReaderTemplate {
  parts: Part[];
  /** Papers of `voted` conditions. */
  paperIds: string[];
  /** Papers of `saved`, `hidden`, `read` and `omitted` conditions. */
  libraryPaperIds: string[];
  /** Whether it has follow buttons, whose state needs the reader's follows. */
  follows: boolean;
  /** Whether there is anything to fill in (a page with no markers is sent as it is). */
  personal: boolean;
}

const MARKER = new RegExp(`\u0001${NONCE}:([^\u0001]*)\u0001`, 'g');

/** Splits rendered HTML at its markers. Throws on a marker out of place (a bug in a page, never user input). */
export function parseTemplate(html: string): ReaderTemplate {
  const paperIds = new Set<string>();
  const libraryPaperIds = new Set<string>();
  const root: Part[] = [];
  // Each open condition, and whether it is in its else-branch.
  const stack: { node: Extract<Part, { cond: string }>; inElse: boolean }[] = [];
  const target = () => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.else : top.node.then) : root;
  };
  let last = 0;
  let personal = false;
  let follows = false;
  for (const m of html.matchAll(MARKER)) {
    personal = true;
    if (m.index > last) target().push(Buffer.from(html.slice(last, m.index)));
    last = m.index + m[0].length;
    const body = m[1]!;
    if (body === 'U' || body === 'E' || body === 'C') target().push({ slot: body });
    else if (body === '|') stack[stack.length - 1]!.inElse = true;
    else if (body === '/') stack.pop();
    else {
      const cond = body[1] as Code;
      const node = { cond, key: body.slice(3), then: [], else: [] };
      if (cond === 'v') paperIds.add(node.key);
      if (cond === 's' || cond === 'h' || cond === 'r' || cond === 'x') libraryPaperIds.add(node.key);
      if (cond === 'f') follows = true;
      target().push(node);
      stack.push({ node, inElse: false });
    }
  }
  if (stack.length > 0) throw new Error('reader-template: a condition was never closed');
  if (last < html.length) root.push(Buffer.from(html.slice(last)));
  return { parts: root, paperIds: [...paperIds], libraryPaperIds: [...libraryPaperIds], follows, personal };
}

/** What a template is filled with: one reader's state. */
export interface ReaderState {
  viewer: Viewer;
  csrf: string;
  voted: ReadonlySet<string>;
  saved: ReadonlySet<string>;
  hidden: ReadonlySet<string>;
  read?: ReadonlySet<string>;
  /** Papers left out of the reader's lists (`omitted` conditions). */
  omitted?: ReadonlySet<string>;
  /** The follow keys of what the reader follows (only read when the template has follow buttons). */
  follows?: ReadonlySet<string>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The page for one reader: the template's chunks with their state put in. */
export function fillTemplate(template: ReaderTemplate, state: ReaderState): Buffer {
  const slots = {
    U: Buffer.from(escapeHtml(state.viewer.username)),
    E: Buffer.from(escapeHtml(state.viewer.email ?? '')),
    C: Buffer.from(escapeHtml(state.csrf)),
  };
  const out: Buffer[] = [];
  const walk = (parts: Part[]) => {
    for (const part of parts) {
      if (Buffer.isBuffer(part)) out.push(part);
      else if ('slot' in part) out.push(slots[part.slot]);
      else {
        const holds = holdsFor(state, part.cond, part.key);
        walk(holds ? part.then : part.else);
      }
    }
  };
  walk(template.parts);
  return Buffer.concat(out);
}

function holdsFor(state: ReaderState, cond: Code, key: string): boolean {
  switch (cond) {
    case 'v':
      return state.voted.has(key);
    case 's':
      return state.saved.has(key);
    case 'h':
      return state.hidden.has(key);
    case 'r':
      return state.read?.has(key) ?? false;
    case 'x':
      return state.omitted?.has(key) ?? false;
    case 'f':
      return state.follows?.has(key) ?? false;
    case 'o':
      return String(state.viewer.id) === key;
  }
}
