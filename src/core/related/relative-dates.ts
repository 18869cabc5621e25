import { KindredError } from "../errors.ts";
import type { CatalogEntry } from "./catalog-entry.ts";
import type { RelatedFilters } from "./related-filters.ts";

/** `published_before=article` / `published_after=article`: bounds at the query article's publication time. */
export interface RelativeDates {
  beforeArticle: boolean;
  afterArticle: boolean;
}

/** The filters with `published_before/after=article` applied as bounds at the article's publication time. */
export function withRelativeDates(filters: RelatedFilters, relative: RelativeDates | undefined, article: CatalogEntry): RelatedFilters {
  if (relative === undefined || (!relative.beforeArticle && !relative.afterArticle)) return filters;
  if (article.publishedMs === null) {
    throw new KindredError("invalid_parameter", `Article "${article.id}" has no publication date, so "article" cannot bound dates; give a date instead.`, {
      parameter: relative.beforeArticle ? "published_before" : "published_after",
    });
  }
  const { sinceMs, untilMs } = filters;
  return {
    ...filters,
    sinceMs: relative.afterArticle ? Math.max(sinceMs ?? -Infinity, article.publishedMs) : sinceMs,
    untilMs: relative.beforeArticle ? Math.min(untilMs ?? Infinity, article.publishedMs) : untilMs,
  };
}
