import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { Config } from "../config/config.ts";
import { bootstrapInterval, type Interval, pairedDifferenceInterval } from "../core/eval/bootstrap-interval.ts";
import { countMisses, type MissCounts, missedMembers, type ShownResult } from "../core/eval/measured-list.ts";
import { type Judged, ndcgAtK, precisionAtK, storyPrecisionAtK, storyRPrecision } from "../core/eval/relevance-metrics.ts";
import { inStorySizeGroup, storySizeGroupName, storySizeGroups, valuesByStorySize } from "../core/eval/story-size-groups.ts";
import { type BaselineDocument, rankByTfidf } from "../core/eval/tfidf-baseline.ts";
import { percentileOf } from "../core/percentile.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { foldDuplicates, isCopy } from "../core/related/fold-duplicates.ts";
import { fusionConstants, type RankingMode } from "../core/related/ranking-options.ts";
import { noFilters } from "../core/related/related-filters.ts";
import type { Embedder } from "../embed/embedder.ts";
import { openEngine } from "../engine/open-engine.ts";
import { type IndexProgress, indexFiles } from "../indexer/index-files.ts";
import { readRecords } from "../ingest/read-records.ts";
import type { SourceRecord } from "../ingest/source-record.ts";
import type { Logger } from "../log/logger.ts";
import { type ListRow, listRow } from "./list-rows.ts";
import { differenceFromSaved, type PerQueryRow, perQueryRows, type SavedRun, type SavedRunDifference } from "./saved-runs.ts";

/**
 * The labels an evaluation file adds to each article (../shared/eval/README.md). The demo
 * corpus's own fields count too: `category` as the label and `story_path` (joined with " > ")
 * as the story, so `kindred eval data/wcep-2025-2026.jsonl.gz` measures it as shipped.
 */
const judgementSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    label: z.string().min(1).optional(),
    category: z.string().min(1).optional(),
    story: z.string().min(1).nullish(),
    story_path: z.array(z.string()).nullish(),
  })
  .transform((record) => ({
    id: record.id,
    label: record.label ?? record.category,
    story: record.story ?? (record.story_path != null && record.story_path.length > 0 ? record.story_path.join(" > ") : null),
  }))
  .refine((record): record is { id: string; label: string; story: string | null } => record.label !== undefined);

/**
 * What an evaluation can compare: kindred's ranking modes, the plain TF-IDF baseline
 * (core/eval/tfidf-baseline.ts), which never folds, and `tfidf-folded`, the baseline's ranking
 * with kindred's folding (core/related/fold-duplicates.ts): the bar a folded list meets on equal
 * terms, since a folded list can never hold two copies of one text however well it ranks.
 */
export type EvalMode = RankingMode | "tfidf" | "tfidf-folded";

const baselineModes: readonly EvalMode[] = ["tfidf", "tfidf-folded"];

/** The text the TF-IDF baseline reads (the article schema's `text`, or a `body`). */
const baselineTextSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  title: z.string().nullish(),
  text: z.string().nullish(),
  body: z.string().nullish(),
});

/** One configuration's results on one file: each metric's mean with its 95% bootstrap interval. */
export interface ConfigReport {
  mode: EvalMode;
  precisionLabel: Interval | null;
  precisionStory: Interval | null;
  ndcg: Interval | null;
  rPrecisionStory: Interval | null;
  /** Paired differences (this minus that) to each configuration listed before it, by mode. */
  versus: Partial<Record<EvalMode, { precisionLabel: Interval | null; precisionStory: Interval | null; rPrecisionStory: Interval | null }>>;
  /** Paired difference to the same mode of a saved run (`EvalOptions.against`); absent without one, null where it has no such queries. */
  versusSaved?: SavedRunDifference | null;
  /** Copies folded into results, summed over every query. */
  foldedCopies: number;
  /**
   * The query's story members its list did not show, summed over every query, by why
   * (core/eval/measured-list.ts): folded into a result, a copy of the query, or not listed.
   */
  missedMembers: MissCounts;
  queryMsP50: number;
  queryMsP99: number;
}

export interface EvalReport {
  file: string;
  model: string;
  k: number;
  articles: number;
  evaluated: number;
  /**
   * R-precision (story) of a perfect ranking once folded: copies of the query dropped, each
   * text once (null with folding off, where it is 1). The most a folded list can score.
   */
  foldedCeiling: Interval | null;
  configs: ConfigReport[];
  /** The story figures again for stories of each size (`storySizeGroups`); empty where the file has no stories. */
  byStorySize: StorySizeReport[];
  indexSeconds: number;
  wallSeconds: number;
}

/** The story figures of the queries whose story is of one size (core/eval/story-size-groups.ts). */
export interface StorySizeReport {
  /** "2-5", "11+": articles in the story, the query's own included. */
  stories: string;
  queries: number;
  /** As `EvalReport.foldedCeiling`, over these queries. */
  foldedCeiling: Interval | null;
  /** By mode, in the order of `configs`. */
  configs: { mode: EvalMode; precisionStory: Interval | null; rPrecisionStory: Interval | null }[];
}

export interface EvalOptions {
  k: number;
  /** Ranking modes measured side by side on the same index (default: hybrid alone). */
  compare?: readonly EvalMode[];
  /** Fold copies of one text into one result (default true, as served). */
  foldDuplicates?: boolean;
  /**
   * Index the articles without their publication dates (a site may send none), so the ranking
   * is measured without the date-proximity signal. Use a data directory of its own: a dated
   * index of the same file would otherwise be rewritten undated.
   */
  ignoreDates?: boolean;
  /** Reuse (and keep) this data directory instead of a temporary one. */
  dataDir?: string;
  /** A saved run (`kindred eval --per-query`) to pair each mode's figures with, query by query. */
  against?: SavedRun;
  /** Receives each mode's figures per query (for `--per-query`). */
  onPerQueryRows?: (rows: PerQueryRow[]) => void;
  /** Receives each query's measured list under each mode (for `--lists`). */
  onListRows?: (rows: ListRow[]) => void;
  /** An embedder to use instead of starting worker threads (tests, scripts). */
  embedder?: Embedder;
  onIndexProgress?: (progress: IndexProgress) => void;
  onQueryProgress?: (progress: { done: number; total: number; mode: EvalMode }) => void;
}

/**
 * Indexes a labelled file and measures, for every article and every configuration, its top-k
 * related list: P@k by label and by story, nDCG@k (story 2, label 1) and R-precision by story,
 * each with a bootstrap interval. The files' `topics` are their labels, so they are never a
 * ranking signal here (`topicSignal: false`): an evaluation must measure kindred, not the labels.
 */
export async function runEval(file: string, config: Config, logger: Logger, options: EvalOptions): Promise<EvalReport> {
  const started = Date.now();
  const judgements = new Map<string, Judged>();
  const modes = options.compare ?? ["hybrid"];
  const baselineDocuments: BaselineDocument[] = [];
  // Labels (and the baseline's texts) are read from the records as they are indexed: one pass
  // over the file. The undated copy keeps every field but the date, so it serves as well.
  const judge = (record: SourceRecord) => {
    const parsed = judgementSchema.safeParse(record.value);
    if (parsed.success) judgements.set(parsed.data.id, { label: parsed.data.label!, story: parsed.data.story });
    if (modes.some((mode) => baselineModes.includes(mode))) {
      const text = baselineTextSchema.safeParse(record.value);
      if (text.success) baselineDocuments.push({ id: text.data.id, title: text.data.title ?? "", text: text.data.text ?? text.data.body ?? "" });
    }
  };

  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "kindred-eval-"));
  const { engine, close } = await openEngine(
    { ...config, dataDir, relatedCacheEntries: 0 },
    logger,
    options.embedder === undefined ? {} : { embedder: options.embedder },
  );
  try {
    const indexed = await indexFiles(engine, [options.ignoreDates ? await writeUndated(file, dataDir) : file], {
      ...(options.onIndexProgress ? { onProgress: options.onIndexProgress } : {}),
      onRecord: judge,
    });
    // An index opened again may have kept lists to make (written by an older version): measure the settled ranking.
    await engine.settled();
    const membersByStory = storyMembers(judgements);
    const labelStorySizes = countBy([...judgements.values()], (judged) => `${judged.label}\u0000${judged.story ?? ""}`);
    const labelSizes = countBy([...judgements.values()], (judged) => judged.label);
    const queries = [...judgements].filter(([id]) => engine.getEntry(id) !== undefined);
    const perMode: {
      p: number[];
      ps: (number | null)[];
      ndcg: number[];
      rp: (number | null)[];
      folded: number;
      missed: MissCounts;
      latencies: number[];
    }[] = [];
    // Articles in the query's story, its own included (0 without a story).
    const storySizeOf = (query: Judged) => (query.story === null ? 0 : (membersByStory.get(query.story)?.length ?? 0));
    const depthOf = (query: Judged) => Math.min(100, Math.max(options.k, storySizeOf(query) - 1));
    // The folded baseline reads deeper, as kindred's folding does, so folded copies leave the list full.
    const baselineExtra = modes.includes("tfidf-folded") ? fusionConstants.foldWindowExtra : 0;
    const baseline = modes.some((mode) => baselineModes.includes(mode))
      ? rankByTfidf(baselineDocuments, (id) => depthOf(judgements.get(id) ?? { label: "", story: null }) + baselineExtra)
      : null;
    for (const mode of modes) {
      const measured = {
        p: [] as number[],
        ps: [] as (number | null)[],
        ndcg: [] as number[],
        rp: [] as (number | null)[],
        folded: 0,
        missed: { folded: 0, copyOfQuery: 0, notListed: 0 },
        latencies: [] as number[],
      };
      // Only a folded list drops copies of the query: unfolded, a copy missed is the ranking's miss.
      const folds = mode === "tfidf-folded" || (mode !== "tfidf" && options.foldDuplicates !== false);
      const listRows: ListRow[] = [];
      for (const [id, query] of queries) {
        const storySize = storySizeOf(query);
        const depth = depthOf(query);
        const queryStarted = performance.now();
        let shown: ShownResult[];
        if (mode === "tfidf") {
          shown = (baseline!.get(id) ?? []).slice(0, depth).map((resultId) => ({ id: resultId, copies: [] }));
        } else if (mode === "tfidf-folded") {
          const folded = foldRankedIds(engine, id, baseline!.get(id) ?? [], depth);
          measured.folded += folded.foldedCopies;
          shown = folded.shown;
        } else {
          const ranking = { mode, topicSignal: false, ...(options.foldDuplicates === undefined ? {} : { foldDuplicates: options.foldDuplicates }) };
          const answer = engine.findRelatedToArticle(id, { k: depth, filters: noFilters, ranking }, { cache: false });
          measured.folded += answer.foldedCopies;
          shown = answer.results.map((result) => ({ id: result.entry.id, copies: result.copies.map((copy) => copy.id) }));
        }
        measured.latencies.push(performance.now() - queryStarted);
        const resultIds = shown.map((result) => result.id);
        const missed =
          query.story === null ? [] : missedMembers(id, membersByStory.get(query.story) ?? [], shown, (member) => folds && copiesOneText(engine, id, member));
        countMisses(measured.missed, missed);
        if (options.onListRows !== undefined) listRows.push(listRow(file, mode, { id, ...query }, shown, (resultId) => judgements.get(resultId), missed));
        const results = resultIds.map((resultId) => judgements.get(resultId) ?? { label: "", story: null });
        const sameStory = query.story === null ? 0 : storySize - 1;
        const sameLabel = (labelSizes.get(query.label) ?? 1) - 1;
        const sameLabelSameStory = query.story === null ? 0 : (labelStorySizes.get(`${query.label}\u0000${query.story}`) ?? 1) - 1;
        measured.p.push(precisionAtK(query, results, options.k));
        measured.ps.push(storyPrecisionAtK(query, results, options.k));
        measured.ndcg.push(ndcgAtK(query, results, options.k, { sameStory, sameLabelOtherStory: sameLabel - sameLabelSameStory }));
        measured.rp.push(storyRPrecision(query, results, storySize));
        if (measured.p.length % 500 === 0) options.onQueryProgress?.({ done: measured.p.length, total: queries.length, mode });
      }
      perMode.push(measured);
      if (listRows.length > 0) options.onListRows?.(listRows);
    }
    const rowsByMode = modes.map((mode, index) =>
      perQueryRows(
        file,
        mode,
        queries.map(([id]) => id),
        perMode[index]!,
      ),
    );
    for (const rows of rowsByMode) options.onPerQueryRows?.(rows);
    const querySizes = queries.map(([, query]) => storySizeOf(query));
    const ceilings = options.foldDuplicates === false ? null : foldedCeilings(engine, queries, membersByStory);
    return {
      file,
      model: engine.modelId,
      k: options.k,
      articles: judgements.size,
      evaluated: queries.length,
      foldedCeiling: ceilings === null ? null : bootstrapInterval(ceilings),
      byStorySize: byStorySize(modes, perMode, querySizes, ceilings),
      configs: perMode.map((measured, index) => {
        const sorted = [...measured.latencies].sort((a, b) => a - b);
        return {
          mode: modes[index]!,
          precisionLabel: bootstrapInterval(measured.p),
          precisionStory: bootstrapInterval(measured.ps),
          ndcg: bootstrapInterval(measured.ndcg),
          rPrecisionStory: bootstrapInterval(measured.rp),
          versus: Object.fromEntries(
            perMode.slice(0, index).map((earlier, earlierIndex) => [
              modes[earlierIndex]!,
              {
                precisionLabel: pairedDifferenceInterval(measured.p, earlier.p),
                precisionStory: pairedDifferenceInterval(measured.ps, earlier.ps),
                rPrecisionStory: pairedDifferenceInterval(measured.rp, earlier.rp),
              },
            ]),
          ),
          ...(options.against === undefined ? {} : { versusSaved: differenceFromSaved(options.against, rowsByMode[index]!) }),
          foldedCopies: measured.folded,
          missedMembers: measured.missed,
          // No queries (an empty set) report 0 ms, not NaN, so the JSON stays numeric.
          queryMsP50: sorted.length === 0 ? 0 : percentileOf(sorted, 50),
          queryMsP99: sorted.length === 0 ? 0 : percentileOf(sorted, 99),
        };
      }),
      indexSeconds: indexed.elapsedMs / 1000,
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    await close();
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * A ranking of ids for one query folded as kindred folds its own lists (copies of the query
 * dropped, each text once): the first `k` shown, and the copies counted as kindred counts them
 * (those of the query, and those folded into the results).
 */
function foldRankedIds(
  engine: { getEntry(id: string): CatalogEntry | undefined },
  queryId: string,
  ranked: readonly string[],
  k: number,
): { shown: ShownResult[]; foldedCopies: number } {
  const query = engine.getEntry(queryId);
  const candidates = ranked.flatMap((id) => {
    const entry = engine.getEntry(id);
    return entry === undefined ? [] : [{ entry }];
  });
  const { groups, copiesOfQuery } = foldDuplicates(candidates, { textHash: query?.textHash ?? null, signature: query?.signature ?? null });
  const shown = groups.slice(0, k);
  return {
    shown: shown.map((group) => ({ id: group.shown.entry.id, copies: group.copies.map((copy) => copy.entry.id) })),
    foldedCopies: copiesOfQuery + shown.reduce((sum, group) => sum + group.copies.length, 0),
  };
}

/**
 * The story figures split by story size; groups no query falls in are left out, so a file
 * without stories has none.
 */
function byStorySize(
  modes: readonly EvalMode[],
  perMode: readonly { ps: (number | null)[]; rp: (number | null)[] }[],
  querySizes: readonly number[],
  ceilings: readonly (number | null)[] | null,
): StorySizeReport[] {
  const ceilingsByGroup = ceilings === null ? null : valuesByStorySize(ceilings, querySizes);
  const precisionByGroup = perMode.map((measured) => valuesByStorySize(measured.ps, querySizes));
  const rPrecisionByGroup = perMode.map((measured) => valuesByStorySize(measured.rp, querySizes));
  return storySizeGroups.flatMap((group, index): StorySizeReport[] => {
    const queries = querySizes.filter((size) => inStorySizeGroup(group, size)).length;
    if (queries === 0) return [];
    return [
      {
        stories: storySizeGroupName(group),
        queries,
        foldedCeiling: ceilingsByGroup === null ? null : bootstrapInterval(ceilingsByGroup[index]!),
        configs: modes.map((mode, modeIndex) => ({
          mode,
          precisionStory: bootstrapInterval(precisionByGroup[modeIndex]![index]!),
          rPrecisionStory: bootstrapInterval(rPrecisionByGroup[modeIndex]![index]!),
        })),
      },
    ];
  });
}

/**
 * Per query, the R-precision (story) of a perfect ranking, folded: the query's story, every
 * other member ranked first, folded as the served lists are (null for a query alone in its story).
 */
function foldedCeilings(
  engine: { getEntry(id: string): CatalogEntry | undefined },
  queries: readonly [string, Judged][],
  membersByStory: ReadonlyMap<string, readonly string[]>,
): (number | null)[] {
  return queries.map(([id, query]) => {
    const others = query.story === null ? [] : membersByStory.get(query.story)!.filter((member) => member !== id);
    return others.length === 0 ? null : foldRankedIds(engine, id, others, others.length).shown.length / others.length;
  });
}

/** The ids judged in each story, in the file's order. */
function storyMembers(judgements: ReadonlyMap<string, Judged>): Map<string, string[]> {
  const membersByStory = new Map<string, string[]>();
  for (const [id, judged] of judgements) {
    if (judged.story === null) continue;
    const members = membersByStory.get(judged.story);
    if (members === undefined) membersByStory.set(judged.story, [id]);
    else members.push(id);
  }
  return membersByStory;
}

/** Whether two indexed articles are one text, as folding decides it (false if either is not indexed). */
function copiesOneText(engine: { getEntry(id: string): CatalogEntry | undefined }, a: string, b: string): boolean {
  const first = engine.getEntry(a);
  const second = engine.getEntry(b);
  return first !== undefined && second !== undefined && isCopy(first, second);
}

/**
 * A JSON Lines copy of the file without `published_at`, in the data directory. Records that are
 * not objects are copied as they are (indexing rejects them as it would have); unreadable ones
 * are left out, as they index nothing either way.
 */
async function writeUndated(file: string, dataDir: string): Promise<string> {
  const path = join(dataDir, "eval-undated.jsonl");
  const out = createWriteStream(path);
  for await (const record of readRecords(file)) {
    const value = record.value;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const { published_at: _dropped, ...rest } = value as Record<string, unknown>;
      if (!out.write(`${JSON.stringify(rest)}\n`)) await once(out, "drain");
    } else if (value !== undefined && !out.write(`${JSON.stringify(value)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return path;
}

function countBy<T>(items: readonly T[], key: (item: T) => string | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const value = key(item);
    if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}
