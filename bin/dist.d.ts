// Types of bin/dist.js (plain JavaScript: it runs before TypeScript can be compiled).
export const ROOT: string;
export const DIST: string;
export const MANIFEST: string;
export interface Fingerprint {
  size: number;
  mtimeMs: number;
  sha256: string;
}
export function fingerprint(file: string, root?: string): Fingerprint;
export function currentEntry(root?: string): string | undefined;
