import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import type { FieldIssue } from "../../articles/article-schema.ts";
import type { Article } from "../../core/article.ts";
import { articleNotFoundError } from "../../core/errors.ts";
import { describeUrlConflict } from "../../engine/url-conflicts.ts";
import type { WriteOutcome } from "../../store/article-store.ts";
import { parseParameters, queryToObject } from "../../wire/parse-parameters.ts";
import { presentArticle } from "../../wire/present.ts";
import { parseArticlePatch } from "../article-bodies.ts";
import { limitBody } from "../request-body.ts";
import { readyEngine, type ServiceState } from "../route-context.ts";
import { validArticle } from "../write-body.ts";
import { readArticleWriteBody, readBatchWriteBody, readJsonWriteBody } from "../write-body-parser.ts";

export interface ArticleWriteRouteOptions {
  /** The API-key check for the write scope. */
  writeAuth: MiddlewareHandler;
  maxWriteRequestBytes: number;
}

/** One article's fate in a batch. */
type BatchResult =
  | { index: number; id: string; status: WriteOutcome["status"] }
  | { index: number; id: string | null; status: "rejected"; errors: FieldIssue[] };

const noQuerySchema = z.object({}).strict();
const noStore = { "cache-control": "no-store" };

/**
 * The write API: PUT (create or replace), PATCH (metadata), DELETE one article, and POST
 * /v1/articles:batch for up to 1,000. Every route needs a key with the write scope; a write is
 * answered only once committed to the database (and applied to the indexes), so an
 * acknowledged write survives a crash.
 */
export function articleWriteRoutes(state: ServiceState, options: ArticleWriteRouteOptions) {
  const app = new Hono();
  const guard = [options.writeAuth, limitBody(options.maxWriteRequestBytes)] as const;

  app.put("/v1/articles/:id", ...guard, async (c) => {
    parseParameters(noQuerySchema, queryToObject(c.req.queries()), "query");
    const id = c.req.param("id");
    // Parsed, validated and cleaned off the event loop when large (write-body-parser.ts).
    const article = await readArticleWriteBody(c, id);
    const [outcome] = await readyEngine(state).writeArticles([article]);
    const created = outcome!.status === "created";
    return c.json({ id, status: outcome!.status }, created ? 201 : 200, {
      ...noStore,
      ...(created ? { location: `/v1/articles/${encodeURIComponent(id)}` } : {}),
    });
  });

  app.patch("/v1/articles/:id", ...guard, async (c) => {
    parseParameters(noQuerySchema, queryToObject(c.req.queries()), "query");
    const id = c.req.param("id");
    const patch = parseArticlePatch(await readJsonWriteBody(c, ["application/merge-patch+json", "application/json"]), id);
    const outcome = await readyEngine(state).updateArticleMetadata(id, (current) => validArticle({ ...presentArticle(current), ...patch }, id));
    if (outcome === null) throw articleNotFoundError(id);
    return c.json({ id, status: outcome.status }, 200, noStore);
  });

  app.delete("/v1/articles/:id", ...guard, async (c) => {
    parseParameters(noQuerySchema, queryToObject(c.req.queries()), "query");
    const id = c.req.param("id");
    if (!(await readyEngine(state).deleteArticle(id))) throw articleNotFoundError(id);
    return c.body(null, 204, noStore);
  });

  app.post("/v1/articles:batch", ...guard, async (c) => {
    parseParameters(noQuerySchema, queryToObject(c.req.queries()), "query");
    // Each record validated and its text cleaned, off the event loop when the body is large (write-body-parser.ts).
    const records = await readBatchWriteBody(c);
    const engine = readyEngine(state);
    const results: BatchResult[] = new Array(records.length);
    let accepted: { index: number; article: Article }[] = [];
    const firstIndexOfId = new Map<string, number>();
    for (const [index, parsed] of records.entries()) {
      if (!parsed.ok) {
        results[index] = { index, id: parsed.id, status: "rejected", errors: parsed.issues };
        continue;
      }
      const { id } = parsed.article;
      const earlier = firstIndexOfId.get(id);
      if (earlier !== undefined) {
        results[index] = {
          index,
          id,
          status: "rejected",
          errors: [{ field: "id", reason: `repeats the article at index ${earlier}; send each id once per batch` }],
        };
        continue;
      }
      firstIndexOfId.set(id, index);
      accepted.push({ index, article: parsed.article });
    }
    // One article whose URL another has is rejected alone (engine/url-conflicts.ts).
    const conflicts = engine.findUrlConflicts(accepted.map((item) => item.article));
    for (const conflict of conflicts) {
      const item = accepted[conflict.index]!;
      results[item.index] = { index: item.index, id: item.article.id, status: "rejected", errors: [{ field: "url", reason: describeUrlConflict(conflict) }] };
    }
    const conflicting = new Set(conflicts.map((conflict) => conflict.index));
    accepted = accepted.filter((_item, position) => !conflicting.has(position));
    const outcomes = accepted.length === 0 ? [] : await engine.writeArticles(accepted.map((item) => item.article));
    accepted.forEach((item, position) => {
      results[item.index] = { index: item.index, id: item.article.id, status: outcomes[position]!.status };
    });
    const count = (status: BatchResult["status"]) => results.filter((result) => result.status === status).length;
    return c.json({ results, created: count("created"), updated: count("updated"), unchanged: count("unchanged"), rejected: count("rejected") }, 200, noStore);
  });

  return app;
}
