import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { noFilters } from "../core/related/related-filters.ts";
import { buildStoryThread, type StoryCandidate, type StoryThread } from "../core/story/story-thread.ts";
import type { KindredEngine } from "./kindred-engine.ts";

/**
 * How many candidates the thread is chosen from: the article's related list, unfolded, at this
 * length. Membership is decided by the same-story score (core/story/story-thread.ts), not by
 * this number; it only bounds how long a thread can be.
 */
export const storyCandidateCount = 100;

export interface StoryRequest {
  /** Only members published on or after this (epoch ms); null: the whole thread. */
  sinceMs: number | null;
  /** Whether shared topics help choose the candidates (off in evaluations, whose topics are their labels). */
  topicSignal?: boolean;
}

export interface StoryAnswer {
  article: CatalogEntry;
  thread: StoryThread;
}

/**
 * An article's story thread (docs/analysts.md): candidates from the hybrid related list (copies not
 * folded, so every report of the story can be counted), judged by the pure same-story score.
 *
 * @example
 *   (await findStory(engine, "wcep-2025-03-02-01055", { sinceMs: null })).thread.members
 */
export async function findStory(engine: KindredEngine, id: string, request: StoryRequest): Promise<StoryAnswer> {
  const { article, candidates, copies } = await findStoryCandidates(engine, id, request);
  return { article, thread: buildStoryThread(article, candidates, { copies, sinceMs: request.sinceMs }) };
}

/** What a thread is chosen from: the article, its candidates with their score parts, and its exact copies. */
export async function findStoryCandidates(
  engine: KindredEngine,
  id: string,
  request: Pick<StoryRequest, "topicSignal">,
): Promise<{ article: CatalogEntry; candidates: StoryCandidate[]; copies: CatalogEntry[] }> {
  const answer = await engine.findRelatedToArticleAsync(id, {
    k: storyCandidateCount,
    filters: noFilters,
    ranking: { mode: "hybrid", foldDuplicates: false, explain: true, topicSignal: request.topicSignal ?? true },
  });
  const candidates = answer.results.map((result) => ({
    entry: result.entry,
    cosine: result.cosine,
    dense: result.explanation?.parts.dense ?? 0,
    lexical: result.explanation?.parts.lexical ?? 0,
  }));
  return { article: answer.article, candidates, copies: engine.exactCopiesOf(id) };
}
