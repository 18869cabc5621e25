import { describe, expect, it } from "vitest";
import { rankByTfidf } from "../../src/core/eval/tfidf-baseline.ts";
import type { LexicalProfile } from "../../src/core/related/lexical-profile.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { DocumentIndex } from "../../src/engine/document-index.ts";

/** A profile from plain words (each word its own stem), as the store would give it. */
function profileOf(title: string, body: string): LexicalProfile {
  const terms = new Map<
    string,
    { stem: string; surface: string; titleCount: number; bodyCount: number; leadCount: number; capitalised: boolean; digit: boolean }
  >();
  const add = (text: string, column: "titleCount" | "bodyCount") => {
    for (const word of text.split(/\s+/).filter(Boolean)) {
      const stem = word.toLowerCase();
      const term = terms.get(stem) ?? { stem, surface: stem, titleCount: 0, bodyCount: 0, leadCount: 0, capitalised: false, digit: /\d/.test(stem) };
      term[column]++;
      terms.set(stem, term);
    }
  };
  add(title, "titleCount");
  add(body, "bodyCount");
  return { terms: [...terms.values()], tokens: [...terms.values()].reduce((sum, term) => sum + term.titleCount + term.bodyCount, 0) };
}

const texts = [
  "earthquake strikes chile coast tsunami warning",
  "chile earthquake tsunami warning lifted coast",
  "earthquake strikes japan tsunami warning",
  "japan earthquake damage tokyo trains",
  "election results parliament vote count",
  "parliament vote election coalition talks",
  "football cup final penalties",
  "cup final penalties fans celebrate",
];

describe("the whole-document lexical index", () => {
  it("weighs the query's title and lead words above the same words further down its body", () => {
    // A shares the query's lead (or title) words, B as many of its later body words: without
    // title and lead weighting they tie.
    const compare = (query: LexicalProfile) => {
      const index = new DocumentIndex();
      index.upsert(0, query);
      index.upsert(1, profileOf("", "dayton oak other1 other2"));
      index.upsert(2, profileOf("", "street suspect other3 other4"));
      for (let label = 3; label < 8; label++) index.upsert(label, profileOf("", `unrelated words ${label}`));
      const score = index.scorer(index.termsOf(0)!);
      return { a: score(1), b: score(2) };
    };
    const led = profileOf("", "dayton oak street suspect");
    for (const term of led.terms) if (term.stem === "dayton" || term.stem === "oak") term.leadCount = 1;
    const lead = compare(led);
    expect(lead.a).toBeGreaterThan(lead.b * 1.1);
    const titled = compare(profileOf("dayton oak", "street suspect"));
    expect(titled.a).toBeGreaterThan(titled.b * 1.1);
  });

  it("ranks by exact TF-IDF cosine, as the plain baseline does", () => {
    const index = new DocumentIndex();
    texts.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const baseline = rankByTfidf(
      texts.map((text, label) => ({ id: String(label), title: "", text })),
      3,
    );
    for (let label = 0; label < texts.length; label++) {
      const found = index.search(index.termsOf(label)!, 3, (other) => other !== label);
      expect(found.map((hit) => String(hit.label))).toEqual(baseline.get(String(label)));
      const score = index.scorer(index.termsOf(label)!);
      for (const hit of found) expect(score(hit.label)).toBeCloseTo(hit.score, 9);
    }
    expect(index.search(index.termsOf(0)!, 1, (other) => other !== 0)[0]!.label).toBe(1);
  });

  it("keeps the exact best when far more articles share a term than it shortlists", () => {
    const random = mulberry32(5);
    const vocabulary = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const documents = Array.from({ length: 300 }, () =>
      Array.from({ length: 12 }, () => vocabulary[Math.floor(random() * random() * vocabulary.length)]!).join(" "),
    );
    const index = new DocumentIndex();
    documents.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const baseline = rankByTfidf(
      documents.map((text, label) => ({ id: String(label), title: "", text })),
      5,
    );
    for (const label of [0, 17, 150, 299]) {
      const found = index.search(index.termsOf(label)!, 5, (other) => other !== label).map((hit) => String(hit.label));
      expect(found).toEqual(baseline.get(String(label)));
    }
  });

  it("follows replacements and removals: postings, frequencies and norms", () => {
    const index = new DocumentIndex();
    texts.forEach((text, label) => index.upsert(label, profileOf("", text)));
    index.upsert(1, profileOf("", "cup final penalties fans"));
    index.remove(7);
    const fresh = new DocumentIndex();
    texts.forEach((text, label) => {
      if (label === 7) return;
      fresh.upsert(label, profileOf("", label === 1 ? "cup final penalties fans" : text));
    });
    for (const label of [0, 1, 2, 6]) {
      const changed = index.search(index.termsOf(label)!, 4, (other) => other !== label);
      const rebuilt = fresh.search(fresh.termsOf(label)!, 4, (other) => other !== label);
      expect(changed.map((hit) => hit.label)).toEqual(rebuilt.map((hit) => hit.label));
      changed.forEach((hit, i) => expect(hit.score).toBeCloseTo(rebuilt[i]!.score, 9));
    }
    expect(index.has(7)).toBe(false);
    expect(index.search(index.termsOf(6)!, 3, (other) => other !== 6).map((hit) => hit.label)).toContain(1);
  });

  it("counts the scoring terms a query shares with each article, leaving out terms too rare or too common to score", () => {
    const index = new DocumentIndex();
    texts.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const shared = index.sharedTermCounter(index.termsOf(0)!);
    // "earthquake strikes chile coast tsunami warning" against "chile earthquake tsunami warning
    // lifted coast": five shared, each in 2 to 4 of the 8 articles.
    expect(shared(1)).toBe(5);
    expect(shared(2)).toBe(4); // earthquake strikes tsunami warning
    expect(shared(4)).toBe(0);
    expect(shared(99)).toBe(0);
    // "football cup final penalties": the draft's unseen word and its stored-once word do not count.
    expect(index.sharedTermCounter(index.termsOfProfile(profileOf("", "football zzzunknown cup")))(6)).toBe(1);
  });

  it("leaves function words out of the shared-term count (one-line items share them by the handful), though they still score", () => {
    // On one-liners "of", "to" and "by" sit in at most half of the articles, so they score; the
    // store keeps "was" by its stem "wa". Two items about one person share the name and those.
    const items = [
      "secretary of defense hegseth orders a halt to cyber operations against russia by command",
      "secretary of defense hegseth announces the removal of officers from staff",
      "secretary of defense hegseth denies the halt to cyber operations against russia in command",
      "the storm wa moving toward the coast by night",
      "the vote wa held in parliament",
      "a final wa played in the cup",
    ];
    const index = new DocumentIndex();
    items.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const shared = index.sharedTermCounter(index.termsOf(0)!);
    expect(shared(1)).toBe(3); // secretary, defense, hegseth; not "of"
    expect(shared(2)).toBe(8); // and halt, cyber, operations, russia, command; not "of", "to", "against"
    expect(shared(3)).toBe(0); // "by" alone
    expect(index.scorer(index.termsOf(0)!)(3)).toBeGreaterThan(0); // which the cosine still counts
    expect(index.sharedTermCounter(index.termsOf(3)!)(4)).toBe(0); // "wa", the stem of "was"
  });

  it("scores a draft that is not stored, ignoring words it has never seen", () => {
    const index = new DocumentIndex();
    texts.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const draft = index.termsOfProfile(profileOf("", "tokyo earthquake japan zzzunknown"));
    expect(draft.terms.length).toBe(3);
    expect(index.search(draft, 1, () => true)[0]!.label).toBe(3);
  });

  it("gives each query its own cosines when the scorers of several queries take turns (as awaiting searches do)", () => {
    const index = new DocumentIndex();
    texts.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const alone = (query: number) => texts.map((_text, label) => index.scorer(index.termsOf(query)!)(label));
    // Queries sharing terms (0 and 2: earthquake, tsunami; 4 and 5: election, parliament), each term weighed differently by each.
    const queries = [0, 2, 4, 5];
    const expected = queries.map(alone);
    const scorers = queries.map((query) => index.scorer(index.termsOf(query)!));
    for (let label = 0; label < texts.length; label++) {
      scorers.forEach((score, which) => expect(score(label), `query ${which}, label ${label}`).toBe(expected[which]![label]));
    }
    expect(expected[0]![1]).toBeGreaterThan(0);
    expect(expected[2]![5]).toBeGreaterThan(0);
    expect(expected[0]![5]).toBe(0);
  });

  it("forgets terms no stored article holds: the dictionary returns to its size and lists match a freshly loaded index", () => {
    const random = mulberry32(11);
    const common = ["market", "storm", "court", "vote", "energy", "border", "strike", "trial", "budget", "flood"];
    const textOf = (round: number) =>
      `${Array.from({ length: 5 }, () => common[Math.floor(random() * common.length)]!).join(" ")} unique${round}a unique${round}b Name${round}`;
    const index = new DocumentIndex();
    texts.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const before = index.termCount();
    // Rewrites and deletes of twenty more articles, each version with words no other article has (as random soak text, or new names).
    const final = new Map<number, string>();
    for (let round = 0; round < 600; round++) {
      const label = 8 + Math.floor(random() * 20);
      if (random() < 0.2) {
        index.remove(label);
        final.delete(label);
      } else {
        const text = textOf(round);
        index.upsert(label, profileOf("", text));
        final.set(label, text);
      }
    }
    // Before terms were forgotten, every one of the 1,800 words written stayed in the dictionary.
    expect(index.termCount()).toBeLessThan(before + common.length + 3 * 20 + 1);
    const fresh = new DocumentIndex();
    texts.forEach((text, label) => fresh.upsert(label, profileOf("", text)));
    for (const [label, text] of [...final].sort((a, b) => a[0] - b[0])) fresh.upsert(label, profileOf("", text));
    expect(index.termCount()).toBe(fresh.termCount());
    for (const label of [...final.keys(), 0, 3, 6]) {
      const live = index.search(index.termsOf(label)!, 10, (other) => other !== label);
      const rebuilt = fresh.search(fresh.termsOf(label)!, 10, (other) => other !== label);
      expect(live.map((hit) => hit.label)).toEqual(rebuilt.map((hit) => hit.label));
      live.forEach((hit, i) => expect(Math.abs(hit.score - rebuilt[i]!.score)).toBeLessThan(1e-12));
    }
    for (const label of final.keys()) index.remove(label);
    expect(index.termCount()).toBe(before);
  });

  it("keeps each article's list until the article changes, and saves it with the index", () => {
    const index = new DocumentIndex();
    for (const [label, text] of [
      [0, "quake chile coast"],
      [1, "quake chile tsunami"],
      [2, "vote poll final"],
    ] as const)
      index.upsert(label, profileOf("", text));
    const list = { labels: Int32Array.of(1), scores: Float32Array.of(5.5) };
    expect(index.hasKeptList(0)).toBe(false);
    index.keepList(0, list);
    index.keepList(1, { labels: Int32Array.of(0), scores: Float32Array.of(5) });
    index.keepList(2, { labels: new Int32Array(0), scores: new Float32Array(0) });
    index.keepList(7, list);
    index.keptModelId = "m";
    expect(index.hasKeptList(2)).toBe(true);
    expect(index.hasKeptList(7)).toBe(false);
    expect(Array.from(index.keptList(0).labels)).toEqual([1]);
    expect(Array.from(index.keptList(0).scores)).toEqual([5.5]);

    const copy = DocumentIndex.fromSnapshot(index.snapshot());
    expect(copy.keptModelId).toBe("m");
    for (const label of [0, 1, 2]) {
      expect(copy.hasKeptList(label)).toBe(true);
      expect(Array.from(copy.keptList(label).labels)).toEqual(Array.from(index.keptList(label).labels));
    }

    // New articles outdate no list; a new text needs a new list, and the lists naming the old text name it no more.
    expect(index.dropOutdatedMembers()).toEqual([]);
    index.upsert(0, profileOf("", "quake chile coast again"));
    expect(index.hasKeptList(0)).toBe(false);
    expect(index.keptList(0).labels.length).toBe(0);
    expect(index.dropOutdatedMembers()).toEqual([1]);
    expect(Array.from(index.keptList(1).labels)).toEqual([]);
    expect(index.dropOutdatedMembers()).toEqual([]);
    // A removed article has no list, and the lists naming it keep their other members, scores and all.
    index.keepList(2, { labels: Int32Array.of(0, 1), scores: Float32Array.of(6, 4) });
    index.remove(1);
    expect(index.hasKeptList(1)).toBe(false);
    expect(index.dropOutdatedMembers()).toEqual([2]);
    expect(Array.from(index.keptList(2).labels)).toEqual([0]);
    expect(Array.from(index.keptList(2).scores)).toEqual([6]);
    index.forgetKeptLists();
    expect(index.hasKeptList(2)).toBe(false);
  });

  it("does not let a query made before a term was forgotten match the term that took its id", () => {
    const index = new DocumentIndex();
    const corpus = ["alpha beta", "alpha gamma", "delta epsilon", "delta zeta", "eta theta", "eta iota", "mu nu", "mu xi"];
    corpus.forEach((text, label) => index.upsert(label, profileOf("", text)));
    const stale = index.termsOf(0)!;
    expect(index.scorer(stale)(1)).toBeGreaterThan(0);
    index.remove(0);
    index.remove(1);
    // alpha, beta and gamma are forgotten; these stems take their ids, in two articles each (so they score).
    index.upsert(10, profileOf("", "omega kappa lambda"));
    index.upsert(11, profileOf("", "omega kappa lambda"));
    expect(stale.terms.some((term) => index.termsOf(10)!.terms.includes(term))).toBe(true);
    expect(index.scorer(stale)(10)).toBe(0);
    expect(index.usableStems(stale).size).toBe(0);
    expect(index.search(stale, 5, () => true)).toEqual([]);
    expect(index.scorer(index.termsOf(10)!)(11)).toBeGreaterThan(0);
  });
});
