import { Hono } from "hono";
import { KindredError } from "../../core/errors.ts";
import { presentArticle } from "../present.ts";
import type { ServiceState } from "../service-state.ts";
import { parseParameters, queryToObject } from "../wire-schemas.ts";
import { z } from "zod";
import { readyEngine } from "./related-routes.ts";

const noQuerySchema = z.object({}).strict();

/** GET /v1/articles/{id}: one stored article. */
export function articleRoutes(state: ServiceState) {
  const app = new Hono();
  app.get("/v1/articles/:id", (c) => {
    parseParameters(noQuerySchema, queryToObject(c.req.queries()), "query");
    const id = c.req.param("id");
    const article = readyEngine(state).getArticle(id);
    if (article === null) throw new KindredError("article_not_found", `No article with id "${id}" is indexed.`, { id });
    return c.json(presentArticle(article));
  });
  return app;
}
