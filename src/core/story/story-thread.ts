import type { CatalogEntry } from "../related/catalog-entry.ts";
import { isCopy } from "../related/fold-duplicates.ts";

/**
 * Where a thread member stands against the article the thread is asked for: published before
 * it, on or after it, a copy of its text (wire re-runs, light edits), or `undated` when either
 * of the two has no publication date, so no order can be claimed.
 */
export type StoryRelation = "earlier" | "later" | "copy" | "undated";

/** A candidate from the related-list machinery, with the parts of its fused score. */
export interface StoryCandidate {
  entry: CatalogEntry;
  /** Cosine similarity of the two embeddings, in [-1, 1]. */
  cosine: number;
  /** The dense part of the fused score: a z-score over the query's candidate pool. */
  dense: number;
  /** The lexical (BM25) part of the fused score, weighted, as a z-score over the pool. */
  lexical: number;
}

export interface StoryMember {
  entry: CatalogEntry;
  relation: StoryRelation;
  /** How likely the two are one story, 0 to 1 (`sameStoryScore`). */
  sameStory: number;
  cosine: number;
  /** Days from the thread's article to this one (negative: earlier); null when either is undated. */
  daysApart: number | null;
}

export interface StoryThread {
  /** Members in time order (oldest first; undated ones last), the thread's article never among them. */
  members: StoryMember[];
  /** Members before the `since` cut, which `members` leaves out (0 without one). */
  beforeSince: number;
}

/**
 * The same-story model: a logistic score over what the hybrid ranking already measures. The
 * weights were fitted (logistic regression, each set weighing the same) on candidate pairs of
 * the story-labelled sets giveme5w1h, wcep-stories and gva (`bench/story-threads.ts --fit
 * --leave-one-out`, which also fits without each set and measures it on that set); figures in
 * docs/analysts.md, "Story threads".
 * Re-run that script after any change to the fused ranking: the z-scores it reads are the
 * ranking's.
 *
 * - cosine: absolute, so an article with no story-mates gets no thread however the pool is spread;
 * - dense, lexical: how far above this article's typical candidate, from the fused ranking;
 * - proximity: exp(-days apart / 14); undated pairs count the undatedProximity instead.
 */
export interface StoryThreadModel {
  intercept: number;
  cosine: number;
  dense: number;
  lexical: number;
  proximity: number;
  proximityDays: number;
  undatedProximity: number;
  threshold: number;
}

export const storyThreadModel: Readonly<StoryThreadModel> = Object.freeze({
  intercept: -6.67,
  cosine: 3.19,
  dense: 0.71,
  lexical: 0.5,
  proximity: 1.89,
  proximityDays: 14,
  undatedProximity: 0.3,
  /** A candidate joins the thread when its same-story score is at least this. */
  threshold: 0.7,
});

const dayMs = 86_400_000;

/**
 * How likely a candidate is about the same story as the query article, 0 to 1.
 *
 * @example
 *   sameStoryScore(query, { entry, cosine: 0.91, dense: 3.2, lexical: 1.4 }); // ~0.98
 */
export function sameStoryScore(
  query: Pick<CatalogEntry, "publishedMs">,
  candidate: StoryCandidate,
  model: Readonly<StoryThreadModel> = storyThreadModel,
): number {
  const days = daysBetween(query.publishedMs, candidate.entry.publishedMs);
  const proximity = days === null ? model.undatedProximity : Math.exp(-Math.abs(days) / model.proximityDays);
  const logit =
    model.intercept + model.cosine * candidate.cosine + model.dense * candidate.dense + model.lexical * candidate.lexical + model.proximity * proximity;
  return 1 / (1 + Math.exp(-logit));
}

/**
 * An article's story thread: the candidates whose same-story score reaches the threshold, and
 * every copy of its text, in time order, each marked against the article. `sinceMs` keeps only
 * what was published on or after it ("what is new since"), counting what it left out.
 *
 * @example
 *   buildStoryThread(article, candidates, { copies: exactCopies, sinceMs: null }).members.map((m) => m.relation);
 */
export function buildStoryThread(
  query: CatalogEntry,
  candidates: readonly StoryCandidate[],
  options: { copies?: readonly CatalogEntry[]; sinceMs: number | null; threshold?: number; model?: Readonly<StoryThreadModel> },
): StoryThread {
  const model = options.model ?? storyThreadModel;
  const threshold = options.threshold ?? model.threshold;
  const byId = new Map<string, StoryMember>();
  const add = (entry: CatalogEntry, sameStory: number, cosine: number) => {
    if (entry.id === query.id || byId.has(entry.id)) return;
    const daysApart = daysBetween(query.publishedMs, entry.publishedMs);
    const relation: StoryRelation = isCopy(query, entry) ? "copy" : daysApart === null ? "undated" : daysApart < 0 ? "earlier" : "later";
    byId.set(entry.id, { entry, relation, sameStory, cosine, daysApart });
  };
  for (const copy of options.copies ?? []) add(copy, 1, 1);
  for (const candidate of candidates) {
    const score = isCopy(query, candidate.entry) ? 1 : sameStoryScore(query, candidate, model);
    if (score >= threshold) add(candidate.entry, score, candidate.cosine);
  }
  const all = [...byId.values()].sort(byTime);
  const members = options.sinceMs === null ? all : all.filter((member) => member.entry.publishedMs !== null && member.entry.publishedMs >= options.sinceMs!);
  return { members, beforeSince: all.length - members.length };
}

function daysBetween(fromMs: number | null, toMs: number | null): number | null {
  return fromMs === null || toMs === null ? null : (toMs - fromMs) / dayMs;
}

/** Oldest first, undated last; ties by id, so a thread reads the same every time. */
function byTime(a: StoryMember, b: StoryMember): number {
  const ta = a.entry.publishedMs ?? Infinity;
  const tb = b.entry.publishedMs ?? Infinity;
  return ta === tb ? (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0) : ta - tb;
}
