import { type Context, Hono } from "hono";
import { sha256Base64Url } from "../../core/content-hash.ts";
import { KindredError } from "../../core/errors.ts";
import { normalizeArticleUrl } from "../../core/urls/normalize-article-url.ts";
import type { ArticleRelatedAnswer, KindredEngine } from "../../engine/kindred-engine.ts";
import { renderRelatedMarkup } from "../../widget/related-markup.js";
import { parseParameters, queryToObject } from "../../wire/parse-parameters.ts";
import { presentEntry, presentResult } from "../../wire/present.ts";
import {
  fragmentByUrlQuerySchema,
  fragmentQuerySchema,
  type RelatedQuery,
  relatedByUrlQuerySchema,
  relatedQuerySchema,
  relatedTextBodySchema,
  toRankingOptions,
  toRelatedFilters,
  toRelativeDates,
} from "../../wire/related-query.ts";
import { entityTagOf, respondCacheable } from "../http-caching.ts";
import { readJsonBody } from "../request-body.ts";
import { type ReadRouteOptions, readyEngine, type ServiceState } from "../route-context.ts";
import type { WidgetDefaults } from "../widget-script.ts";

/** A presented list: its JSON without the closing brace (so `took_ms` can follow), its tag and content. */
interface PresentedList {
  contentJsonOpen: string;
  etag: string;
  content: { recommendation_id: string; results: ReturnType<typeof presentResult>[] };
}

export interface RelatedRouteOptions extends ReadRouteOptions {
  maxQueryTextChars: number;
  widget: WidgetDefaults;
}

/**
 * The related-articles queries: by id (GET /v1/articles/{id}/related), by page URL (GET
 * /v1/related?url=), by text (POST /v1/related), and the same lists as HTML fragments
 * (`related.html`). Lists carry a weak ETag over their content and answer 304 to a matching
 * If-None-Match; `X-Kindred-Cache` says whether the engine's result cache answered. Each list
 * carries a `recommendation_id`, a digest of its content, that impression and click events
 * name: the same list gets the same id, so it stays cacheable.
 */
export function relatedRoutes(state: ServiceState, options: RelatedRouteOptions) {
  const app = new Hono();
  const textBodySchema = relatedTextBodySchema(options.maxQueryTextChars);
  // A cached answer is presented, serialized and hashed once.
  const presented = new WeakMap<ArticleRelatedAnswer, PresentedList>();

  const listFor = async (id: string, query: RelatedQuery): Promise<{ view: PresentedList; cacheStatus: "hit" | "miss" }> => {
    const engine = readyEngine(state);
    const { filters, relativeDates } = toRelativeDates(query, toRelatedFilters(query));
    const request = { k: query.k, filters, relativeDates, ranking: toRankingOptions(query) };
    const answer = await engine.findRelatedToArticleAsync(id, request);
    const known = presented.get(answer);
    if (known !== undefined) return { view: known, cacheStatus: "hit" };
    const listed = {
      article: presentEntry(answer.article),
      results: answer.results.map(presentResult),
      k: query.k,
      mode: answer.mode,
      folded_copies: answer.foldedCopies,
      plan: answer.plan,
      model: engine.modelId,
    };
    const recommendationId = sha256Base64Url(JSON.stringify(listed)).slice(0, 22);
    const content = { ...listed, recommendation_id: recommendationId };
    const contentJson = JSON.stringify(content);
    const view = { contentJsonOpen: contentJson.slice(0, -1), etag: entityTagOf(contentJson), content };
    // Only an answer the engine's cache keeps can come back. Another entered here would only cost:
    // the WeakMap's table is in the old generation, and young-generation collections keep what it
    // holds alive until a full collection (docs/performance.md, "What kept a computed list's pool alive").
    if (engine.cachesRelatedLists(request)) presented.set(answer, view);
    return { view, cacheStatus: "miss" };
  };

  const respondList = async (c: Context, id: string, query: RelatedQuery) => {
    const started = performance.now();
    const { view, cacheStatus } = await listFor(id, query);
    const tookMs = Math.round((performance.now() - started) * 1000) / 1000;
    return respondCacheable(c, `${view.contentJsonOpen},"took_ms":${tookMs}}`, view.etag, options.cachePolicy, { "x-kindred-cache": cacheStatus });
  };

  /** The fragment: the widget's markup, empty when fewer than `min_results` pass the floor. */
  const respondFragment = async (c: Context, id: string, query: Omit<RelatedQuery, "k"> & { k?: number | undefined; min_results?: number | undefined }) => {
    const withFloor = { ...query, k: query.k ?? options.widget.k, min_cosine: query.min_cosine ?? options.widget.minCosine };
    const { view, cacheStatus } = await listFor(id, withFloor);
    const minResults = query.min_results ?? options.widget.minResults;
    const html = renderRelatedMarkup(view.content, { minResults, heading: options.widget.heading });
    const etag = entityTagOf(`${view.etag}|${minResults}|${options.widget.heading}`);
    return respondCacheable(c, html, etag, options.cachePolicy, { "x-kindred-cache": cacheStatus }, "text/html; charset=utf-8");
  };

  app.get("/v1/articles/:id/related", options.readAuth, (c) =>
    respondList(c, c.req.param("id"), parseParameters(relatedQuerySchema, queryToObject(c.req.queries()), "query")),
  );

  app.get("/v1/related", options.readAuth, (c) => {
    const { url, ...query } = parseParameters(relatedByUrlQuerySchema, queryToObject(c.req.queries()), "query");
    return respondList(c, idOfUrl(readyEngine(state), url), query);
  });

  app.get("/v1/articles/:id/related.html", options.readAuth, (c) =>
    respondFragment(c, c.req.param("id"), parseParameters(fragmentQuerySchema, queryToObject(c.req.queries()), "query")),
  );

  app.get("/v1/related.html", options.readAuth, (c) => {
    const { url, ...query } = parseParameters(fragmentByUrlQuerySchema, queryToObject(c.req.queries()), "query");
    return respondFragment(c, idOfUrl(readyEngine(state), url), query);
  });

  app.post("/v1/related", options.readAuth, async (c) => {
    const started = performance.now();
    const body = parseParameters(textBodySchema, await readJsonBody(c), "body");
    const engine = readyEngine(state);
    const answer = await engine.findRelatedToText(
      { text: body.text, ...(body.title === undefined ? {} : { title: body.title }), ...(body.lang === undefined ? {} : { lang: body.lang }) },
      { k: body.k, filters: toRelatedFilters(body.filters), ranking: toRankingOptions(body) },
    );
    return c.json({
      results: answer.results.map(presentResult),
      k: body.k,
      mode: answer.mode,
      folded_copies: answer.foldedCopies,
      plan: answer.plan,
      model: engine.modelId,
      lang: answer.language.code,
      lang_source: answer.language.source,
      ...(answer.warnings.length === 0 ? {} : { warnings: answer.warnings }),
      took_ms: Math.round((performance.now() - started) * 1000) / 1000,
    });
  });

  return app;
}

/** The id of the article at a page URL; 404 naming the normalised URL looked for. */
function idOfUrl(engine: KindredEngine, url: string): string {
  const normalized = normalizeArticleUrl(url)!;
  const id = engine.findIdByUrl(normalized);
  if (id === undefined) {
    throw new KindredError(
      "url_not_found",
      `No article has the URL ${normalized} (normalised from the one given: scheme and host in lower case, no default port, fragment, tracking parameters or trailing slash).`,
      {
        url: normalized,
      },
    );
  }
  return id;
}
