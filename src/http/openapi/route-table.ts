import { z } from "zod";
import { articleRecordSchema } from "../../articles/article-schema.ts";
import { fragmentByUrlQuerySchema, fragmentQuerySchema, relatedByUrlQuerySchema, relatedQuerySchema, relatedTextBodySchema } from "../../wire/related-query.ts";
import { writeQuerySchema } from "../../wire/write-query.ts";
import { articleBatchBodySchema, patchableFields } from "../article-bodies.ts";
import { eventsBodySchema, statsQuerySchema } from "../routes/event-routes.ts";
import { storyQuerySchema } from "../routes/story-routes.ts";
import * as responses from "./response-schemas.ts";

export type Auth = "none" | "read" | "write" | "stats";

/** One documented operation. Paths are OpenAPI templates (`{id}`); Hono's `:id` maps to them. */
export interface RouteDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; contentTypes: string[] };
  ok: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  errors: number[];
}

export const problemStatuses: Record<number, string> = {
  400: "Invalid request (the problem names the parameter)",
  401: "API key required",
  403: "The API key lacks the scope",
  404: "Not found",
  409: "Conflict",
  413: "Body too large",
  415: "Unsupported media type",
  429: "Too many requests (Retry-After)",
  503: "Not ready",
};

/** Query parameters explained once for every route that takes them (docs/http-api.md, "HTTP API"). */
export const parameterDescriptions: Record<string, string> = {
  k: "How many results, 1-100",
  wait: 'true: answer once every process\'s lists hold the write; default: once durable (docs/http-api.md, "Acknowledgement")',
  topics: "Only articles with any of these topics (comma-separated or repeated)",
  exclude_topics: "No article with any of these topics",
  since: "Published on or after (ISO 8601 date or date-time)",
  until: "Published on or before (a date-only value includes the whole day)",
  exclude: "Article ids to leave out (those already on the page)",
  mode: "hybrid (default), dense or lexical",
  fold_duplicates: "Fold copies of one text into one result (default true)",
  diversity: "0-1: re-order for variety (maximal marginal relevance)",
  half_life_days: "Favour recent articles: a result loses up to 1 from its score, half per half-life",
  boost_topics: "Add 1 to the score of results with any of these topics",
  min_cosine: 'Leave out results whose embedding cosine with the query is below this (docs/http-api.md, "Choosing min_cosine")',
  explain: "Each result carries its explanation",
  published_before: '"article" (the query article\'s time) or an ISO 8601 date',
  published_after: '"article" or an ISO 8601 date',
  url: "The page's URL; normalised before lookup (scheme and host case, default port, fragment, tracking parameters, trailing slash)",
  min_results: "Render nothing when fewer results than this pass the floor (default: the site's widgetMinResults)",
  from: "First day, YYYY-MM-DD (UTC; default 29 days before `to`)",
  to: "Last day, YYYY-MM-DD (UTC; default today)",
};

const readErrors = [400, 401, 403, 404, 503];
const writeErrors = [400, 401, 403, 404, 409, 413, 415, 503];

/** PATCH: the metadata fields of the one article schema, each optional (null clears). */
const articlePatchSchema = z
  .object(Object.fromEntries(patchableFields.map((field) => [field, articleRecordSchema.shape[field]])))
  .partial()
  .strict();

/** Every route kindred serves, with the schemas that validate it. The OpenAPI test checks this list against the app. */
export function documentedRoutes(maxQueryTextChars: number): RouteDoc[] {
  const list = { status: 200, description: "The related list (ETag; 304 to a matching If-None-Match)", schema: responses.relatedListSchema };
  const fragment = { status: 200, description: "The widget's markup (empty when fewer than min_results pass the floor); ETag, 304", contentType: "text/html" };
  return [
    {
      method: "get",
      path: "/healthz",
      summary: "The process is alive",
      tag: "operations",
      auth: "none",
      ok: { status: 200, description: "Alive", schema: responses.healthSchema },
      errors: [],
    },
    {
      method: "get",
      path: "/readyz",
      summary: "The index is open (503 with progress while not)",
      tag: "operations",
      auth: "none",
      ok: { status: 200, description: "Ready, with counts", schema: responses.readySchema },
      errors: [503],
    },
    {
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      tag: "operations",
      auth: "none",
      ok: { status: 200, description: "Prometheus text format", contentType: "text/plain" },
      errors: [],
    },
    {
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      tag: "operations",
      auth: "none",
      ok: { status: 200, description: "OpenAPI 3.1", contentType: "application/json" },
      errors: [],
    },
    {
      method: "get",
      path: "/docs",
      summary: "The API reference page",
      tag: "operations",
      auth: "none",
      ok: { status: 200, description: "HTML", contentType: "text/html" },
      errors: [],
    },
    {
      method: "get",
      path: "/",
      summary: "The analysts' workbench",
      tag: "analysts",
      auth: "none",
      ok: { status: 200, description: "HTML", contentType: "text/html" },
      errors: [],
    },
    {
      method: "get",
      path: "/workbench/workbench.js",
      summary: "The workbench's script",
      tag: "analysts",
      auth: "none",
      ok: { status: 200, description: "JavaScript", contentType: "text/javascript" },
      errors: [],
    },
    {
      method: "get",
      path: "/workbench/workbench.css",
      summary: "The workbench's styles",
      tag: "analysts",
      auth: "none",
      ok: { status: 200, description: "CSS", contentType: "text/css" },
      errors: [],
    },
    {
      method: "get",
      path: "/v1/articles/{id}/story",
      summary: "The article's story thread: the stored articles about the same event, in time order",
      tag: "analysts",
      auth: "read",
      query: storyQuerySchema,
      ok: { status: 200, description: "The thread (ETag)", schema: responses.storySchema },
      errors: readErrors,
    },
    {
      method: "get",
      path: "/widget.js",
      summary: "The embeddable widget (<kindred-related url=... k=5>)",
      tag: "news pages",
      auth: "none",
      ok: { status: 200, description: "JavaScript", contentType: "text/javascript" },
      errors: [],
    },
    {
      method: "get",
      path: "/v1/articles/{id}/related",
      summary: "Articles related to a stored article",
      tag: "related",
      auth: "read",
      query: relatedQuerySchema,
      ok: list,
      errors: readErrors,
    },
    {
      method: "get",
      path: "/v1/related",
      summary: "Articles related to the article at a page URL",
      tag: "related",
      auth: "read",
      query: relatedByUrlQuerySchema,
      ok: list,
      errors: readErrors,
    },
    {
      method: "post",
      path: "/v1/related",
      summary: "Articles related to a text that is not stored",
      tag: "related",
      auth: "read",
      body: { schema: relatedTextBodySchema(maxQueryTextChars), contentTypes: ["application/json"] },
      ok: { status: 200, description: "The related list", schema: responses.relatedTextListSchema },
      errors: [400, 401, 403, 413, 415, 503],
    },
    {
      method: "get",
      path: "/v1/articles/{id}/related.html",
      summary: "The related list as an HTML fragment (AMP, no-JavaScript pages, edge includes)",
      tag: "news pages",
      auth: "read",
      query: fragmentQuerySchema,
      ok: fragment,
      errors: readErrors,
    },
    {
      method: "get",
      path: "/v1/related.html",
      summary: "The HTML fragment for the article at a page URL",
      tag: "news pages",
      auth: "read",
      query: fragmentByUrlQuerySchema,
      ok: fragment,
      errors: readErrors,
    },
    {
      method: "get",
      path: "/v1/articles/{id}",
      summary: "One stored article",
      tag: "articles",
      auth: "read",
      query: z.object({}).strict(),
      ok: { status: 200, description: "The article (ETag)", schema: responses.articleSchema },
      errors: readErrors,
    },
    {
      method: "put",
      path: "/v1/articles/{id}",
      summary: "Create or replace an article (202 once durable; with wait=true, 201 the first time)",
      tag: "articles",
      auth: "write",
      query: writeQuerySchema,
      body: { schema: z.object({ ...articleRecordSchema.shape, id: articleRecordSchema.shape.id.optional() }), contentTypes: ["application/json"] },
      ok: {
        status: 202,
        description: "Accepted: durable, in the lists shortly (with wait=true: 200 updated or unchanged, 201 with Location when created)",
        schema: responses.writeResultSchema,
      },
      errors: writeErrors,
    },
    {
      method: "patch",
      path: "/v1/articles/{id}",
      summary: "Change an article's metadata without re-embedding (JSON merge patch)",
      tag: "articles",
      auth: "write",
      query: writeQuerySchema,
      body: { schema: articlePatchSchema, contentTypes: ["application/merge-patch+json", "application/json"] },
      ok: { status: 200, description: "Updated or unchanged", schema: responses.writeResultSchema },
      errors: writeErrors,
    },
    {
      method: "delete",
      path: "/v1/articles/{id}",
      summary: "Delete an article",
      tag: "articles",
      auth: "write",
      query: writeQuerySchema,
      ok: { status: 204, description: "Deleted" },
      errors: [401, 403, 404, 503],
    },
    {
      method: "post",
      path: "/v1/articles:batch",
      summary: "Create, replace or confirm up to 1,000 articles, with a result per article",
      tag: "articles",
      auth: "write",
      query: writeQuerySchema,
      body: { schema: articleBatchBodySchema.extend({ articles: z.array(articleRecordSchema).max(1_000) }), contentTypes: ["application/json"] },
      ok: {
        status: 202,
        description: "A result per article: accepted or rejected (with wait=true, 200: created, updated, unchanged or rejected)",
        schema: responses.batchResultSchema,
      },
      errors: [400, 401, 403, 413, 415, 503],
    },
    {
      method: "post",
      path: "/v1/events",
      summary: "Count impressions and clicks of a related list (what the widget sends with sendBeacon)",
      tag: "news pages",
      auth: "none",
      body: { schema: eventsBodySchema, contentTypes: ["text/plain", "application/json"] },
      ok: { status: 204, description: "Counted" },
      errors: [400, 413, 415, 429, 503],
    },
    {
      method: "get",
      path: "/v1/stats",
      summary: "Click-through rates by placement and position",
      tag: "news pages",
      auth: "stats",
      query: statsQuerySchema,
      ok: { status: 200, description: "CTR by placement and position", schema: responses.statsSchema },
      errors: [400, 401, 403, 503],
    },
  ];
}
