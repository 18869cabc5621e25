import type { LexicalProfile } from "../../src/core/related/lexical-profile.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import type { DocumentIndex } from "../../src/engine/document-index.ts";

/** A profile from plain words (each word its own stem, the first three its lead), as the store would give it. */
export function churnProfile(words: readonly string[], titleWords: number): LexicalProfile {
  const terms = new Map<string, LexicalProfile["terms"][number]>();
  words.forEach((word, position) => {
    const term = terms.get(word) ?? {
      stem: word,
      surface: word,
      titleCount: 0,
      bodyCount: 0,
      leadCount: 0,
      capitalised: /^n/.test(word),
      digit: /\d$/.test(word),
    };
    if (position < titleWords) term.titleCount++;
    else term.bodyCount++;
    if (position < 3) term.leadCount++;
    terms.set(word, term);
  });
  return { terms: [...terms.values()], tokens: words.length };
}

/**
 * A long seeded sequence of upserts (texts of 0 to 40 words over a skewed vocabulary, with words
 * no other version holds, so terms are forgotten and their ids reused) and removes over a few
 * hundred labels; returns the profiles stored at the end, by label.
 */
export function churnDocumentIndex(index: DocumentIndex, operations: number, seed: number): Map<number, LexicalProfile> {
  const random = mulberry32(seed);
  const vocabulary = Array.from({ length: 400 }, (_, i) => (i % 7 === 0 ? `name${i}` : i % 11 === 0 ? `figure${i}` : `word${i}`));
  const final = new Map<number, LexicalProfile>();
  for (let round = 0; round < operations; round++) {
    const label = Math.floor(random() * random() * 300);
    if (random() < 0.2) {
      index.remove(label);
      final.delete(label);
      continue;
    }
    const length = Math.floor(random() * 41);
    const words = Array.from({ length }, () =>
      random() < 0.05 ? `once${round}x${Math.floor(random() * 3)}` : vocabulary[Math.floor(random() * random() * vocabulary.length)]!,
    );
    const profile = churnProfile(words, Math.floor(random() * 6));
    index.upsert(label, profile);
    final.set(label, profile);
  }
  return final;
}

/** Every stored label's search (the 8 best), exact cosines and shared-term counts with a few others: what the index answers. */
export function answersOf(index: DocumentIndex, labels: readonly number[]): unknown[] {
  return labels.map((label) => {
    const query = index.termsOf(label)!;
    const found = index.search(query, 8, (other) => other !== label);
    const score = index.scorer(query);
    const shared = index.sharedTermCounter(query);
    const others = labels.filter((_, i) => i % 17 === label % 17);
    return { label, found, scores: others.map(score), shared: others.map(shared), stems: [...index.usableStems(query)].sort() };
  });
}
