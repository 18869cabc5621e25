import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { Config } from "../config/config.ts";
import { meanOf, ndcgAtK, precisionAtK, storyPrecisionAtK, storyRPrecision, type Judged } from "../core/eval/relevance-metrics.ts";
import { noFilters } from "../core/related/related-filters.ts";
import { openEngine } from "../engine/open-engine.ts";
import { indexFiles, type IndexProgress } from "../indexer/index-files.ts";
import { readRecords } from "../ingest/read-records.ts";
import type { Logger } from "../log/logger.ts";

/** The labels an evaluation file adds to each article (../shared/eval/README.md). */
const judgementSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  label: z.string().min(1),
  story: z.string().min(1).nullish().transform((story) => story ?? null),
});

export interface EvalReport {
  file: string;
  model: string;
  k: number;
  articles: number;
  evaluated: number;
  precisionLabel: number | null;
  precisionStory: number | null;
  ndcg: number | null;
  rPrecisionStory: number | null;
  foldedCopies: number;
  indexSeconds: number;
  queryMsP50: number;
  queryMsP99: number;
  wallSeconds: number;
}

export interface EvalOptions {
  k: number;
  /** Reuse (and keep) this data directory instead of a temporary one. */
  dataDir?: string;
  onIndexProgress?: (progress: IndexProgress) => void;
}

/**
 * Indexes a labelled file and measures, for every article, its top-k related list: P@k by
 * label and by story, nDCG@k (story 2, label 1) and R-precision by story.
 */
export async function runEval(file: string, config: Config, logger: Logger, options: EvalOptions): Promise<EvalReport> {
  const started = Date.now();
  const judgements = new Map<string, Judged>();
  for await (const record of readRecords(file)) {
    const parsed = judgementSchema.safeParse(record.value);
    if (parsed.success) judgements.set(parsed.data.id, { label: parsed.data.label, story: parsed.data.story });
  }
  const storySizes = countBy([...judgements.values()], (judged) => judged.story);
  const labelStorySizes = countBy([...judgements.values()], (judged) => `${judged.label}\u0000${judged.story ?? ""}`);
  const labelSizes = countBy([...judgements.values()], (judged) => judged.label);

  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "kindred-eval-"));
  const { engine, close } = await openEngine({ ...config, dataDir }, logger);
  try {
    const indexed = await indexFiles(engine, [file], { ...(options.onIndexProgress ? { onProgress: options.onIndexProgress } : {}) });
    const perQuery: { p: number; ps: number | null; ndcg: number; rp: number | null }[] = [];
    const latencies: number[] = [];
    let foldedCopies = 0;
    for (const [id, query] of judgements) {
      if (engine.getEntry(id) === undefined) continue;
      const storySize = query.story === null ? 0 : storySizes.get(query.story) ?? 0;
      const depth = Math.max(options.k, storySize - 1);
      const queryStarted = performance.now();
      const answer = engine.findRelatedToArticle(id, { k: depth, filters: noFilters });
      latencies.push(performance.now() - queryStarted);
      foldedCopies += answer.foldedCopies;
      const results = answer.results.map((result) => judgements.get(result.entry.id) ?? { label: "", story: null });
      const sameStory = query.story === null ? 0 : storySize - 1;
      const sameLabel = (labelSizes.get(query.label) ?? 1) - 1;
      const sameLabelSameStory = query.story === null ? 0 : (labelStorySizes.get(`${query.label}\u0000${query.story}`) ?? 1) - 1;
      perQuery.push({
        p: precisionAtK(query, results, options.k),
        ps: storyPrecisionAtK(query, results, options.k),
        ndcg: ndcgAtK(query, results, options.k, { sameStory, sameLabelOtherStory: sameLabel - sameLabelSameStory }),
        rp: storyRPrecision(query, results, storySize),
      });
    }
    latencies.sort((a, b) => a - b);
    return {
      file,
      model: config.model,
      k: options.k,
      articles: judgements.size,
      evaluated: perQuery.length,
      precisionLabel: meanOf(perQuery.map((query) => query.p)),
      precisionStory: meanOf(perQuery.map((query) => query.ps)),
      ndcg: meanOf(perQuery.map((query) => query.ndcg)),
      rPrecisionStory: meanOf(perQuery.map((query) => query.rp)),
      foldedCopies,
      indexSeconds: indexed.elapsedMs / 1000,
      queryMsP50: percentile(latencies, 0.5),
      queryMsP99: percentile(latencies, 0.99),
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    await close();
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const value = key(item);
    if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/** The value at quantile q of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
