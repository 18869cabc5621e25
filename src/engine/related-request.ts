import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import type { RelativeDates } from "../core/related/relative-dates.ts";
import type { HybridAnswer, HybridRequest } from "./find-related-articles.ts";

/**
 * A related query: k, filters, ranking options, and bounds relative to the query article's
 * publication time (`published_before=article`), which only a stored, dated article has.
 */
export interface RelatedRequest extends HybridRequest {
  relativeDates?: RelativeDates;
}

export type RelatedAnswer = HybridAnswer;

/** A related list by article id, as served (and cached). */
export type ArticleRelatedAnswer = RelatedAnswer & { article: CatalogEntry };
/** A free text's answer: what it was ranked as, and why the list may be less than it seems. */
export type TextRelatedAnswer = RelatedAnswer & { warnings: string[]; language: { code: string | null; source: "given" | "detected" | null } };
