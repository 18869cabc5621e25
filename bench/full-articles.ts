/**
 * Indexing full-length articles (the labelled sets in ../shared/eval: giveme5w1h, about 460
 * words an article, and bbc, about 380) with the bundled model through the real CLI, with the
 * defaults (the int8 graph for a new index, the selected passages), against the way before
 * issue 14 in the same run: every passage of an article embedded (lead plus each 60-word chunk
 * of its first 600 words, `embedPassages: "all"`) by the float graph (`model:
 * "google/use-lite"`), both set through a config file, with the same workers. Beside them the
 * default passages through the float graph (the default before the int8 graph), to show what
 * each cut is worth. The sets are read where they lie, never copied into the project.
 *
 * With an old checkout (`npm run bench -- --only fullArticles --old-commit 3adff60^1`), the
 * real code of that commit indexes the same input in the same run, through its own entry
 * point, as a second baseline: the rate the "4x today's rate" was set against.
 */
import { createReadStream, createWriteStream, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { USE_LITE_MODEL_ID } from "../src/embed/use-lite/use-lite-constants.ts";
import { type IndexRunFigures, runIndex } from "./reindex.ts";
import { repoRoot } from "./support/kindred-process.ts";
import { ratioOf } from "./support/latency-stats.ts";
import type { OldCheckout } from "./support/old-checkout.ts";
import { logProgress } from "./support/progress-log.ts";

export interface FullArticleIndexFigures {
  set: string;
  articles: number;
  meanWords: number;
  /** The way before issue 14: every passage embedded, by the float graph. */
  baseline: IndexRunFigures;
  /** The defaults: the int8 graph, the selected passages. */
  current: IndexRunFigures;
  /** current / baseline articles per second (the command's own rate). */
  speedUp: number;
  /** The default passages through the float graph (`--model google/use-lite`, the default before int8), and its speed-up over the baseline. */
  floatGraph?: IndexRunFigures;
  floatSpeedUp?: number;
  /** The same input indexed by an older commit's own code, when one was asked for; speed-ups of the default and of the float graph over it. */
  oldCommit?: { ref: string; commit: string; run: IndexRunFigures; speedUp: number; floatSpeedUp: number };
}

/** The eval sets the section indexes, and how many articles of each (null: all). */
export function fullArticleSets(quick: boolean, names?: readonly string[]): { name: string; limit: number | null }[] {
  if (names !== undefined) return names.map((name) => ({ name, limit: quick ? 40 : null }));
  return quick
    ? [{ name: "giveme5w1h", limit: 40 }]
    : [
        { name: "giveme5w1h", limit: null },
        { name: "bbc", limit: null },
      ];
}

export async function measureFullArticleIndexing(
  sets: { name: string; limit: number | null }[],
  workDir: string,
  oldCheckout?: OldCheckout,
): Promise<FullArticleIndexFigures[]> {
  const figures: FullArticleIndexFigures[] = [];
  const everyPassage = join(workDir, "every-passage.config.json");
  writeFileSync(everyPassage, JSON.stringify({ embedPassages: "all", model: USE_LITE_MODEL_ID }));
  for (const { name, limit } of sets) {
    const source = join(repoRoot, "..", "shared", "eval", `${name}.jsonl`);
    if (!existsSync(source)) throw new Error(`${source} is missing: the full-article section reads the eval sets in ../shared/eval.`);
    const input = join(workDir, `${name}.jsonl`);
    const { articles, meanWords } = await copyArticles(source, input, limit);
    let old: IndexRunFigures | undefined;
    if (oldCheckout !== undefined) {
      logProgress(`full articles: ${name}, ${articles} articles, indexed by ${oldCheckout.ref} (${oldCheckout.commit.slice(0, 10)})`);
      old = await runIndex(input, join(workDir, `${name}-old-commit`), [], oldCheckout.root);
      logProgress(`  ${oldCheckout.ref}: ${old.articlesPerSecond} articles/s`);
    }
    logProgress(`full articles: ${name}, ${articles} articles of ${meanWords} words on average, every passage embedded by the float graph (baseline)`);
    const baseline = await runIndex(input, join(workDir, `${name}-baseline`), ["--config", everyPassage]);
    logProgress(`  baseline: ${baseline.articlesPerSecond} articles/s; now the default (int8 graph)`);
    const current = await runIndex(input, join(workDir, `${name}-current`));
    logProgress(`  default: ${current.articlesPerSecond} articles/s; now the default passages through the float graph`);
    const floatGraph = await runIndex(input, join(workDir, `${name}-float`), ["--model", USE_LITE_MODEL_ID]);
    logProgress(`  float graph: ${floatGraph.articlesPerSecond} articles/s`);
    figures.push({
      set: name,
      articles,
      meanWords,
      baseline,
      current,
      speedUp: ratioOf(current.articlesPerSecond, baseline.articlesPerSecond),
      floatGraph,
      floatSpeedUp: ratioOf(floatGraph.articlesPerSecond, baseline.articlesPerSecond),
      ...(old === undefined || oldCheckout === undefined
        ? {}
        : {
            oldCommit: {
              ref: oldCheckout.ref,
              commit: oldCheckout.commit,
              run: old,
              speedUp: ratioOf(current.articlesPerSecond, old.articlesPerSecond),
              floatSpeedUp: ratioOf(floatGraph.articlesPerSecond, old.articlesPerSecond),
            },
          }),
    });
    if (old !== undefined) {
      const [byDefault, float] = [current, floatGraph].map((run) => ratioOf(run.articlesPerSecond, old.articlesPerSecond));
      logProgress(`  ${name} over ${oldCheckout!.ref}: ${byDefault}x (default, int8), ${float}x (float graph)`);
    }
  }
  return figures;
}

/** Copies the first `limit` records of a JSON Lines set (into the bench's temporary directory) and counts their words. */
async function copyArticles(source: string, target: string, limit: number | null): Promise<{ articles: number; meanWords: number }> {
  const out = createWriteStream(target);
  let articles = 0;
  let words = 0;
  for await (const line of createInterface({ input: createReadStream(source), crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line) as { title?: string; text?: string };
    words += `${record.title ?? ""} ${record.text ?? ""}`.split(/\s+/).filter(Boolean).length;
    out.write(`${line}\n`);
    if (++articles === limit) break;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { articles, meanWords: Math.round(words / Math.max(1, articles)) };
}
