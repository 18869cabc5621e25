import { mkdirSync } from "node:fs";
import type { PassagePlan } from "../core/embed-text.ts";
import { KindredError } from "../core/errors.ts";
import type { Embedder } from "../embed/embedder.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { nextGraphDir, readGraphManifest, removeNextGraph, saveGraph } from "../vectors/graph-files.ts";
import { type HnswParameters, HnswVectorIndex } from "../vectors/hnsw-vector-index.ts";
import { embedPassageGroups, prepareEmbedInput } from "./embed-articles.ts";

export interface ReindexOptions {
  store: ArticleStore;
  dataDir: string;
  hnsw: HnswParameters;
  /** The model to switch to. */
  embedder: Embedder;
  logger: Logger;
  /** Which passages of a long article the model embeds (default `selected`). */
  passagePlan?: PassagePlan;
  /** Articles per embedding call (default 64). */
  batchSize?: number;
  /** Hears of each embedded batch; `total` grows if writes arrive during the run. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /** Catch-up rounds before giving up when writes keep changing articles (default 100). */
  maxRounds?: number;
}

export interface ReindexReport {
  from: string;
  to: string;
  dimensions: number;
  /** Articles in the index after the switch. */
  articles: number;
  /** Articles this run embedded, caught-up ones included. */
  embedded: number;
  /** Articles an interrupted earlier run had staged, still current, not embedded again. */
  reused: number;
  /** Articles written (added or changed) during the run and embedded again to catch up. */
  caughtUp: number;
  /** Passes over the store: the first embeds everything, later ones catch up. */
  rounds: number;
  /** The switch transaction (writes to the store wait for it). */
  switchMs: number;
  elapsedMs: number;
}

/**
 * Switches the index to another model without stopping the service (`kindred reindex`):
 *
 * 1. Every stored article is embedded with the new model, and the vectors are staged in the
 *    store beside the live ones (`stageVectors`), each noting the article's hash at the time;
 *    a new HNSW graph is built from them in memory. Vectors an interrupted earlier run staged
 *    for the same model, whose articles have not changed since, are reused.
 * 2. Rounds catch up with writes made meanwhile (the service keeps writing with the old
 *    model): articles whose text changed or that are new are embedded again, deleted ones
 *    dropped, until a round finds nothing to do. The graph is saved beside the live one
 *    (`next-graph/`), with the store's change sequence it includes.
 * 3. The switch is one store transaction (`switchModel`) that re-checks, under the write lock,
 *    that every article has a current staged vector, then moves them in and pins the new model.
 *    If a write slipped in since the last round, it does nothing and another round follows.
 *    From the switch on, the store refuses writes embedded with the old model, so a service
 *    that has not yet noticed embeds them again with the new one.
 * 4. The new graph is saved in place of the old one. A running `kindred serve` notices the new
 *    pin within a second, loads that graph (or the one beside it), replays what changed after
 *    its sequence number, and swaps it in.
 *
 * Until step 3 commits, the old model, its vectors and its graph are untouched: a crash leaves
 * the index as it was (and the next run resumes with what was staged). After it, the store is
 * the new model's, and a crash before step 4 leaves `next-graph/`, which the next start loads.
 *
 * @example
 *   const report = await reindexModel({ store, dataDir, hnsw, embedder, logger });
 */
export async function reindexModel(options: ReindexOptions): Promise<ReindexReport> {
  const started = performance.now();
  const { store, dataDir, embedder, logger } = options;
  const to = embedder.modelId;
  const dimensions = embedder.dimensions;
  const batchSize = options.batchSize ?? 64;
  const pin = store.getModelPin();
  const from = pin?.modelId ?? to;
  if (pin !== null && pin.modelId === to) {
    throw new KindredError("invalid_parameter", `The index in ${dataDir} already uses "${to}"; there is nothing to re-embed.`, { model: to });
  }
  if (pin === null) {
    // Never opened by an engine: nothing is pinned, so there is nothing to switch from.
    store.setModelPin({ modelId: to, dimensions });
    return {
      from,
      to,
      dimensions,
      articles: store.count(),
      embedded: 0,
      reused: 0,
      caughtUp: 0,
      rounds: 0,
      switchMs: 0,
      elapsedMs: performance.now() - started,
    };
  }

  // Vectors staged for other models belong to abandoned switches; ours are resumed.
  store.discardStagedVectors({ exceptModelId: to });
  removeNextGraph(dataDir);
  const graph = HnswVectorIndex.create(dimensions, options.hnsw, Math.max(1024, Math.ceil(store.count() * 1.1)));
  let resumed = [...store.listStagedVectors(to)];
  if (resumed.some(({ vector }) => vector.length !== dimensions)) {
    // Staged by a copy of the model with another width (its files were replaced): start afresh.
    store.discardStagedVectors(to);
    resumed = [];
  }
  for (const { label, vector } of resumed) graph.upsert(label, vector);
  const reused = resumed.length;
  if (reused > 0) logger.info({ model: to, reused }, "resuming: reusing vectors an earlier run staged");

  const progress = { done: 0, total: 0 };
  let embedded = 0;
  let caughtUp = 0;
  let rounds = 0;
  let nextGraphSeq: number | null = null;
  let roundSeq = 0;
  for (;;) {
    if (++rounds > (options.maxRounds ?? 100)) {
      throw new KindredError(
        "model_unavailable",
        `Writes kept changing articles through ${rounds - 1} catch-up rounds; the index still uses "${from}". Run kindred reindex again when writes are calmer.`,
      );
    }
    roundSeq = store.latestSeq();
    const { unstaged, orphaned } = store.listUnstaged(to);
    for (const label of orphaned) graph.remove(label);
    store.discardStagedVectors(to, orphaned);
    if (rounds > 1) caughtUp += unstaged.length;
    progress.total += unstaged.length;
    await embedAndStage(unstaged);
    if (unstaged.length > 0 || orphaned.length > 0) continue;

    if (nextGraphSeq === null) {
      // Saved once, then re-checked: the save takes a while and writes may arrive meanwhile;
      // whatever changes after its sequence number, a loader replays from the store.
      mkdirSync(nextGraphDir(dataDir), { recursive: true });
      saveGraph(nextGraphDir(dataDir), graph, { modelId: to, seq: roundSeq });
      nextGraphSeq = roundSeq;
      continue;
    }
    const switchStarted = performance.now();
    const result = store.switchModel(from, { modelId: to, dimensions });
    const switchMs = performance.now() - switchStarted;
    if (result.switched) {
      logger.info({ from, to, switchMs: Math.round(switchMs), seq: result.seq }, "switched model");
      putGraphInPlace(graph, roundSeq);
      return { from, to, dimensions, articles: store.count(), embedded, reused, caughtUp, rounds, switchMs, elapsedMs: performance.now() - started };
    }
    if (result.reason === "pin_changed") {
      throw new KindredError(
        "index_model_mismatch",
        `Another process switched the index in ${dataDir} to "${result.pin?.modelId}" during this run; nothing was changed by it.`,
        {
          indexModel: result.pin?.modelId,
        },
      );
    }
    logger.debug({ stale: result.stale }, "articles changed since the last round; catching up");
  }

  /**
   * Step 4. The graph holds every change up to `seq`; later ones (deletes since, say) a loader
   * replays. A service that followed the switch first may have put the graph in place already;
   * and if this fails, the switch stands: `next-graph/` stays, and the next loader takes it.
   */
  function putGraphInPlace(graph: HnswVectorIndex, seq: number): void {
    try {
      if (readGraphManifest(dataDir)?.model_id !== to) saveGraph(dataDir, graph, { modelId: to, seq });
      removeNextGraph(dataDir, to);
    } catch (error) {
      logger.warn({ err: error }, "the switch is done, but the new graph could not be put in place; the next start loads it from next-graph/");
    }
  }

  /** Embeds articles in batches (one ahead, so storing overlaps embedding), stages their vectors and adds them to the graph. */
  async function embedAndStage(labels: readonly number[]): Promise<void> {
    const embedBatch = async (batch: readonly number[]) => {
      const articles = batch.map((label) => store.findByLabel(label)).filter((article) => article !== null);
      const inputs = articles.map((article) => prepareEmbedInput(to, article, options.passagePlan));
      const vectors = await embedPassageGroups(
        embedder,
        inputs.map((input) => input.passages),
        "passage",
      );
      return articles.map((article, index) => ({
        label: article.label,
        sourceEmbedHash: article.embedHash,
        embedHash: inputs[index]!.embedHash,
        vector: vectors[index]!,
      }));
    };
    const batches: number[][] = [];
    for (let start = 0; start < labels.length; start += batchSize) batches.push(labels.slice(start, start + batchSize));
    let pending = batches.length > 0 ? embedBatch(batches[0]!) : null;
    for (let index = 0; index < batches.length; index++) {
      const staged = await pending!;
      pending = index + 1 < batches.length ? embedBatch(batches[index + 1]!) : null;
      // If staging fails, the batch embedding ahead is abandoned: its failure must not go unhandled.
      pending?.catch(() => undefined);
      store.stageVectors(to, staged);
      for (const item of staged) graph.upsert(item.label, item.vector);
      embedded += staged.length;
      progress.done += batches[index]!.length;
      options.onProgress?.({ ...progress });
      logger.debug({ staged: staged.length, done: progress.done, total: progress.total }, "staged a batch");
    }
  }
}
