import { Hono } from "hono";
import { z } from "zod";
import { articleNotFoundError } from "../../core/errors.ts";
import { parseParameters, queryToObject } from "../../wire/parse-parameters.ts";
import { presentArticle } from "../../wire/present.ts";
import { entityTagOf, respondCacheable } from "../http-caching.ts";
import { type ReadRouteOptions, readyEngine, type ServiceState } from "../route-context.ts";

const noQuerySchema = z.object({}).strict();

/** GET /v1/articles/{id}: one stored article, with an ETag (304 when unchanged). */
export function articleRoutes(state: ServiceState, options: ReadRouteOptions) {
  const app = new Hono();
  app.get("/v1/articles/:id", options.readAuth, async (c) => {
    parseParameters(noQuerySchema, queryToObject(c.req.queries()), "query");
    const id = c.req.param("id");
    const article = await readyEngine(state).readArticle(id);
    if (article === null) throw articleNotFoundError(id);
    const body = presentArticle(article);
    const bodyJson = JSON.stringify(body);
    return respondCacheable(c, bodyJson, entityTagOf(bodyJson), options.cachePolicy);
  });
  return app;
}
