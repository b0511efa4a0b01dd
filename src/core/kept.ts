/**
 * Answers kept per owner (a database) and key until their version changes: the same promise for
 * every caller meanwhile, at most `max` keys per owner (the least recently made dropped), and an
 * answer that failed, or that `keep` refuses, forgotten so that the next caller asks again.
 */
export function keptByVersion<Owner extends object, T>(max: number, keep: (value: T) => boolean = () => true) {
  const owners = new WeakMap<Owner, Map<string, { version: number; value: Promise<T> }>>();
  return (owner: Owner, key: string, version: number, make: () => Promise<T>): Promise<T> => {
    let kept = owners.get(owner);
    if (!kept) owners.set(owner, (kept = new Map()));
    const entry = kept.get(key);
    if (entry && entry.version === version) return entry.value;
    const fresh = { version, value: make() };
    kept.delete(key);
    kept.set(key, fresh);
    if (kept.size > max) kept.delete(kept.keys().next().value!);
    const map = kept;
    const forget = () => map.get(key) === fresh && map.delete(key);
    fresh.value.then((value) => keep(value) || forget(), forget);
    return fresh.value;
  };
}
