import { collapseWhitespace } from "./collapse-whitespace.ts";

/**
 * Topic normalisation, shared by records, filters and boosts so that "Sports", " sports " and
 * "SPORTS" are one topic. NFKC folds compatibility forms (full-width letters, ligatures).
 */
export function normalizeTopic(topic: string): string {
  return collapseWhitespace(topic.normalize("NFKC").trim()).toLowerCase();
}

/** Normalises, drops empties and removes duplicates, keeping first-seen order. */
export function normalizeTopics(topics: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const topic of topics) {
    const normalized = normalizeTopic(topic);
    if (normalized !== "") seen.add(normalized);
  }
  return [...seen];
}
