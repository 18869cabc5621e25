import { mulberry32 } from "../seeded-random.ts";

/**
 * Near-duplicate detection by word shingles (Broder 1997, "On the resemblance and containment of
 * documents"): two texts whose sets of 5-word sequences overlap with Jaccard >= 0.6 are copies
 * or light edits of one text (a wire story re-run under another headline, a revised version).
 * Measured on bbc (docs/evaluation.md): every pair at >= 0.6 is a revision of one article, while pairs
 * at 0.3-0.5 are different articles on one story, which must not fold. Embedding cosine is no
 * substitute: short items on different days of one war ("airstrikes kill 27" / "... kill 22")
 * reach 0.97.
 *
 * A MinHash signature (one minimum per hash function) estimates the Jaccard of two shingle sets
 * from a fixed 256 bytes per article, stored at index time, so folding reads no bodies.
 */
export const signatureLength = 64;
export const shingleWords = 5;
/** Jaccard at or above which two texts are one text (see above). */
export const duplicateJaccard = 0.6;

/** Odd multipliers and offsets of the hash family, fixed so stored signatures stay comparable across runs. */
const family = (() => {
  const random = mulberry32(0x9e3779b9);
  const next = () => random() * 4294967296; // the generator's 32 bits, exactly
  return Array.from({ length: signatureLength }, () => ({ multiplier: next() | 1, offset: next() }));
})();
/** The family as 32-bit integers, as the hash's bit operations read them. */
const multipliers = Int32Array.from(family, (hash) => hash.multiplier);
const offsets = Int32Array.from(family, (hash) => hash.offset | 0);

/** The words of a text, case- and width-folded, as shingles see them. */
export function normalizedWords(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * The MinHash signature of a text's 5-word shingles. A text of fewer than five words is one
 * shingle; an empty text has an all-ones signature that matches only another empty text.
 *
 * @example
 *   estimateJaccard(shingleSignature(a.body), shingleSignature(b.body)) >= duplicateJaccard // a copy
 */
export function shingleSignature(text: string): Uint32Array {
  const words = normalizedWords(text);
  const signature = new Uint32Array(signatureLength).fill(0xffffffff);
  const count = Math.max(1, words.length - shingleWords + 1);
  if (words.length === 0) return signature;
  for (let start = 0; start < count; start++) {
    const shingle = fnv1aOfWords(words, start, Math.min(start + shingleWords, words.length));
    const mixed = Math.imul(shingle, 0x85ebca6b) >>> 13;
    for (let i = 0; i < signatureLength; i++) {
      const hashed = (Math.imul(shingle ^ offsets[i]!, multipliers[i]!) ^ mixed) >>> 0;
      if (hashed < signature[i]!) signature[i] = hashed;
    }
  }
  return signature;
}

/** The share of positions where two signatures agree: an unbiased estimate of their Jaccard. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  // An all-ones slot is "no shingle": two empty signatures are not evidence of one text.
  for (let i = 0; i < signatureLength; i++) if (a[i] === b[i] && a[i] !== 0xffffffff) same++;
  return same / signatureLength;
}

/**
 * Whether `estimateJaccard(a, b) >= threshold`, the same answer, but it stops at the first slot
 * that settles it: folding compares every pair in a ranked window, and most pairs differ early.
 */
export function jaccardAtLeast(a: Uint32Array, b: Uint32Array, threshold: number): boolean {
  const allowedMisses = allowedMissesAt(threshold);
  let misses = 0;
  for (let i = 0; i < signatureLength; i++) {
    if (a[i] !== b[i] || a[i] === 0xffffffff) {
      if (++misses > allowedMisses) return false;
    }
  }
  return true;
}

/** Slots that may disagree at a threshold, worked out once per threshold: folding asks it of every pair. */
let missesThreshold = Number.NaN;
let missesAllowed = 0;

function allowedMissesAt(threshold: number): number {
  if (threshold !== missesThreshold) {
    missesAllowed = allowedMissesFor(threshold);
    missesThreshold = threshold;
  }
  return missesAllowed;
}

/** Slots that may disagree for `jaccardAtLeast(a, b, threshold)` to hold. */
export function allowedMissesFor(threshold: number): number {
  let needed = 0;
  while (needed <= signatureLength && needed / signatureLength < threshold) needed++;
  return signatureLength - needed;
}

/** FNV-1a of `words[from..to)` joined by single spaces, without building the joined string. */
function fnv1aOfWords(words: readonly string[], from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let index = from; index < to; index++) {
    if (index > from) hash = Math.imul(hash ^ 32, 0x01000193);
    const word = words[index]!;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
