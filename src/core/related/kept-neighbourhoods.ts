/**
 * Kept neighbourhoods: each article's own related list (its first candidates by fused score,
 * before this part), kept from when it was written, and the part a candidate gains when its
 * kept list and the query's first candidates are the same articles. Reports of one event list
 * each other; a report of a second event of the same kind may score as high against the query,
 * but its own list is its own event's. This is shared-nearest-neighbour similarity (Jarvis and
 * Patrick 1973) over each article's whole-collection list, which a query cannot compute for
 * every candidate in time, so the lists are kept as articles are written. Measured:
 * docs/evaluation.md, "Seventeenth session".
 */

export interface SharedNeighbourOptions {
  /** How many neighbours a kept list holds, and how many of the query's first candidates are its neighbourhood. */
  neighbours: number;
  /** A neighbour scores at least this much (fused): a weaker one is no evidence. */
  minScore: number;
  /** The part of a candidate whose neighbourhood is the query's own. */
  weight: number;
}

/** An article's kept neighbours, best first, with the fused score each had in its list. */
export interface KeptList {
  readonly labels: Int32Array;
  readonly scores: Float32Array;
}

export interface KeptListOptions {
  /** How many neighbours a list keeps. */
  capacity: number;
  /** A neighbour scores at least this much: a weaker one is no evidence of the same event. */
  minScore: number;
}

/** The kept list of a ranked list (best first): its first `capacity` results scoring at least `minScore`. */
export function keptListOf(ranked: ReadonlyArray<{ label: number; score: number }>, options: KeptListOptions): KeptList {
  const kept = ranked.slice(0, options.capacity).filter((result) => result.score >= options.minScore);
  return { labels: Int32Array.from(kept, (result) => result.label), scores: Float32Array.from(kept, (result) => result.score) };
}

/**
 * The list with `label` taken in at `score` where it belongs (a list with room takes any score
 * of at least `minScore`; a full one, one above its weakest, which leaves), or null when the
 * list does not change. A label already in the list moves to its new score.
 */
export function takeIn(list: KeptList | undefined, label: number, score: number, options: KeptListOptions): KeptList | null {
  if (score < options.minScore) return null;
  const labels = list === undefined ? [] : Array.from(list.labels);
  const scores = list === undefined ? [] : Array.from(list.scores);
  const present = labels.indexOf(label);
  if (present >= 0) {
    if (scores[present] === Math.fround(score)) return null;
    labels.splice(present, 1);
    scores.splice(present, 1);
  } else if (labels.length >= options.capacity && score <= scores[labels.length - 1]!) {
    return null;
  }
  let at = 0;
  while (at < scores.length && scores[at]! >= score) at++;
  labels.splice(at, 0, label);
  scores.splice(at, 0, score);
  return { labels: Int32Array.from(labels.slice(0, options.capacity)), scores: Float32Array.from(scores.slice(0, options.capacity)) };
}

/**
 * Each candidate's part: `weight` times the cosine of two sets, the candidate's (itself and its
 * kept list's live members) and the query's (itself, when stored, and its first candidates).
 * A candidate with no kept list has itself alone. `isLive` leaves out deleted articles a list
 * still names.
 *
 * @example
 *   // the query 0 has 1, 2 and 3 first; 1 lists 0 and 2 (one event), 3 lists 4 and 5 (another)
 *   keptNeighbourParts({ label: 0, first: [1, 2, 3] }, [1, 3], lists, () => true, 4) // [4 * 3 / sqrt(12), 4 / sqrt(12)]
 */
export function keptNeighbourParts(
  query: { label: number | null; first: readonly number[] },
  candidates: readonly number[],
  listOf: (label: number) => KeptList | undefined,
  isLive: (label: number) => boolean,
  weight: number,
): Float64Array {
  const parts = new Float64Array(candidates.length);
  if (weight === 0) return parts;
  const ofQuery = new Set(query.first);
  if (query.label !== null) ofQuery.add(query.label);
  // A text query with no first candidate scoring enough has no neighbourhood to share.
  if (ofQuery.size === 0) return parts;
  candidates.forEach((candidate, index) => {
    let size = 1;
    let shared = ofQuery.has(candidate) ? 1 : 0;
    const list = listOf(candidate);
    if (list !== undefined) {
      for (const neighbour of list.labels) {
        if (neighbour === candidate || !isLive(neighbour)) continue;
        size++;
        if (ofQuery.has(neighbour)) shared++;
      }
    }
    parts[index] = (weight * shared) / Math.sqrt(ofQuery.size * size);
  });
  return parts;
}
