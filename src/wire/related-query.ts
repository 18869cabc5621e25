import { z } from "zod";
import { parseIsoTimestamp } from "../articles/article-schema.ts";
import { KindredError } from "../core/errors.ts";
import type { RankingOptions } from "../core/related/ranking-options.ts";
import type { RelatedFilters } from "../core/related/related-filters.ts";
import type { RelativeDates } from "../core/related/relative-dates.ts";
import { normalizeTopics } from "../core/topics.ts";
import { normalizeArticleUrl } from "../core/urls/normalize-article-url.ts";

/*
 * The related query on the wire (query string or JSON body, snake_case) and its mapping to the
 * core types. The HTTP routes and the CLI both parse with it, so a query parameter and a flag
 * mean the same thing.
 */

/** Bounds every related query shares. */
export const maxResults = 100;
const maxListItems = 200;

/**
 * `k` from a query string is decimal digits only: a general number coercion would also read
 * "0x10", "1e1" or " 7 " as numbers, which no client means to send.
 */
const kSchema = z
  .preprocess(
    (value) => (typeof value === "string" && /^[0-9]{1,9}$/.test(value) ? Number(value) : value),
    z
      .number({ message: "must be a whole number from 1 to 100" })
      .int("must be a whole number from 1 to 100")
      .min(1, "must be at least 1")
      .max(maxResults, `must be at most ${maxResults}`),
  )
  .default(10);

const listSchema = z.array(z.string().max(512, "each value must be at most 512 characters")).max(maxListItems, `at most ${maxListItems} values`).default([]);

const dateSchema = z
  .string()
  .refine((value) => parseIsoTimestamp(value) !== null, "must be an ISO 8601 date (2025-03-02) or date-time (2025-03-02T10:15:00Z)")
  .optional();

/** Filters as they appear on the wire (query string or JSON body), snake_case. */
const wireFiltersShape = {
  topics: listSchema,
  exclude_topics: listSchema,
  since: dateSchema,
  until: dateSchema,
  exclude: listSchema,
};

/** A switch in a query string ("true"/"false", "1"/"0") or a JSON boolean. */
const booleanSchema = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1")], {
  message: 'must be "true" or "false"',
});

/** A date bound relative to the query article ("article") or an ISO 8601 date or date-time. */
const relativeDateSchema = z
  .string()
  .refine(
    (value) => value === "article" || parseIsoTimestamp(value) !== null,
    'must be "article" (the query article\'s publication time) or an ISO 8601 date or date-time',
  )
  .optional();

/** Ranking options on the wire (issue 4); see core/related/ranking-options.ts for what each does. */
const wireRankingShape = {
  mode: z.enum(["hybrid", "dense", "lexical"], { message: 'must be "hybrid", "dense" or "lexical"' }).default("hybrid"),
  fold_duplicates: booleanSchema.default(true),
  diversity: z.coerce.number({ message: "must be a number from 0 to 1" }).min(0, "must be from 0 to 1").max(1, "must be from 0 to 1").default(0),
  half_life_days: z.coerce
    .number({ message: "must be a positive number of days" })
    .positive("must be a positive number of days")
    .max(36_500, "must be at most 36500")
    .optional(),
  boost_topics: listSchema,
  min_cosine: z.coerce.number({ message: "must be a number from -1 to 1" }).min(-1, "must be from -1 to 1").max(1, "must be from -1 to 1").optional(),
  explain: booleanSchema.default(false),
};

export const relatedQuerySchema = z
  .object({ k: kSchema, ...wireFiltersShape, ...wireRankingShape, published_before: relativeDateSchema, published_after: relativeDateSchema })
  .strict();
export type RelatedQuery = z.output<typeof relatedQuerySchema>;

/** A page URL as a query parameter: an absolute http(s) URL (normalised by the route). */
const pageUrlSchema = z
  .string({ message: "is required: the page's absolute http(s) URL" })
  .max(4_096, "must be at most 4096 characters")
  .refine((value) => normalizeArticleUrl(value) !== null, "must be an absolute http(s) URL");

/** GET /v1/related?url=: the by-id parameters and the page URL. */
export const relatedByUrlQuerySchema = relatedQuerySchema.extend({ url: pageUrlSchema }).strict();

/** The HTML fragment's extra parameter: show nothing below this many results (default: the site's). */
const minResultsSchema = z.coerce
  .number({ message: "must be a whole number from 1 to 100" })
  .int("must be a whole number from 1 to 100")
  .min(1, "must be at least 1")
  .max(maxResults, `must be at most ${maxResults}`)
  .optional();

/** The fragment's parameters: the list's, with `k` defaulting to the site's widgetK rather than 10. */
export const fragmentQuerySchema = relatedQuerySchema.extend({ k: kSchema.unwrap().optional(), min_results: minResultsSchema }).strict();
export const fragmentByUrlQuerySchema = fragmentQuerySchema.extend({ url: pageUrlSchema }).strict();

/** Maps wire ranking options to core ones (topics normalised). */
export function toRankingOptions(wire: {
  mode: RankingOptions["mode"];
  fold_duplicates: boolean;
  diversity: number;
  half_life_days?: number | undefined;
  boost_topics: string[];
  min_cosine?: number | undefined;
  explain: boolean;
}): RankingOptions {
  return {
    mode: wire.mode,
    foldDuplicates: wire.fold_duplicates,
    diversity: wire.diversity,
    halfLifeDays: wire.half_life_days ?? null,
    boostTopics: normalizeTopics(wire.boost_topics),
    minCosine: wire.min_cosine ?? null,
    topicSignal: true,
    explain: wire.explain,
  };
}

/**
 * `published_before` / `published_after`: "article" becomes a bound at the query article's
 * time (resolved by the engine); a date narrows `until` / `since` (the tighter bound wins).
 */
export function toRelativeDates(query: RelatedQuery, filters: RelatedFilters): { filters: RelatedFilters; relativeDates: RelativeDates } {
  const before = query.published_before;
  const after = query.published_after;
  const absolute = toRelatedFilters({
    topics: [],
    exclude_topics: [],
    exclude: [],
    ...(before === undefined || before === "article" ? {} : { until: before }),
    ...(after === undefined || after === "article" ? {} : { since: after }),
  });
  const tighter = (a: number | null, b: number | null, pick: (x: number, y: number) => number) => (a === null ? b : b === null ? a : pick(a, b));
  return {
    filters: { ...filters, sinceMs: tighter(filters.sinceMs, absolute.sinceMs, Math.max), untilMs: tighter(filters.untilMs, absolute.untilMs, Math.min) },
    relativeDates: { beforeArticle: before === "article", afterArticle: after === "article" },
  };
}

/** POST /v1/related: a text that is not stored (a draft, an analyst's question). */
export function relatedTextBodySchema(maxTextChars: number) {
  return z
    .object({
      text: z.string().trim().min(1, "must not be empty").max(maxTextChars, `must be at most ${maxTextChars} characters`),
      title: z.string().max(2_000, "must be at most 2000 characters").optional(),
      /** The text's language (ISO 639-1, e.g. "de"); detected when absent. */
      lang: z
        .string()
        .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/, 'must be a language code such as "en", "de" or "pt-BR"')
        .optional(),
      k: kSchema,
      filters: z.object(wireFiltersShape).strict().default({ topics: [], exclude_topics: [], exclude: [] }),
      ...wireRankingShape,
    })
    .strict();
}

/** Maps wire filters to core filters. A date-only `until` includes the whole day. */
export function toRelatedFilters(wire: {
  topics: string[];
  exclude_topics: string[];
  since?: string | undefined;
  until?: string | undefined;
  exclude: string[];
}): RelatedFilters {
  const until = wire.until === undefined ? null : parseIsoTimestamp(wire.until)!;
  const untilIsDay = wire.until !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(wire.until.trim());
  const filters: RelatedFilters = {
    topics: normalizeTopics(wire.topics),
    excludeTopics: normalizeTopics(wire.exclude_topics),
    sinceMs: wire.since === undefined ? null : parseIsoTimestamp(wire.since)!,
    untilMs: until === null ? null : untilIsDay ? until + 86_400_000 - 1 : until,
    excludeIds: wire.exclude,
  };
  if (filters.sinceMs !== null && filters.untilMs !== null && filters.sinceMs > filters.untilMs) {
    throw new KindredError("invalid_parameter", `"since" (${wire.since}) is after "until" (${wire.until}).`, { parameter: "since" });
  }
  return filters;
}
