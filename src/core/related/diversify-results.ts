/**
 * Maximal marginal relevance (Carbonell and Goldstein, SIGIR 1998): picks k items one at a
 * time, each maximising (1 - diversity) * relevance - diversity * (its highest similarity to
 * an item already picked). Relevance is the fused score rescaled to [0, 1] over the pool, so
 * `diversity` trades like for like with cosine similarity. diversity 0 keeps the ranked order.
 *
 * @example
 *   diversify(ranked, 10, 0.3, (item) => item.score, (a, b) => cosine(a, b));
 */
export function diversify<T>(ranked: readonly T[], k: number, diversity: number, relevance: (item: T) => number, similarity: (a: T, b: T) => number): T[] {
  if (diversity <= 0 || ranked.length <= 1) return ranked.slice(0, k);
  const scores = ranked.map(relevance);
  const low = Math.min(...scores);
  const span = Math.max(...scores) - low || 1;
  const remaining = ranked.map((item, index) => ({ item, relevance: (scores[index]! - low) / span, closest: -Infinity }));
  const picked: T[] = [];
  while (picked.length < k && remaining.length > 0) {
    let best = 0;
    let bestValue = -Infinity;
    remaining.forEach((candidate, index) => {
      const redundancy = picked.length === 0 ? 0 : candidate.closest;
      const value = (1 - diversity) * candidate.relevance - diversity * redundancy;
      if (value > bestValue) {
        bestValue = value;
        best = index;
      }
    });
    const [chosen] = remaining.splice(best, 1);
    picked.push(chosen!.item);
    for (const candidate of remaining) candidate.closest = Math.max(candidate.closest, similarity(candidate.item, chosen!.item));
  }
  return picked;
}
