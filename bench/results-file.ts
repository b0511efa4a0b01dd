import fs from 'node:fs';

/**
 * Puts `section` (which starts with `## <heading>`) into the Markdown file in place of the
 * section of that exact heading, which runs to the next `## ` heading; appends it when the
 * file has none. The benches each own a section of bench/RESULTS.md this way.
 */
export function replaceSection(file: string, heading: string, section: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === `## ${heading}`);
  const body = section.trimEnd().split('\n');
  if (start < 0) {
    const head = text.trimEnd();
    fs.writeFileSync(file, `${head ? `${head}\n\n` : ''}${body.join('\n')}\n`);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const after = lines.slice(end);
  const out = [...lines.slice(0, start), ...body, ...(after.length ? ['', ...after] : [])];
  fs.writeFileSync(file, `${out.join('\n').trimEnd()}\n`);
}
