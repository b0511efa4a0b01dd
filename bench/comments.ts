// Share of comment lines among non-blank lines of TypeScript sources, per folder and in all.
// A line counts as a comment line when every non-blank character on it is inside a comment
// (found with TypeScript's own scanner, so `//` inside strings and templates is not a comment).
//   node --import tsx bench/comments.ts [dir …]        (default: src)
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export function commentLines(text: string): { comment: number; nonBlank: number } {
  const lines = text.split('\n');
  const code = new Array<boolean>(lines.length).fill(false);
  const starts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.JSX, text);
  const markCode = (from: number, to: number) => {
    for (let l = lineOf(from); l <= lineOf(Math.max(from, to - 1)); l++) code[l] = true;
  };
  // Template literals: rescan their continuation so `${…}` parts are scanned as code.
  const depth: number[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.SingleLineCommentTrivia || kind === ts.SyntaxKind.MultiLineCommentTrivia) continue;
    if (kind === ts.SyntaxKind.WhitespaceTrivia || kind === ts.SyntaxKind.NewLineTrivia) continue;
    if (kind === ts.SyntaxKind.OpenBraceToken) depth.push(0);
    if (kind === ts.SyntaxKind.TemplateHead) depth.push(1);
    if (kind === ts.SyntaxKind.CloseBraceToken) {
      const d = depth.pop();
      if (d === 1) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateMiddle) depth.push(1);
      }
    }
    if (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) kind = scanner.reScanSlashToken();
    markCode(scanner.getTokenStart(), scanner.getTokenEnd());
  }
  let comment = 0;
  let nonBlank = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    nonBlank++;
    if (!code[i]) comment++;
  });
  return { comment, nonBlank };
}

function* sources(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(p);
    else if (/\.(ts|tsx)$/.test(entry.name)) yield p;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['src'];
  const byFolder = new Map<string, { comment: number; nonBlank: number }>();
  for (const dir of dirs) {
    for (const file of sources(dir)) {
      const c = commentLines(fs.readFileSync(file, 'utf8'));
      const folder = path.dirname(file);
      const sum = byFolder.get(folder) ?? { comment: 0, nonBlank: 0 };
      sum.comment += c.comment;
      sum.nonBlank += c.nonBlank;
      byFolder.set(folder, sum);
    }
  }
  let comment = 0;
  let nonBlank = 0;
  for (const [folder, c] of [...byFolder].sort()) {
    console.log(`${folder.padEnd(24)} ${String(c.comment).padStart(5)} / ${String(c.nonBlank).padStart(6)}  ${((100 * c.comment) / c.nonBlank).toFixed(1)} %`);
    comment += c.comment;
    nonBlank += c.nonBlank;
  }
  console.log(`${'all'.padEnd(24)} ${String(comment).padStart(5)} / ${String(nonBlank).padStart(6)}  ${((100 * comment) / nonBlank).toFixed(1)} %`);
}
