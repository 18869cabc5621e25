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
  return cosineOf(left, right.ids, right.values, right.ids.length, right.norm);
}

/**
 * `topicSetSimilarity(query, topics without those in skip)`, with the candidate's vector built
 * in scratch arrays rather than kept: a vector kept per article (as this was, in a WeakMap by
 * topic array) fills the old generation with one small map and two typed arrays for every
 * article a query ever scored, which at 100k articles meant megabytes promoted every second under
 * load and long full collections that stalled requests (docs/performance.md, "HTTP on both
 * cores"). Same operations in the same order as building the vector, so the same score to the bit.
 */
export function topicSetSimilarityTo(query: TopicSetVector, topics: readonly string[], skip: ReadonlySet<string>): number {
  let size = 0;
  for (let t = 0; t < topics.length; t++) {
    const topic = topics[t]!;
    // A Set of the topics, as building the vector dedupes them: only the first of equal names counts.
    if (skip.has(topic) || topics.indexOf(topic) < t) continue;
    size = addTopicKeys(topic, size);
  }
  let squares = 0;
  for (let i = 0; i < size; i++) squares += scratchValues[i]! * scratchValues[i]!;
  return cosineOf(query, scratchIds, scratchValues, size, Math.sqrt(squares));
}

function cosineOf(left: TopicSetVector, rightIds: Int32Array, rightValues: Float64Array, rightSize: number, rightNorm: number): number {
  if (left.norm === 0 || rightNorm === 0) return 0;
  let dot = 0;
  // Walks the left's keys in the map's order (as a loop over the map would add them), each found
  // among the right's few by its interned id: integer compares, no string hashing per candidate.
  const { ids, values } = left;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let weight = 0;
    for (let j = 0; j < rightSize; j++) {
      if (rightIds[j] === id) {
        weight = rightValues[j]!;
        break;
      }
    }
    dot += values[i]! * weight;
  }
  return dot === 0 ? 0 : Math.min(1, dot / (left.norm * rightNorm));
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
  /** The weights in first-seen order, keys by their interned id: a query's vector is walked once per candidate. */
  ids: Int32Array;
  values: Float64Array;
  norm: number;
}

function isTopicSetVector(value: readonly string[] | TopicSetVector): value is TopicSetVector {
  return !Array.isArray(value);
}

/** One vector, built anew: a query's, once per query (nothing kept per article, see topicSetSimilarityTo). */
export function topicSetVector(topics: readonly string[]): TopicSetVector {
  let size = 0;
  for (const topic of new Set(topics)) size = addTopicKeys(topic, size);
  let squares = 0;
  for (let i = 0; i < size; i++) squares += scratchValues[i]! * scratchValues[i]!;
  return { ids: scratchIds.slice(0, size), values: scratchValues.slice(0, size), norm: Math.sqrt(squares) };
}

/** The vector being built: key ids and weights in first-seen order (a Map's insertion order). */
let scratchIds = new Int32Array(64);
let scratchValues = new Float64Array(64);

/** Adds one topic's keys, each its share, to the `size` slots of the scratch vector; returns the new size. */
function addTopicKeys(topic: string, size: number): number {
  const { ids, share } = keysOfTopic(topic);
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    let slot = 0;
    while (slot < size && scratchIds[slot] !== id) slot++;
    if (slot === size) {
      if (size === scratchIds.length) growScratch();
      scratchIds[size] = id;
      scratchValues[size] = 0;
      size++;
    }
    scratchValues[slot] = scratchValues[slot]! + share;
  }
  return size;
}

function growScratch(): void {
  const ids = new Int32Array(scratchIds.length * 2);
  const values = new Float64Array(scratchValues.length * 2);
  ids.set(scratchIds);
  values.set(scratchValues);
  scratchIds = ids;
  scratchValues = values;
}

/**
 * A topic name's word keys (interned) and the share of each, kept per name: a site has far fewer
 * topic names than articles, so this stays small where a vector per article did not. Bounded,
 * since names in queries come from clients: past the bound a name's keys are split each time.
 */
const keysByTopic = new Map<string, { ids: Int32Array; share: number }>();
const maxKeptTopics = 100_000;

function keysOfTopic(topic: string): { ids: Int32Array; share: number } {
  let keys = keysByTopic.get(topic);
  if (keys === undefined) {
    const words = topicWordKeys(topic);
    keys = { ids: Int32Array.from(words, internKey), share: 1 / Math.sqrt(words.length) };
    if (keysByTopic.size < maxKeptTopics) keysByTopic.set(topic, keys);
  }
  return keys;
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
