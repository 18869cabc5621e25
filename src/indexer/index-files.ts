import type { Article } from "../core/article.ts";
import type { KindredEngine } from "../engine/kindred-engine.ts";
import { describeRejectedRecord, readArticles, type ReadArticle } from "../ingest/read-articles.ts";
import { describeRecordPosition, type SourceRecord } from "../ingest/source-record.ts";

/** Counts a run ends with. */
export interface IndexReport {
  /** Articles new to the index. */
  indexed: number;
  /** Articles whose text or metadata changed. */
  updated: number;
  /** Articles identical to what is stored (nothing re-embedded). */
  unchanged: number;
  /** Records rejected (unreadable, invalid, or failed to embed). */
  failed: number;
  elapsedMs: number;
}

export interface IndexProgress {
  done: number;
  report: IndexReport;
}

export interface IndexFilesOptions {
  batchSize?: number;
  /** Batches embedded ahead while the previous one is stored. */
  batchesInFlight?: number;
  onProgress?: (progress: IndexProgress) => void;
  /** Called once per rejected record with a line naming file, line, record, field and reason. */
  onRejected?: (message: string) => void;
}

/**
 * Indexes articles from files through the engine's write path: unchanged articles are not
 * re-embedded, every bad record is reported and skipped, and nothing else is lost.
 *
 * @example
 *   const report = await indexFiles(engine, ["data/feed.jsonl"], { onRejected: console.error });
 */
export async function indexFiles(engine: KindredEngine, paths: readonly string[], options: IndexFilesOptions = {}): Promise<IndexReport> {
  const batchSize = options.batchSize ?? 256;
  const started = Date.now();
  const report: IndexReport = { indexed: 0, updated: 0, unchanged: 0, failed: 0, elapsedMs: 0 };
  let done = 0;
  const inFlight = new Set<Promise<void>>();
  const reportProgress = () => {
    report.elapsedMs = Date.now() - started;
    options.onProgress?.({ done, report: { ...report } });
  };
  const reject = (message: string) => {
    report.failed++;
    done++;
    options.onRejected?.(message);
  };

  const flush = (batch: { article: Article; position: SourceRecord }[]) => {
    const write = engine
      .writeArticles(batch.map((item) => item.article))
      .then((outcomes) => {
        for (const outcome of outcomes) {
          if (outcome.status === "created") report.indexed++;
          else if (outcome.status === "updated") report.updated++;
          else report.unchanged++;
        }
        done += batch.length;
      })
      .catch((error: Error) => {
        for (const item of batch) reject(`${describeRecordPosition(item.position)} id "${item.article.id}": not indexed: ${error.message}`);
      })
      .finally(() => {
        inFlight.delete(write);
        reportProgress();
      });
    inFlight.add(write);
    return write;
  };

  for (const path of paths) {
    let batch: { article: Article; position: SourceRecord }[] = [];
    for await (const item of readArticles(path) as AsyncGenerator<ReadArticle>) {
      if (!item.ok) {
        reject(describeRejectedRecord(item));
        continue;
      }
      batch.push({ article: item.article, position: item.position });
      if (batch.length >= batchSize) {
        flush(batch);
        batch = [];
        while (inFlight.size >= (options.batchesInFlight ?? 2)) await Promise.race(inFlight);
      }
    }
    if (batch.length > 0) flush(batch);
  }
  await Promise.all(inFlight);
  reportProgress();
  engine.saveGraph();
  return report;
}
