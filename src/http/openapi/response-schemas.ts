import { z } from "zod";

/**
 * What kindred answers, as zod schemas, for the OpenAPI document only (requests are validated
 * by the schemas in wire/related-query.ts, http/article-bodies.ts, article-schema.ts and the
 * event and story routes, which the document uses as they are). Kept beside the presenters'
 * output by the OpenAPI test, which validates real responses against them.
 */
const nullableString = z.string().nullable();

export const articleSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  url: nullableString,
  topics: z.array(z.string()),
  published_at: nullableString,
  image_url: nullableString,
  section: nullableString,
  author: nullableString,
});

const explanationSchema = z.object({
  parts: z.object({
    dense: z.number(),
    lexical: z.number(),
    proximity: z.number(),
    topics: z.number(),
    boost: z.number(),
    recency: z.number(),
    neighbours: z.number(),
  }),
  cosine: z.number(),
  bm25: z.number(),
  shared_topics: z.array(z.string()),
  shared_terms: z.array(z.string()),
  boosted_topics: z.array(z.string()),
  folded: z.array(z.string()),
});

export const relatedResultSchema = articleSummarySchema.extend({
  score: z.number().meta({ description: 'The fused score (hybrid), the cosine (dense) or BM25 (lexical); docs/http-api.md, "Scores"' }),
  cosine: z.number().min(-1).max(1).optional(),
  explanation: explanationSchema.optional(),
});

const listShape = {
  results: z.array(relatedResultSchema),
  k: z.number().int(),
  mode: z.enum(["hybrid", "dense", "lexical"]),
  folded_copies: z.number().int(),
  plan: z.string(),
  model: z.string(),
  took_ms: z.number(),
};

export const relatedListSchema = z.object({
  article: articleSummarySchema,
  ...listShape,
  recommendation_id: z.string().meta({ description: "Names this list in POST /v1/events (a digest of the list: the same list, the same id)" }),
});

export const relatedTextListSchema = z.object({
  ...listShape,
  lang: nullableString.meta({ description: "The text's language, given or detected" }),
  lang_source: z.enum(["given", "detected"]).nullable(),
  warnings: z
    .array(z.string())
    .optional()
    .meta({ description: "Why the list may be less than it seems: a language the model does not read, a text of one word" }),
});

export const storySchema = z.object({
  article: articleSummarySchema,
  thread: z.array(
    articleSummarySchema.extend({
      relation: z.enum(["earlier", "later", "copy", "undated"]),
      same_story: z.number().meta({ description: "The same-story score in [0, 1]; members are at or above `threshold`" }),
      cosine: z.number(),
      days_apart: z.number().nullable(),
    }),
  ),
  counts: z.object({ earlier: z.number().int(), later: z.number().int(), copy: z.number().int(), undated: z.number().int() }),
  since: nullableString,
  before_since: z.number().int(),
  threshold: z.number(),
  model: z.string(),
  took_ms: z.number(),
});

export const articleSchema = articleSummarySchema.omit({}).extend({ text: z.string(), lang: nullableString, source: nullableString });

export const writeResultSchema = z.object({
  id: z.string(),
  /** accepted: durable, indexed shortly (202); superseded: a later write of the article was stored instead (wait=true). */
  status: z.enum(["accepted", "created", "updated", "unchanged", "superseded"]),
  /** With 202: the journal sequence number of this write (later writes of any article have higher ones). */
  version: z.number().int().optional(),
});

export const batchResultSchema = z.object({
  results: z.array(
    z.object({
      index: z.number().int(),
      id: nullableString,
      status: z.enum(["accepted", "created", "updated", "unchanged", "superseded", "rejected"]),
      version: z.number().int().optional(),
      errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
    }),
  ),
  accepted: z.number().int().optional(),
  created: z.number().int().optional(),
  updated: z.number().int().optional(),
  unchanged: z.number().int().optional(),
  superseded: z.number().int().optional(),
  rejected: z.number().int(),
});

const rateShape = { impressions: z.number().int(), clicks: z.number().int(), ctr: z.number().nullable() };
export const statsSchema = z.object({
  from: z.string(),
  to: z.string(),
  totals: z.object(rateShape),
  placements: z.array(z.object({ placement: z.string(), ...rateShape, positions: z.array(z.object({ position: z.number().int(), ...rateShape })) })),
});

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    parameter: z.string().optional(),
    request_id: z.string().optional(),
  })
  .meta({ description: "RFC 9457 problem details" });

export const healthSchema = z.object({ status: z.literal("ok") });
export const readySchema = z.object({ status: z.enum(["ready", "not_ready"]) }).catchall(z.unknown());
