import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * Papers the reader hid ("not interested"): they never appear in Following or For you.
 * The library (issue 17, part 1) owns hiding; until it lands this reads nothing.
 */
export async function hiddenByReader(_db: Kysely<Database>, _userId: number): Promise<Set<string>> {
  return new Set();
}
