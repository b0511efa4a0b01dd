import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Opens an import file as a stream of its text, gunzipped when it ends in `.gz`,
 * reporting the compressed bytes read so far (for progress bars). Destroying the
 * returned stream closes the file.
 */
export function openInputFile(file: string, onBytes?: (bytesRead: number) => void): Readable {
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (onBytes) raw.on('data', () => onBytes(raw.bytesRead));
  if (!file.endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  // pipe() does not pass a read error on; do, so that the reader sees it.
  raw.on('error', (err) => gunzip.destroy(err));
  gunzip.on('close', () => raw.destroy());
  return raw.pipe(gunzip);
}
