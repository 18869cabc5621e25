import { z } from "zod";
import { articleRecordSchema } from "../../articles/article-schema.ts";
import { fragmentByUrlQuerySchema, fragmentQuerySchema, relatedByUrlQuerySchema, relatedQuerySchema, relatedTextBodySchema } from "../../wire/related-query.ts";
import { articleBatchBodySchema, patchableFields } from "../article-bodies.ts";
import { eventsBodySchema, statsQuerySchema } from "../routes/event-routes.ts";
import { storyQuerySchema } from "../routes/story-routes.ts";
import * as responses from "./response-schemas.ts";

type Auth = "none" | "read" | "write" | "stats";

/** One documented operation. Paths are OpenAPI templates (`{id}`); Hono's `:id` maps to them. */
interface RouteDoc {
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

const problemStatuses: Record<number, string> = {
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
const parameterDescriptions: Record<string, string> = {
  k: "How many results, 1-100",
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
      summary: "Create or replace an article (201 the first time)",
      tag: "articles",
      auth: "write",
      body: { schema: z.object({ ...articleRecordSchema.shape, id: articleRecordSchema.shape.id.optional() }), contentTypes: ["application/json"] },
      ok: { status: 200, description: "Updated or unchanged (201 with Location when created)", schema: responses.writeResultSchema },
      errors: writeErrors,
    },
    {
      method: "patch",
      path: "/v1/articles/{id}",
      summary: "Change an article's metadata without re-embedding (JSON merge patch)",
      tag: "articles",
      auth: "write",
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
      ok: { status: 204, description: "Deleted" },
      errors: [401, 403, 404, 503],
    },
    {
      method: "post",
      path: "/v1/articles:batch",
      summary: "Create, replace or confirm up to 1,000 articles, with a result per article",
      tag: "articles",
      auth: "write",
      body: { schema: articleBatchBodySchema.extend({ articles: z.array(articleRecordSchema).max(1_000) }), contentTypes: ["application/json"] },
      ok: { status: 200, description: "A result per article", schema: responses.batchResultSchema },
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

const toJson = (schema: z.ZodType) => {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
  return json;
};

/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate the requests (JSON
 * Schema 2020-12 is OpenAPI 3.1's schema dialect, so `z.toJSONSchema` output goes in as it is).
 *
 * @example
 *   const document = buildOpenApiDocument({ maxQueryTextChars: 20_000 });
 */
export function buildOpenApiDocument(options: { maxQueryTextChars: number; version?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of documentedRoutes(options.maxQueryTextChars)) {
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1]!, in: "path", required: true, schema: { type: "string" } }));
    const querySchema =
      route.query === undefined ? null : (toJson(route.query) as { properties?: Record<string, Record<string, unknown>>; required?: string[] });
    const queryParameters = Object.entries(querySchema?.properties ?? {}).map(([name, schema]) => ({
      name,
      in: "query",
      required: querySchema?.required?.includes(name) ?? false,
      ...(parameterDescriptions[name] === undefined ? {} : { description: parameterDescriptions[name] }),
      schema,
      ...(schema.type === "array" ? { style: "form", explode: true } : {}),
    }));
    const security = route.auth === "none" ? [] : [{ bearer: [] }, { apiKeyHeader: [] }];
    const ok = route.ok;
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, next: string | undefined) => (next ?? "").toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth === "none" ? {} : { security, description: authDescription(route.auth) }),
      parameters: [...pathParameters, ...queryParameters],
      ...(route.body === undefined
        ? {}
        : {
            requestBody: { required: true, content: Object.fromEntries(route.body.contentTypes.map((type) => [type, { schema: toJson(route.body!.schema) }])) },
          }),
      responses: {
        [String(ok.status)]: {
          description: ok.description,
          ...(ok.schema !== undefined
            ? { content: { "application/json": { schema: toJson(ok.schema) } } }
            : ok.contentType !== undefined
              ? { content: { [ok.contentType]: { schema: { type: "string" } } } }
              : {}),
        },
        ...Object.fromEntries(route.errors.map((status) => [String(status), { $ref: `#/components/responses/problem${status}` }])),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "kindred",
      version: options.version ?? "0.1.0",
      description: "Self-hosted related news: related articles by id, page URL or text, the widget and its HTML fragment, impressions and clicks.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: 'An API key (docs/http-api.md, "API keys")' },
        apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
      schemas: { Problem: toJson(responses.problemSchema) },
      responses: Object.fromEntries(
        Object.entries(problemStatuses).map(([status, description]) => [
          `problem${status}`,
          { description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
        ]),
      ),
    },
  };
}

function authDescription(auth: Exclude<Auth, "none">): string {
  if (auth === "write") return "Needs an API key with the write scope.";
  if (auth === "stats") return "Needs an API key that may read once any key is configured.";
  return "Public unless readsRequireKey is set; then an API key that may read.";
}
