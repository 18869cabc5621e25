import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { defaultDocumentWeighting } from "../../src/core/related/document-weights.ts";
import { DocumentIndex } from "../../src/engine/document-index.ts";
import { answersOf, churnDocumentIndex } from "../support/lexical-churn.ts";

/**
 * Digests of `answersOf` after `churnDocumentIndex(index, 6000, 21)`, as the index gave them when
 * every article's vector and every term's postings were typed arrays of their own (cd64f26),
 * with the default posting budget and with one of 60 (so candidates are cut short).
 */
const perArticleArrayDigests = {
  default: "81285d56566b89eacd4fb98971ed6f428d90dfa575bd3b9e49a6c04f98d1ace5",
  budget60: "5774d3aeb7dc425979bb10243ecd4557a91b49e6e6db3f23f5c54c398e25aa1b",
};

describe("the lexical index under a long run of writes", () => {
  it("answers as the per-article arrays did, to the last bit of every score", () => {
    for (const [name, postingBudget] of [
      ["default", defaultDocumentWeighting.postingBudget],
      ["budget60", 60],
    ] as const) {
      const index = new DocumentIndex({ ...defaultDocumentWeighting, postingBudget });
      const final = churnDocumentIndex(index, 6000, 21);
      expect(index.size()).toBe(final.size);
      const answers = JSON.stringify(
        answersOf(
          index,
          [...final.keys()].sort((a, b) => a - b),
        ),
      );
      expect(createHash("sha256").update(answers).digest("hex"), name).toBe(perArticleArrayDigests[name]);
    }
  });

  it("answers as a fresh index loaded with the final articles", () => {
    const index = new DocumentIndex();
    const final = churnDocumentIndex(index, 6000, 33);
    const fresh = new DocumentIndex();
    const labels = [...final.keys()].sort((a, b) => a - b);
    for (const label of labels) fresh.upsert(label, final.get(label)!);
    expect(index.termCount()).toBe(fresh.termCount());
    expect(index.size()).toBe(fresh.size());
    for (const label of labels) {
      expect(index.wordsOf(label)).toBe(fresh.wordsOf(label));
      const live = index.search(index.termsOf(label)!, 8, (other) => other !== label);
      const rebuilt = fresh.search(fresh.termsOf(label)!, 8, (other) => other !== label);
      // Term ids differ (the live index reused forgotten ones), so sums run in another order: equal to rounding.
      expect(live.map((hit) => hit.label)).toEqual(rebuilt.map((hit) => hit.label));
      live.forEach((hit, i) => expect(Math.abs(hit.score - rebuilt[i]!.score)).toBeLessThan(1e-12));
      const shared = index.sharedTermCounter(index.termsOf(label)!);
      const freshShared = fresh.sharedTermCounter(fresh.termsOf(label)!);
      for (const other of labels.slice(0, 40)) expect(shared(other)).toBe(freshShared(other));
    }
  });

  it("keeps a stored article's vector, read before later writes, as it was read", () => {
    const index = new DocumentIndex();
    const final = churnDocumentIndex(index, 2000, 5);
    const label = [...final.keys()].find((stored) => index.termsOf(stored)!.terms.length > 3);
    const read = index.termsOf(label!)!;
    const copy = { terms: [...read.terms], weights: [...read.weights] };
    expect(copy.terms.length).toBeGreaterThan(0);
    // Rewrites and removes, the article's own among them: its old slots become holes and the slabs are compacted.
    churnDocumentIndex(index, 4000, 6);
    index.remove(label!);
    expect([...read.terms]).toEqual(copy.terms);
    expect([...read.weights]).toEqual(copy.weights);
  });
});
