import type { MiddlewareHandler } from "hono";
import { collectWriteTimings, WriteTimings } from "../engine/write-timings.ts";
import { isArticleWrite } from "./worker-routing.ts";

/**
 * Answers each article write with a `Server-Timing` header (W3C Server Timing) that breaks its
 * latency into parts (engine/write-timings.ts): where a slow write spent its time, for
 * operators and for bench/soak.ts. Reads are untouched. A reader process forwards writes, and
 * the writer's header comes back with the answer.
 */
export function timeArticleWrites(): MiddlewareHandler {
  return async (c, next) => {
    if (!isArticleWrite(c.req.method, c.req.path)) return next();
    const timings = new WriteTimings();
    await collectWriteTimings(timings, next);
    const value = timings.toServerTiming();
    if (value !== "" && !c.res.headers.has("server-timing")) c.res.headers.set("server-timing", value);
  };
}
