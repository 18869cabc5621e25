import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { FieldIssue } from "../../articles/article-schema.ts";
import type { Article } from "../../core/article.ts";
import { articleNotFoundError } from "../../core/errors.ts";
import type { KindredEngine } from "../../engine/kindred-engine.ts";
import { describeUrlConflict } from "../../engine/url-conflicts.ts";
import type { WriteOutcome } from "../../store/article-store.ts";
import { urlTakenError } from "../../store/url-taken-error.ts";
import { parseParameters, queryToObject } from "../../wire/parse-parameters.ts";
import { presentArticle } from "../../wire/present.ts";
import { writeQuerySchema } from "../../wire/write-query.ts";
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
  | { index: number; id: string; status: WriteOutcome["status"] | "superseded" }
  | { index: number; id: string; status: "accepted"; version: number }
  | { index: number; id: string | null; status: "rejected"; errors: FieldIssue[] };

/** Whether this write's answer waits for the indexes: asked for, or a store that cannot journal writes (PostgreSQL). */
function waitsForIndexes(c: Context, state: ServiceState): boolean {
  const { wait } = parseParameters(writeQuerySchema, queryToObject(c.req.queries()), "query");
  return wait === "true" || !readyEngine(state).acceptsWritesBeforeIndexing;
}
const noStore = { "cache-control": "no-store" };

/**
 * The write API: PUT (create or replace), PATCH (metadata), DELETE one article, and POST
 * /v1/articles:batch for up to 1,000. Every route needs a key with the write scope. An
 * acknowledged write survives a crash: a PUT or batch is answered 202 once its articles are
 * journaled, and embedded and indexed in the background (engine/accepted-writes.ts); with
 * `wait=true`, once every process's lists hold it. A DELETE is journaled and answered 202 the
 * same way (applied in the background, ahead of any later write of the article); with
 * `wait=true`, 204 once committed and in every process's indexes. PATCH needs no model and is
 * answered once committed and in this process's indexes.
 */
export function articleWriteRoutes(state: ServiceState, options: ArticleWriteRouteOptions) {
  const app = new Hono();
  const guard = [options.writeAuth, limitBody(options.maxWriteRequestBytes)] as const;

  app.put("/v1/articles/:id", ...guard, async (c) => {
    const wait = waitsForIndexes(c, state);
    const id = c.req.param("id");
    // Parsed, validated and cleaned off the event loop when large (write-body-parser.ts).
    const article = await readArticleWriteBody(c, id);
    const engine = readyEngine(state);
    if (!wait) {
      const [conflict] = engine.findUrlConflicts([article]);
      if (conflict !== undefined) throw urlTakenError(id, conflict.url, conflict.conflictingId);
      const { ackSeqs } = await engine.acceptArticles([article]);
      return c.json({ id, status: "accepted", version: ackSeqs[0]! }, 202, noStore);
    }
    const [outcome] = await writeAndWait(engine, [article]);
    const created = outcome!.status === "created";
    return c.json({ id, status: outcome!.status }, created ? 201 : 200, {
      ...noStore,
      ...(created ? { location: `/v1/articles/${encodeURIComponent(id)}` } : {}),
    });
  });

  app.patch("/v1/articles/:id", ...guard, async (c) => {
    waitsForIndexes(c, state);
    const id = c.req.param("id");
    const patch = parseArticlePatch(await readJsonWriteBody(c, ["application/merge-patch+json", "application/json"]), id);
    const outcome = await readyEngine(state).updateArticleMetadata(id, (current) => validArticle({ ...presentArticle(current), ...patch }, id));
    if (outcome === null) throw articleNotFoundError(id);
    return c.json({ id, status: outcome.status }, 200, noStore);
  });

  app.delete("/v1/articles/:id", ...guard, async (c) => {
    const wait = waitsForIndexes(c, state);
    const id = c.req.param("id");
    const engine = readyEngine(state);
    if (!wait) {
      const accepted = await engine.acceptDelete(id);
      if (accepted === null) throw articleNotFoundError(id);
      accepted.applied.catch(() => undefined);
      return c.json({ id, status: "accepted", version: accepted.version }, 202, noStore);
    }
    if (!(await engine.deleteArticle(id))) throw articleNotFoundError(id);
    return c.body(null, 204, noStore);
  });

  app.post("/v1/articles:batch", ...guard, async (c) => {
    const wait = waitsForIndexes(c, state);
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
    const articles = accepted.map((item) => item.article);
    const count = (status: BatchResult["status"]) => results.filter((result) => result.status === status).length;
    if (!wait) {
      const { ackSeqs } = articles.length === 0 ? { ackSeqs: [] } : await engine.acceptArticles(articles);
      accepted.forEach((item, position) => {
        results[item.index] = { index: item.index, id: item.article.id, status: "accepted", version: ackSeqs[position]! };
      });
      return c.json({ results, accepted: count("accepted"), rejected: count("rejected") }, 202, noStore);
    }
    const outcomes = articles.length === 0 ? [] : await writeAndWait(engine, articles);
    accepted.forEach((item, position) => {
      results[item.index] = { index: item.index, id: item.article.id, status: outcomes[position]!.status };
    });
    return c.json(
      {
        results,
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        superseded: count("superseded"),
        rejected: count("rejected"),
      },
      200,
      noStore,
    );
  });

  return app;
}

/**
 * A write answered once stored and in this process's indexes (the reader barrier follows in
 * http/worker-routing.ts). Where writes are journaled it goes through the journal, behind the
 * article's earlier accepted writes, so order per article holds; an article a later write
 * replaced before it was stored answers "superseded".
 */
async function writeAndWait(engine: KindredEngine, articles: readonly Article[]): Promise<{ status: WriteOutcome["status"] | "superseded" }[]> {
  if (!engine.acceptsWritesBeforeIndexing) return engine.writeArticles(articles);
  const { stored } = await engine.acceptArticles(articles);
  const outcomes = await stored;
  return articles.map((article) => outcomes.get(article.id) ?? { status: "superseded" });
}
