/**
 * The plain baseline every evaluation shows kindred against (../shared/eval/README.md, "A plain
 * baseline to beat"): TF-IDF over all words of title and text, sublinear tf
 * (1 + ln tf), smoothed idf (ln((1 + N) / (1 + df)) + 1, as scikit-learn's TfidfVectorizer),
 * terms in at least 2 articles and at most half of them, length-normalised, exact cosine
 * nearest neighbours, no folding, no stemming. Deliberately independent of kindred's own
 * index and tokenizer, so it stays the same bar whatever kindred changes.
 */
export interface BaselineDocument {
  id: string;
  title: string;
  text: string;
}

const wordPattern = /[\p{L}\p{N}]+/gu;

/**
 * Ranks, for every document, the others by TF-IDF cosine, best first (ties by position in the
 * input), and returns the first `k` ids of each, keyed by id.
 *
 * @example
 *   rankByTfidf([{ id: "a", title: "Quake", text: "..." }, ...], 10).get("a"); // ["c", "f", ...]
 */
export function rankByTfidf(documents: readonly BaselineDocument[], k: number | ((id: string) => number)): Map<string, string[]> {
  const counts = documents.map((document) => {
    const terms = new Map<string, number>();
    for (const match of `${document.title}\n${document.text}`.toLowerCase().matchAll(wordPattern)) terms.set(match[0], (terms.get(match[0]) ?? 0) + 1);
    return terms;
  });
  const documentFrequency = new Map<string, number>();
  for (const terms of counts) for (const term of terms.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const n = documents.length;
  const termIds = new Map<string, number>();
  const idf: number[] = [];
  for (const [term, df] of documentFrequency) {
    if (df < 2 || df > n / 2) continue;
    termIds.set(term, idf.length);
    idf.push(Math.log((1 + n) / (1 + df)) + 1);
  }
  // Sparse, normalised vectors and an inverted index over them.
  const vectors = counts.map((terms) => {
    const ids: number[] = [];
    const weights: number[] = [];
    for (const [term, tf] of terms) {
      const id = termIds.get(term);
      if (id === undefined) continue;
      ids.push(id);
      weights.push((1 + Math.log(tf)) * idf[id]!);
    }
    const norm = Math.sqrt(weights.reduce((sum, weight) => sum + weight * weight, 0)) || 1;
    return { ids, weights: weights.map((weight) => weight / norm) };
  });
  const postings: { doc: number; weight: number }[][] = idf.map(() => []);
  vectors.forEach((vector, doc) => vector.ids.forEach((id, index) => postings[id]!.push({ doc, weight: vector.weights[index]! })));

  const ranked = new Map<string, string[]>();
  const scores = new Float64Array(n);
  for (let query = 0; query < n; query++) {
    const touched: number[] = [];
    const vector = vectors[query]!;
    vector.ids.forEach((id, index) => {
      for (const { doc, weight } of postings[id]!) {
        if (scores[doc] === 0) touched.push(doc);
        scores[doc]! += weight * vector.weights[index]!;
      }
    });
    const wanted = typeof k === "number" ? k : k(documents[query]!.id);
    const best = touched
      .filter((doc) => doc !== query)
      .sort((a, b) => scores[b]! - scores[a]! || a - b)
      .slice(0, wanted);
    ranked.set(
      documents[query]!.id,
      best.map((doc) => documents[doc]!.id),
    );
    for (const doc of touched) scores[doc] = 0;
  }
  return ranked;
}
