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
      // Acknowledged writes not yet embedded and indexed (the journal, whichever process asks).
      pending_writes: engine.journaledWriteCount(),
      write_freshness_ms: summariseFreshness(engine.writeFreshnessSamples()),
    });
  });
  return app;
}

/** Acknowledgement -> every process holding the write, over this process's latest accepted writes (only the writer process has any). */
function summariseFreshness(sorted: readonly number[]): { samples: number; p50: number | null; p99: number | null } {
  const at = (q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99) };
}
