import { Hono } from "hono";
import type { ServiceState } from "../route-context.ts";

/** GET /healthz (the process answers) and GET /readyz (the index is loaded and queryable). */
export function healthRoutes(state: ServiceState) {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    if (state.engine === null) {
      return c.json({ status: "not_ready", phase: state.phase, ...(state.progress === undefined ? {} : { progress: state.progress }) }, 503);
    }
    const { engine } = state;
    return c.json({
      status: "ready",
      articles: engine.size(),
      model: engine.modelId,
      graph: engine.graphStats(),
      graph_recall: engine.graphRecall(),
      related_cache: engine.cacheStats(),
    });
  });
  return app;
}
