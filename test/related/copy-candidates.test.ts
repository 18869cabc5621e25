import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { CopyCandidates } from "../../src/core/related/copy-candidates.ts";
import { foldDuplicates, isCopy } from "../../src/core/related/fold-duplicates.ts";
import { duplicateJaccard, jaccardAtLeast, signatureLength } from "../../src/core/related/shingle-signature.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";

/**
 * Folding finds the copies among a ranked window through band hashes instead of testing every
 * pair (issue 14: the pairwise tests were most of folding's time). The band index must miss no
 * copy, so these compare it with the pairwise definition on signatures built to sit on either
 * side of the 0.6 threshold, with empty slots and shared text hashes mixed in.
 */
const random = mulberry32(14);
const randomWord = () => (random() * 0xfffffffe) >>> 0;

/** A signature agreeing with `base` on exactly `agree` slots, at random places (the rest fresh values or empty). */
function variant(base: Uint32Array, agree: number, emptyShare = 0): Uint32Array {
  const slots = Array.from({ length: signatureLength }, (_, i) => i).sort(() => random() - 0.5);
  const signature = new Uint32Array(signatureLength);
  slots.forEach((slot, index) => {
    signature[slot] = index < agree ? base[slot]! : random() < emptyShare ? 0xffffffff : randomWord();
  });
  return signature;
}

function pool(size: number): { signatures: Uint32Array[]; entries: CatalogEntry[] } {
  const bases = Array.from({ length: 6 }, () => Uint32Array.from({ length: signatureLength }, randomWord));
  const signatures = Array.from({ length: size }, () => {
    const base = bases[Math.floor(random() * bases.length)]!;
    // Around the threshold (39 of 64 agreeing slots is the least a copy needs), and far from it.
    const agree = [64, 45, 40, 39, 38, 37, 30, 10, 0][Math.floor(random() * 9)]!;
    return variant(base, agree, random() < 0.2 ? 0.3 : 0);
  });
  const entries = signatures.map(
    (signature, index): CatalogEntry => ({
      label: index,
      id: `a${index}`,
      title: `a${index}`,
      url: null,
      topics: [],
      publishedAt: null,
      publishedMs: index % 7 === 0 ? null : index * 1000,
      // A few share a text hash whatever their signatures say.
      textHash: index % 11 === 0 ? "same-text" : `hash-${index}`,
      signature,
      words: 10 + (index % 13),
      lang: null,
    }),
  );
  return { signatures, entries };
}

/** Folding as it was: each candidate tested against every member of every earlier group. */
function foldPairwise(entries: readonly CatalogEntry[]): string[][] {
  const groups: CatalogEntry[][] = [];
  for (const entry of entries) {
    const group = groups.find((members) => members.some((member) => isCopy(member, entry)));
    if (group === undefined) groups.push([entry]);
    else group.push(entry);
  }
  return groups.map((members) => members.map((member) => member.id).sort());
}

describe("copy candidates by band hashes", () => {
  it("finds every earlier signature that jaccardAtLeast calls a copy", () => {
    for (let round = 0; round < 20; round++) {
      const { signatures } = pool(80);
      const candidates = new CopyCandidates(signatures.length);
      for (const [index, signature] of signatures.entries()) {
        const found = new Set(candidates.candidatesOf(signature));
        expect(found.size, "each candidate once").toBe(candidates.candidatesOf(signature).length);
        for (let earlier = 0; earlier < index; earlier++) {
          if (jaccardAtLeast(signatures[earlier]!, signature, duplicateJaccard)) expect(found.has(earlier), `${earlier} copies ${index}`).toBe(true);
        }
        candidates.add(signature);
      }
    }
  });

  it("never pairs two empty signatures, and takes a signature of another length as a candidate of all", () => {
    const empty = new Uint32Array(signatureLength).fill(0xffffffff);
    const candidates = new CopyCandidates(4);
    candidates.add(empty);
    expect(candidates.candidatesOf(empty)).toEqual([]);
    candidates.add(new Uint32Array(8));
    expect(candidates.candidatesOf(Uint32Array.from({ length: signatureLength }, randomWord))).toEqual([1]);
    expect(candidates.candidatesOf(new Uint32Array(8)).sort()).toEqual([0, 1]);
  });

  it("folds exactly as testing every pair does", () => {
    for (let round = 0; round < 20; round++) {
      const { entries } = pool(120);
      const folded = foldDuplicates(
        entries.map((entry) => ({ entry })),
        { textHash: "query", signature: null },
      );
      const groups = folded.groups.map((group) => [group.shown, ...group.copies].map((member) => member.entry.id).sort());
      expect(groups).toEqual(foldPairwise(entries));
      expect(
        groups.some((group) => group.length > 2),
        "the pool has copies to fold",
      ).toBe(true);
    }
  });
});

describe("copy candidates, reused and grown", () => {
  it("finds the same candidates when one instance is reused for many windows, and when a window outgrows its table", () => {
    for (const [expected, size] of [
      [80, 80],
      [4, 120],
    ] as const) {
      for (let round = 0; round < 5; round++) {
        const { signatures } = pool(size);
        const reused = CopyCandidates.reused(expected);
        for (const [index, signature] of signatures.entries()) {
          const found = new Set(reused.candidatesOf(signature));
          for (let earlier = 0; earlier < index; earlier++) {
            if (jaccardAtLeast(signatures[earlier]!, signature, duplicateJaccard)) expect(found.has(earlier), `${earlier} copies ${index}`).toBe(true);
          }
          for (const owner of found) expect(owner).toBeLessThan(index);
          reused.add(signature);
        }
      }
    }
  });
});
