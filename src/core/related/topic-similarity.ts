import { grow } from "../grow-typed-array.ts";
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
  // Walks the left's keys in first-seen order, each found among the right's few by its interned
  // id: integer compares, no string hashing per candidate.
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
 * `topicSetSimilarity(query, the signal topics of \`topics\`)` (noise topics left out), without
 * making the candidate's vector: its keys and weights are summed into the scratch arrays as
 * `topicSetVector` sums them, so the number is the same. A pool scores a hundred candidates or
 * more, and at a large collection most are articles no query has scored yet, whose vectors (a
 * map, two arrays, the split names) were most of a list's garbage.
 *
 * @example
 *   topicSetSimilarityTo(topicSetVector(["Ukraine war"]), ["War in Ukraine", "Europe"], new Set()) // about 0.71
 */
export function topicSetSimilarityTo(query: TopicSetVector, topics: readonly string[], noise: ReadonlySet<string>): number {
  if (query.norm === 0) return 0;
  const count = sumTopicKeys(topics, noise);
  const norm = scratchNorm(count);
  if (norm === 0) return 0;
  let dot = 0;
  const { ids, values } = query;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let weight = 0;
    for (let j = 0; j < count; j++) {
      if (scratchIds[j] === id) {
        weight = scratchWeights[j]!;
        break;
      }
    }
    dot += values[i]! * weight;
  }
  return dot === 0 ? 0 : Math.min(1, dot / (query.norm * norm));
}

/**
 * An article's topic set as `topicSetVector` sums it (no noise topics dropped), packed into one
 * array of numbers: its length, then each key's interned id and weight in first-seen order. Made
 * once when an article enters the catalog (`CatalogEntry.topicKeys`), so scoring a candidate reads
 * one array instead of looking up each of its topic names: the pool's hundred-odd candidates and
 * their names sit all over the heap, and those lookups were most of the fusion's time. A plain
 * array of doubles, not typed arrays: one object per article, and nothing for the collector to
 * track beside it.
 *
 * @example
 *   topicSetSimilarityToKeys(topicSetVector(["Ukraine war"]), topicKeyVector(["War in Ukraine"])) // = topicSetSimilarity of the two
 */
export function topicKeyVector(topics: readonly string[]): readonly number[] {
  if (topics.length === 0) return noTopicKeys;
  const name = JSON.stringify(topics);
  let packed = keyVectorsByTopics.get(name);
  if (packed === undefined) {
    const count = sumTopicKeys(topics, noNoise);
    const values = [scratchNorm(count)];
    for (let i = 0; i < count; i++) values.push(scratchIds[i]!, scratchWeights[i]!);
    packed = Object.freeze(values);
    if (keyVectorsByTopics.size >= maxCachedTopics) keyVectorsByTopics.clear();
    keyVectorsByTopics.set(name, packed);
  }
  return packed;
}

const noTopicKeys: readonly number[] = Object.freeze([0]);

/**
 * One packed vector per distinct topic list, shared by the articles that have it (a site has far
 * fewer topic lists than articles: a vector per article was a tenth of the heap at 100k). Bounded
 * as `keysByTopic` is; an entry keeps its vector when this is emptied.
 */
const keyVectorsByTopics = new Map<string, readonly number[]>();

/**
 * `topicSetSimilarityTo(query, topics, no noise)` for the topics packed by `topicKeyVector`: the
 * same weights and length, the same products in the same order, so the same number.
 */
export function topicSetSimilarityToKeys(query: TopicSetVector, packed: readonly number[]): number {
  if (query.norm === 0) return 0;
  const norm = packed[0]!;
  if (norm === 0) return 0;
  const end = packed.length;
  let dot = 0;
  const { ids, values } = query;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let weight = 0;
    for (let at = 1; at < end; at += 2) {
      if (packed[at] === id) {
        weight = packed[at + 1]!;
        break;
      }
    }
    dot += values[i]! * weight;
  }
  return dot === 0 ? 0 : Math.min(1, dot / (query.norm * norm));
}

/**
 * Sums the unit vectors of the distinct topics not in `noise` into the scratch arrays: keys by
 * interned id in first-seen order, each topic taken where it first appears (as a set of them
 * takes it). Returns how many keys the sum holds.
 */
function sumTopicKeys(topics: readonly string[], noise: ReadonlySet<string>): number {
  let count = 0;
  for (let t = 0; t < topics.length; t++) {
    const topic = topics[t]!;
    if (noise.size > 0 && noise.has(topic)) continue;
    let repeated = false;
    for (let u = 0; u < t && !repeated; u++) repeated = topics[u] === topic;
    if (repeated) continue;
    const { ids, share } = keysOfTopic(topic);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      let at = 0;
      while (at < count && scratchIds[at] !== id) at++;
      if (at < count) {
        scratchWeights[at]! += share;
        continue;
      }
      if (count === scratchIds.length) growScratch();
      scratchIds[count] = id;
      scratchWeights[count] = share;
      count++;
    }
  }
  return count;
}

/** The length of the first `count` scratch weights, summed in key order. */
function scratchNorm(count: number): number {
  let squares = 0;
  for (let i = 0; i < count; i++) squares += scratchWeights[i]! * scratchWeights[i]!;
  return Math.sqrt(squares);
}

/** The topic set being summed (`sumTopicKeys`): a query's vector copies it out; a candidate is scored in place (synchronous: one at a time). */
let scratchIds = new Int32Array(64);
let scratchWeights = new Float64Array(64);

function growScratch(): void {
  scratchWeights = grow(scratchWeights, scratchIds.length * 2);
  scratchIds = grow(scratchIds, scratchIds.length * 2);
}

/**
 * Each topic name's word keys (interned) and the share each key gets (1 / sqrt(keys)), by name:
 * a site has far fewer topic names than articles. Emptied if it ever grows past a bound (names
 * of deleted articles stay until then); what it holds is recomputed the same on demand.
 */
const keysByTopic = new Map<string, { ids: Int32Array; share: number }>();
const maxCachedTopics = 200_000;

function keysOfTopic(topic: string): { ids: Int32Array; share: number } {
  let keys = keysByTopic.get(topic);
  if (keys === undefined) {
    const words = topicWordKeys(topic);
    keys = { ids: Int32Array.from(words, internKey), share: 1 / Math.sqrt(words.length) };
    if (keysByTopic.size >= maxCachedTopics) keysByTopic.clear();
    keysByTopic.set(topic, keys);
  }
  return keys;
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
  /** Keys by their interned id, in first-seen order, and their weights: a query's vector is walked once per candidate. */
  ids: Int32Array;
  values: Float64Array;
  norm: number;
}

function isTopicSetVector(value: readonly string[] | TopicSetVector): value is TopicSetVector {
  return !Array.isArray(value);
}

const noNoise: ReadonlySet<string> = new Set();

/**
 * One vector, built anew: a query's, once per query. Nothing is kept per article a query scores:
 * a vector kept for every article a query ever scored (a WeakMap by topic array, as this was)
 * filled the old generation at 100k articles and long full collections stalled requests
 * (docs/performance.md, "HTTP on both cores"); candidates are scored from the packed vector
 * their catalog entry was given (`topicKeyVector`, one per distinct topic list), else by
 * `topicSetSimilarityTo` in the scratch arrays.
 */
export function topicSetVector(topics: readonly string[]): TopicSetVector {
  const count = sumTopicKeys(topics, noNoise);
  return { ids: scratchIds.slice(0, count), values: scratchWeights.slice(0, count), norm: scratchNorm(count) };
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
