import { Hono } from "hono";
import { z } from "zod";
import { KindredError } from "../../core/errors.ts";
import type { ReadRouteOptions } from "../app.ts";
import { entityTagOf, respondCacheable } from "../http-caching.ts";
import { presentArticle } from "../present.ts";
import type { ServiceState } from "../service-state.ts";
import { parseParameters, queryToObject } from "../wire-schemas.ts";
import { readyEngine } from "./related-routes.ts";

const noQuerySchema = z.object({}).strict();

/** GET /v1/articles/{id}: one stored article, with an ETag (304 when unchanged). */
export function articleRoutes(state: ServiceState, options: ReadRouteOptions) {
  const app = new Hono();
  app.get("/v1/articles/:id", options.readAuth, async (c) => {
    parseParameters(noQuerySchema, queryToObject(c.req.queries()), "query");
    const id = c.req.param("id");
    const article = await readyEngine(state).readArticle(id);
    if (article === null) throw new KindredError("article_not_found", `No article with id "${id}" is indexed.`, { id });
    const body = presentArticle(article);
    const bodyJson = JSON.stringify(body);
    return respondCacheable(c, bodyJson, entityTagOf(bodyJson), options.cachePolicy);
  });
  return app;
}
