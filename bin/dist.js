// Whether dist/ (scripts/build.js) is what src/ would build to now: every file it was built from
// is unchanged. Kept in plain JavaScript: it runs before anything can compile TypeScript.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const DIST = path.join(ROOT, 'dist');
/** Names the build's entry file and fingerprints every input; written last by a build. */
export const MANIFEST = path.join(DIST, 'manifest.json');

/** Size, modification time and content hash of a file under the repository's root. */
export function fingerprint(file, root = ROOT) {
  const full = path.join(root, file);
  const st = fs.statSync(full);
  return { size: st.size, mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(fs.readFileSync(full)).digest('hex') };
}

/**
 * The built entry point when every input is as it was built (size and time, or else the same
 * content: a checkout that rewrites a file unchanged keeps the build); otherwise undefined, and
 * the caller runs the sources. A file removed, grown, or edited within the same second all count.
 */
export function currentEntry(root = ROOT) {
  const dist = path.join(root, 'dist');
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dist, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  for (const [file, was] of Object.entries(manifest.inputs)) {
    let st;
    try {
      st = fs.statSync(path.join(root, file));
    } catch {
      return undefined;
    }
    if (st.size !== was.size) return undefined;
    if (st.mtimeMs === was.mtimeMs) continue;
    if (fingerprint(file, root).sha256 !== was.sha256) return undefined;
  }
  const entry = path.join(dist, manifest.entry);
  return fs.existsSync(entry) ? entry : undefined;
}
