/**
 * B-cubed precision and recall of story threads (Bagga and Baldwin 1998, "Entity-based
 * cross-document coreferencing using the vector space model"; Amigó et al. 2009 on why B-cubed
 * suits clusterings). Each article's thread is the article plus its members; its gold set is the
 * article plus every other article of its story (an article without a story is a story of one).
 * Precision: the share of the thread in the gold set; recall: the share of the gold set in the
 * thread. Both are averaged over articles, and F1 is their harmonic mean.
 */
export interface BCubed {
  precision: number;
  recall: number;
  f1: number;
  articles: number;
}

/**
 * @example
 *   bCubed([{ id: "a", thread: ["b"] }], new Map([["a", "s"], ["b", "s"], ["c", "s"]])); // precision 1, recall 2/3
 */
export function bCubed(threads: readonly { id: string; thread: readonly string[] }[], storyOf: ReadonlyMap<string, string | null>): BCubed {
  const storySizes = new Map<string, number>();
  for (const story of storyOf.values()) if (story !== null) storySizes.set(story, (storySizes.get(story) ?? 0) + 1);
  let precision = 0;
  let recall = 0;
  for (const { id, thread } of threads) {
    const story = storyOf.get(id) ?? null;
    const members = new Set([id, ...thread]);
    let correct = 0;
    for (const member of members) if (member === id || (story !== null && storyOf.get(member) === story)) correct++;
    precision += correct / members.size;
    recall += correct / (story === null ? 1 : (storySizes.get(story) ?? 1));
  }
  const n = threads.length;
  const p = n === 0 ? 0 : precision / n;
  const r = n === 0 ? 0 : recall / n;
  return { precision: p, recall: r, f1: p + r === 0 ? 0 : (2 * p * r) / (p + r), articles: n };
}
