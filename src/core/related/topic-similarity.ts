/**
 * How much two articles' topic sets overlap, counting topics that share words as partly the
 * same: a site's taxonomy is often a hierarchy written out in names ("Russian invasion of
 * Ukraine" and "Peace negotiations in the Russian invasion of Ukraine"), where exact matching
 * sees two unrelated topics.
 *
 * Each topic is the unit vector of its word keys; a set of topics is the sum of its topics'
 * vectors; the similarity is the cosine of the two sums. Identical sets give 1, sets with no
 * word in common 0; topics that share no word are scored as the plain cosine of two sets.
 * Pairwise on purpose, with no corpus statistics: a list must depend only on the two articles
 * (core/cache/list-invalidation.ts).
 */
export function topicSetSimilarity(a: readonly string[] | TopicSetVector, b: readonly string[] | TopicSetVector): number {
  const left = isTopicSetVector(a) ? a : topicSetVector(a);
  const right = isTopicSetVector(b) ? b : topicSetVector(b);
  if (left.norm === 0 || right.norm === 0) return 0;
  let dot = 0;
  // Walks the left's keys in the map's order (as a loop over the map would add them), each found
  // among the right's few by its interned id: integer compares, no string hashing per candidate.
  const { ids, values } = left;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let weight = 0;
    for (let j = 0; j < right.ids.length; j++) {
      if (right.ids[j] === id) {
        weight = right.values[j]!;
        break;
      }
    }
    dot += values[i]! * weight;
  }
  return dot === 0 ? 0 : Math.min(1, dot / (left.norm * right.norm));
}

/**
 * The words of a topic name that carry meaning, cut to their first five letters: a crude but
 * language-neutral stemmer (truncation), so "Russia" and "Russian", "negotiation" and
 * "negotiations" meet. Function words are dropped; a topic of function words only keeps its
 * whole name as its one key.
 */
export function topicWordKeys(topic: string): string[] {
  const words = topic.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const keys = new Set(words.filter((word) => !functionWords.has(word)).map((word) => word.slice(0, truncateTo)));
  return keys.size > 0 ? [...keys] : [topic];
}

const truncateTo = 5;

/** English, German, French and Spanish function words frequent in topic names. */
const functionWords = new Set(
  "a an and the of in on at to for from by with or vs de del der die das den dem des und im in am zum zur von le la les du et en au aux el los las y".split(
    " ",
  ),
);

/** A topic set as a vector of word keys; build the query's once and score every candidate against it. */
export interface TopicSetVector {
  weights: ReadonlyMap<string, number>;
  /** The same weights in the map's order, as arrays, keys by their interned id: a query's vector is walked once per candidate. */
  ids: Int32Array;
  values: Float64Array;
  norm: number;
}

function isTopicSetVector(value: readonly string[] | TopicSetVector): value is TopicSetVector {
  return !Array.isArray(value);
}

/**
 * Topic set vectors by topic array: a catalog entry's topics are one frozen array for as long as
 * the entry stands (an edit makes a new one), so this is exact, and scoring a pool of candidates
 * twice per query need not split the same names again.
 */
const vectorsByTopicArray = new WeakMap<readonly string[], TopicSetVector>();

export function topicSetVector(topics: readonly string[]): TopicSetVector {
  let vector = vectorsByTopicArray.get(topics);
  if (vector === undefined) {
    vector = buildTopicSetVector(topics);
    if (Object.isFrozen(topics)) vectorsByTopicArray.set(topics, vector);
  }
  return vector;
}

function buildTopicSetVector(topics: readonly string[]): TopicSetVector {
  const weights = new Map<string, number>();
  for (const topic of new Set(topics)) {
    const keys = topicWordKeys(topic);
    const share = 1 / Math.sqrt(keys.length);
    for (const key of keys) weights.set(key, (weights.get(key) ?? 0) + share);
  }
  let squares = 0;
  for (const weight of weights.values()) squares += weight * weight;
  return { weights, ids: Int32Array.from(weights.keys(), internKey), values: Float64Array.from(weights.values()), norm: Math.sqrt(squares) };
}

/** Word keys by a small integer, for the life of the process (as many as the distinct topic words a site has). */
const keyIds = new Map<string, number>();

function internKey(key: string): number {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = keyIds.size;
    keyIds.set(key, id);
  }
  return id;
}
