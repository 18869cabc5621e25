import { Hono } from "hono";
import { z } from "zod";
import { parseIsoTimestamp } from "../../articles/article-schema.ts";
import { storyThreadModel } from "../../core/story/story-thread.ts";
import { findStory } from "../../engine/find-story.ts";
import { parseParameters, queryToObject } from "../../wire/parse-parameters.ts";
import { presentEntry } from "../../wire/present.ts";
import { entityTagOf, respondCacheable } from "../http-caching.ts";
import { type ReadRouteOptions, readyEngine, type ServiceState } from "../route-context.ts";

/** The query parameters of GET /v1/articles/{id}/story. */
export const storyQuerySchema = z
  .object({
    since: z
      .string()
      .refine((value) => parseIsoTimestamp(value) !== null, "must be an ISO 8601 date (2025-03-02) or date-time (2025-03-02T10:15:00Z)")
      .optional(),
  })
  .strict();

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/**
 * GET /v1/articles/{id}/story: the article's story thread (issue 16), the stored articles about
 * the same event or running story in time order, each marked `earlier`, `later`, `copy` or
 * `undated` against the article; `since` keeps what was published on or after a date.
 */
export function storyRoutes(state: ServiceState, options: ReadRouteOptions) {
  const app = new Hono();
  app.get("/v1/articles/:id/story", options.readAuth, (c) => {
    const started = performance.now();
    const query = parseParameters(storyQuerySchema, queryToObject(c.req.queries()), "query");
    const engine = readyEngine(state);
    const { article, thread } = findStory(engine, c.req.param("id"), { sinceMs: query.since === undefined ? null : parseIsoTimestamp(query.since)! });
    const count = (relation: string) => thread.members.filter((member) => member.relation === relation).length;
    const content = {
      article: presentEntry(article),
      thread: thread.members.map((member) => ({
        ...presentEntry(member.entry),
        relation: member.relation,
        same_story: round3(member.sameStory),
        cosine: round3(member.cosine),
        days_apart: member.daysApart === null ? null : round3(member.daysApart),
      })),
      counts: { earlier: count("earlier"), later: count("later"), copy: count("copy"), undated: count("undated") },
      since: query.since ?? null,
      before_since: thread.beforeSince,
      threshold: storyThreadModel.threshold,
      model: engine.modelId,
    };
    const contentJson = JSON.stringify(content);
    const tookMs = Math.round((performance.now() - started) * 1000) / 1000;
    return respondCacheable(c, `${contentJson.slice(0, -1)},"took_ms":${tookMs}}`, entityTagOf(contentJson), options.cachePolicy);
  });
  return app;
}
