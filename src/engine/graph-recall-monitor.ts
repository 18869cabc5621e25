import type { Logger } from "../log/logger.ts";
import { firstRelabeledNode } from "../vectors/hnsw-vector-index.ts";
import { engineDefaults, type RecallCheckSettings } from "./engine-options.ts";
import { type GraphRecallReport, measureGraphRecall } from "./graph-recall.ts";
import type { LiveIndexes } from "./live-indexes.ts";

/** What /readyz and `kindred check` report of the recall self-check. */
export type GraphRecallStatus = GraphRecallReport & { floor: number; below_floor: boolean; rebuild_started: boolean };

/**
 * The graph's recall self-check (engine/graph-recall.ts) on the live indexes, and what follows a
 * result below the floor: a rebuild of the graph in the background, then a second check.
 */
export class GraphRecallMonitor {
  readonly #live: LiveIndexes;
  readonly #settings: RecallCheckSettings;
  readonly #logger: Logger;
  #last: GraphRecallStatus | null = null;
  #running: Promise<GraphRecallStatus | null> | null = null;

  constructor(live: LiveIndexes, settings: RecallCheckSettings, logger: Logger) {
    this.#live = live;
    this.#settings = settings;
    this.#logger = logger;
  }

  /** Whether a check should run once the indexes are open. */
  get checksOnOpen(): boolean {
    return this.#settings.onOpen ?? this.#settings.queries > 0;
  }

  /** The last check, or null before the first has finished. */
  get last(): GraphRecallStatus | null {
    return this.#last;
  }

  /**
   * Measures the graph's recall@k against the exact index on a sample of articles, half of them
   * recently written (the newest labels, and those whose vector changed since the graph was
   * last built); below the floor, starts a rebuild of the graph in the background (the
   * compaction machinery: a worker builds from the stored vectors, then it is swapped in) and
   * measures again once it is in. Joins a check already running.
   */
  check(reason: GraphRecallReport["reason"] = "on_demand"): Promise<GraphRecallStatus | null> {
    if (this.#running !== null) return this.#running;
    const run = this.#run(reason).finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #run(reason: GraphRecallReport["reason"]): Promise<GraphRecallStatus | null> {
    const settings = this.#settings;
    const { graph, exact } = this.#live.current;
    // pgvector mode holds no graph to check (bench/pgvector.ts measures PostgreSQL's recall).
    if (this.#live.closed || exact.size() === 0 || graph === null) return null;
    // A compaction may swap the graph during the check: the lease keeps this one's memory until the check ends.
    const lease = graph.lease();
    const report = await measureGraphRecall(graph, exact, {
      queries: settings.queries > 0 ? settings.queries : engineDefaults.recallCheck.queries,
      k: settings.k,
      recentLabels: this.#recentLabels(),
      reason,
    }).finally(() => lease.end());
    if (this.#live.closed) return null;
    const belowFloor = report.recall < settings.floor;
    const status: GraphRecallStatus = { ...report, floor: settings.floor, below_floor: belowFloor, rebuild_started: false };
    this.#last = status;
    const log = { recall: Number(report.recall.toFixed(4)), k: report.k, queries: report.queries, floor: settings.floor, reason, ms: report.ms };
    if (!belowFloor) {
      this.#logger.info(log, "graph recall checked");
      return status;
    }
    if (reason === "after_rebuild") {
      this.#logger.warn(log, "graph recall still below the floor after a rebuild; raise hnswEfSearch or hnswM");
      return status;
    }
    this.#logger.warn(log, "graph recall below the floor; rebuilding the graph in the background");
    status.rebuild_started = true;
    void this.#live
      .compactGraph()
      .then((compacted) => (compacted === null || this.#live.closed ? null : this.check("after_rebuild")))
      .catch((error: unknown) => this.#logger.error({ err: error }, "graph rebuild after a recall check failed"));
    return status;
  }

  /** Labels written recently: the newest articles, and those whose vector changed since the graph was built. */
  #recentLabels(): number[] {
    const { graph, exact } = this.#live.current;
    const labels = [...exact.labels()].sort((a, b) => b - a).slice(0, 500);
    for (const [node, label] of graph?.relabeledNodes() ?? []) if (node >= firstRelabeledNode) labels.push(label);
    return labels;
  }
}
