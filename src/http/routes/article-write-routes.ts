import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { type FieldIssue, parseArticle } from "../../articles/article-schema.ts";
import type { Article } from "../../core/article.ts";
import { articleNotFoundError, KindredError } from "../../core/errors.ts";
import { describeUrlConflict } from "../../engine/url-conflicts.ts";
import type { WriteOutcome } from "../../store/article-store.ts";
import { parseParameters, queryToObject } from "../../wire/parse-parameters.ts";
import { presentArticle } from "../../wire/present.ts";
import { articleBatchBodySchema, maxBatchArticles, parseArticleBody, parseArticlePatch } from "../article-bodies.ts";
import { limitBody, readJsonBody } from "../request-body.ts";
import { readyEngine, type ServiceState } from "../route-context.ts";

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
/** Milliseconds of validation between yields to the event loop. */
const validateSliceMs = 5;
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
    const record = parseArticleBody(await readJsonBody(c), id, "(an article)");
    const article = validArticle({ ...record, id }, id);
    if (article.id !== id) throw new KindredError("invalid_parameter", `The id in the path ("${id}") must not begin or end with spaces.`, { parameter: "id" });
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
    const patch = parseArticlePatch(await readJsonBody(c, ["application/merge-patch+json", "application/json"]), id);
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
    const { articles: records } = parseParameters(articleBatchBodySchema, await readJsonBody(c), "body");
    if (records.length > maxBatchArticles) {
      throw new KindredError("batch_too_large", `A batch holds at most ${maxBatchArticles} articles; this one has ${records.length}. Split it.`, {
        limit: maxBatchArticles,
      });
    }
    const engine = readyEngine(state);
    const results: BatchResult[] = new Array(records.length);
    let accepted: { index: number; article: Article }[] = [];
    const firstIndexOfId = new Map<string, number>();
    // Validating a thousand records, or a few long ones, is many milliseconds: yield now and
    // then so reads keep being answered (docs/http-api.md, "Concurrency").
    let sliceStarted = performance.now();
    for (const [index, record] of records.entries()) {
      if (performance.now() - sliceStarted > validateSliceMs) {
        await yieldToEventLoop();
        sliceStarted = performance.now();
      }
      const parsed = parseArticle(record);
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

/** Validates with the one article schema; a 400 problem lists every field problem. */
function validArticle(record: Record<string, unknown>, id: string): Article {
  const parsed = parseArticle(record);
  if (parsed.ok) return parsed.article;
  const reasons = parsed.issues.map((issue) => `${issue.field}: ${issue.reason}`).join("; ");
  throw new KindredError("invalid_article", `Article "${id}" is invalid: ${reasons}.`, { parameter: parsed.issues[0]!.field, errors: parsed.issues });
}
