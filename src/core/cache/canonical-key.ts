/**
 * A cache key for a parsed request: the whole object, serialised with its keys sorted and every
 * array of strings treated as a set (sorted, duplicates dropped), since every such list in a
 * request (topics, excluded ids, boosted topics) means "any of" and its order changes nothing.
 * Built from the object itself, so an option added to the request is in the key without anyone
 * remembering to add it. Undefined fields are left out, as JSON leaves them.
 *
 * @example
 *   canonicalKey({ k: 5, filters: { topics: ["b", "a", "b"] } }) === canonicalKey({ filters: { topics: ["a", "b"] }, k: 5 }); // true
 */
export function canonicalKey(value: unknown): string {
  return JSON.stringify(canonicalForm(value));
}

function canonicalForm(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((item) => typeof item === "string")) return [...new Set(value as string[])].sort();
    return value.map(canonicalForm);
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, field]) => [key, canonicalForm(field)]));
  }
  return value;
}
