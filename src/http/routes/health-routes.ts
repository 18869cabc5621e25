import { Hono } from "hono";
import { percentileOf } from "../../core/percentile.ts";
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
      // Acknowledged writes not yet embedded and indexed (the journal, whichever process asks).
      pending_writes: engine.journaledWriteCount(),
      // Kept lists a start found missing and is making in the background; lists settle when it is 0.
      kept_lists_pending: engine.keptListsPending(),
      write_freshness_ms: summariseFreshness(engine.writeFreshnessSamples()),
    });
  });
  return app;
}

/** Acknowledgement -> every process holding the write, over this process's latest accepted writes (only the writer process has any). */
function summariseFreshness(sorted: readonly number[]): { samples: number; p50: number | null; p99: number | null } {
  if (sorted.length === 0) return { samples: 0, p50: null, p99: null };
  return { samples: sorted.length, p50: percentileOf(sorted, 50), p99: percentileOf(sorted, 99) };
}
