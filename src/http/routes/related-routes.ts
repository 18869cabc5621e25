import { Hono } from "hono";
import { KindredError } from "../../core/errors.ts";
import type { ArticleRelatedAnswer, KindredEngine } from "../../engine/kindred-engine.ts";
import type { ReadRouteOptions } from "../app.ts";
import { entityTagOf, respondCacheable } from "../http-caching.ts";
import { presentEntry, presentResult } from "../present.ts";
import { readJsonBody } from "../request-body.ts";
import type { ServiceState } from "../service-state.ts";
import { parseParameters, queryToObject, relatedQuerySchema, relatedTextBodySchema, toRankingOptions, toRelatedFilters, toRelativeDates } from "../wire-schemas.ts";

/** The engine, or a 503 problem while the index is still opening. */
export function readyEngine(state: ServiceState): KindredEngine {
  if (state.engine === null) throw new KindredError("not_ready", `The index is not ready yet (${state.phase}); retry shortly.`, { phase: state.phase });
  return state.engine;
}

/**
 * GET /v1/articles/{id}/related and POST /v1/related: the related-articles queries. Lists by
 * id carry a weak ETag over their content and answer 304 to a matching If-None-Match;
 * `X-Kindred-Cache` says whether the engine's result cache answered.
 */
export function relatedRoutes(state: ServiceState, options: { maxQueryTextChars: number } & ReadRouteOptions) {
  const app = new Hono();
  const textBodySchema = relatedTextBodySchema(options.maxQueryTextChars);
  /**
   * The serialized list (without its closing brace, so `took_ms` can follow) and its tag, per
   * answer: a cached answer is presented, serialized and hashed once.
   */
  const presented = new WeakMap<ArticleRelatedAnswer, { contentJsonOpen: string; etag: string }>();

  app.get("/v1/articles/:id/related", options.readAuth, (c) => {
    const started = performance.now();
    const query = parseParameters(relatedQuerySchema, queryToObject(c.req.queries()), "query");
    const engine = readyEngine(state);
    const { filters, relativeDates } = toRelativeDates(query, toRelatedFilters(query));
    const answer = engine.findRelatedToArticle(c.req.param("id"), { k: query.k, filters, relativeDates, ranking: toRankingOptions(query) });
    let view = presented.get(answer);
    const cacheStatus = view === undefined ? "miss" : "hit";
    if (view === undefined) {
      const content = {
        article: presentEntry(answer.article),
        results: answer.results.map(presentResult),
        k: query.k,
        mode: answer.mode,
        folded_copies: answer.foldedCopies,
        plan: answer.plan,
        model: engine.modelId,
      };
      const contentJson = JSON.stringify(content);
      view = { contentJsonOpen: contentJson.slice(0, -1), etag: entityTagOf(contentJson) };
      presented.set(answer, view);
    }
    const tookMs = Math.round((performance.now() - started) * 1000) / 1000;
    return respondCacheable(c, `${view.contentJsonOpen},"took_ms":${tookMs}}`, view.etag, options.cachePolicy, { "x-kindred-cache": cacheStatus });
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
