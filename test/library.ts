// What the library tests share: an app whose readers have papers to save, hide and note.
import { importHfItems } from '../src/ingest/hf-import.ts';
import { testApp } from './helpers.ts';
import { signedInUser } from './community.ts';

/** An app on a fresh database (rate limits off) with `items` featured on `day`, and two signed-in readers. */
export async function appWithTwoReaders(items: unknown[], day: string) {
  const { db, app } = await testApp({ RATE_LIMIT_SCALE: '0' });
  await importHfItems(db, items, day, 'test');
  return { db, app, ada: await signedInUser(db), bob: await signedInUser(db) };
}
