import { Hono } from "hono";
import { KindredError } from "../../core/errors.ts";
import type { KindredEngine } from "../../engine/kindred-engine.ts";
import { presentEntry, presentResult } from "../present.ts";
import type { ServiceState } from "../service-state.ts";
import { parseParameters, queryToObject, relatedQuerySchema, relatedTextBodySchema, toRelatedFilters } from "../wire-schemas.ts";

/** The engine, or a 503 problem while the index is still opening. */
export function readyEngine(state: ServiceState): KindredEngine {
  if (state.engine === null) throw new KindredError("not_ready", `The index is not ready yet (${state.phase}); retry shortly.`, { phase: state.phase });
  return state.engine;
}

/**
 * GET /v1/articles/{id}/related and POST /v1/related: the related-articles queries.
 */
export function relatedRoutes(state: ServiceState, options: { maxQueryTextChars: number; modelId: string }) {
  const app = new Hono();
  const textBodySchema = relatedTextBodySchema(options.maxQueryTextChars);

  app.get("/v1/articles/:id/related", (c) => {
    const started = performance.now();
    const query = parseParameters(relatedQuerySchema, queryToObject(c.req.queries()), "query");
    const engine = readyEngine(state);
    const answer = engine.findRelatedToArticle(c.req.param("id"), { k: query.k, filters: toRelatedFilters(query) });
    return c.json({
      article: presentEntry(answer.article),
      results: answer.results.map(presentResult),
      k: query.k,
      folded_copies: answer.foldedCopies,
      plan: answer.plan,
      model: options.modelId,
      took_ms: Math.round((performance.now() - started) * 1000) / 1000,
    });
  });

  app.post("/v1/related", async (c) => {
    const started = performance.now();
    if (!(c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json")) {
      throw new KindredError("unsupported_media_type", 'Send the query as JSON with "Content-Type: application/json".');
    }
    const raw = await c.req.json().catch(() => {
      throw new KindredError("invalid_body", "The request body is not valid JSON.", { parameter: "(body)" });
    });
    const body = parseParameters(textBodySchema, raw, "body");
    const engine = readyEngine(state);
    const answer = await engine.findRelatedToText(
      { text: body.text, ...(body.title === undefined ? {} : { title: body.title }) },
      { k: body.k, filters: toRelatedFilters(body.filters) },
    );
    return c.json({
      results: answer.results.map(presentResult),
      k: body.k,
      folded_copies: answer.foldedCopies,
      plan: answer.plan,
      model: options.modelId,
      took_ms: Math.round((performance.now() - started) * 1000) / 1000,
    });
  });

  return app;
}
