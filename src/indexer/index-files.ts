import type { Article } from "../core/article.ts";
import type { KindredEngine } from "../engine/kindred-engine.ts";
import { describeUrlConflict } from "../engine/url-conflicts.ts";
import type { OpenedInput } from "../ingest/open-input.ts";
import { describeRejectedRecord, type ReadArticle, readArticleBatches } from "../ingest/read-articles.ts";
import { describeRecordPosition, type SourceRecord } from "../ingest/source-record.ts";
import type { StoredVersion } from "../store/sqlite-record-digests.ts";
import type { RecordDigests } from "./record-digests.ts";

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
  /** Articles deleted because the input no longer holds them (`prune`). */
  deleted: number;
  /** Why pruning was asked for but not done, if it was not. */
  pruneSkipped?: string;
  elapsedMs: number;
}

export interface IndexProgress {
  done: number;
  /** Bytes of the input files read so far (of the compressed data for `.gz`), for progress by size. */
  bytesRead: number;
  report: IndexReport;
}

/** Articles in the first batch a run writes (at most its batch size). */
const firstBatchSize = 32;

export interface IndexFilesOptions {
  batchSize?: number;
  /** Batches embedded ahead while the previous one is stored. */
  batchesInFlight?: number;
  onProgress?: (progress: IndexProgress) => void;
  /** Called once per rejected record with a line naming file, line, record, field and reason. */
  onRejected?: (message: string) => void;
  /**
   * Afterwards, delete stored articles whose ids the input does not hold (the input is the
   * whole collection). Skipped if any record's id could not be read, since that article might
   * be one of them.
   */
  prune?: boolean;
  /** Tells the language of a record without one (default: detection; a memo gives the same answers). */
  languageOf?: (text: string) => string | null;
  /**
   * For each article of a batch, the stored row's version when the store already holds it
   * exactly as given (else null): it is counted unchanged without the engine, which is opened
   * only once an article needs it (`createUnchangedCheck`).
   */
  unchangedAmong?: (articles: readonly Article[]) => (StoredVersion | null)[];
  /**
   * Records the store holds exactly, by the digest of their bytes (`SqliteRecordDigests`): such
   * a record is counted unchanged without being decoded, and every record stored in this run
   * (written, or found unchanged) is remembered by its digest. JSON Lines inputs only.
   */
  recordDigests?: RecordDigests;
  /** Sees every raw record read, valid or not, before validation (what else a caller reads of the input, in the same pass). */
  onRecord?: (record: SourceRecord) => void;
}

/** A valid record waiting in a batch, with its bytes' digest when the reader gave one. */
interface ReadItem {
  article: Article;
  position: SourceRecord;
  digest?: string;
}

/** Articles deleted per transaction when pruning. */
const pruneBatchSize = 1_000;

/**
 * Indexes articles from files through the engine's write path (the one the HTTP API uses):
 * unchanged articles are not re-embedded, every bad record is reported and skipped, and
 * nothing else is lost. An id is indexed once per run: the first valid record with it wins,
 * and every later one (in the same file or another of the run) is rejected naming the line
 * it repeats, as a batch over HTTP rejects a repeated id, so a second run of the same files
 * finds the same articles it stored. Each batch is committed before it counts as done, so an interrupted
 * run resumes by running it again: what was committed comes back "unchanged" without the model.
 *
 * `engine` may be a function that opens it: it is then called only when an article needs
 * writing (or pruning asks for deletes), so with `unchangedAmong` a run that changes nothing never
 * opens it.
 *
 * @example
 *   const report = await indexFiles(engine, ["data/feed.jsonl"], { onRejected: console.error });
 */
export async function indexFiles(
  engine: KindredEngine | (() => Promise<KindredEngine>),
  paths: readonly string[],
  options: IndexFilesOptions = {},
): Promise<IndexReport> {
  let opened: Promise<KindredEngine> | null = null;
  const openEngine = () => (opened ??= typeof engine === "function" ? engine() : Promise.resolve(engine));
  const batchSize = options.batchSize ?? 256;
  // The first batch is written small: the engine, the store writer and the model start on it
  // while the rest is read, rather than after a whole batch has been read and its languages told.
  let nextBatchSize = Math.min(batchSize, firstBatchSize);
  const started = Date.now();
  const report: IndexReport = { indexed: 0, updated: 0, unchanged: 0, failed: 0, deleted: 0, elapsedMs: 0 };
  /** Ids the input holds, valid or not (for prune), and how many records had no readable id. */
  const inputIds = new Set<string>();
  /** Where each id was first read as a valid article: a later record with it is a repeat. */
  const firstPositionOfId = new Map<string, SourceRecord>();
  let recordsWithoutId = 0;
  let done = 0;
  /** Bytes read of the files before the current one, and the current one. */
  let bytesOfEarlierFiles = 0;
  let input: OpenedInput | null = null;
  const inFlight = new Set<Promise<void>>();
  const reportProgress = () => {
    report.elapsedMs = Date.now() - started;
    options.onProgress?.({ done, bytesRead: bytesOfEarlierFiles + (input?.bytesRead() ?? 0), report: { ...report } });
  };
  const reject = (message: string) => {
    report.failed++;
    done++;
    options.onRejected?.(message);
  };

  const digests = options.recordDigests;
  /** Starts writing a batch (awaits only the engine's opening; the write itself is tracked in `inFlight`). */
  const flush = async (read: ReadItem[]) => {
    const unchanged = options.unchangedAmong?.(read.map((item) => item.article));
    if (unchanged !== undefined && digests !== undefined) {
      read.forEach((item, index) => {
        const version = unchanged[index];
        if (version != null && item.digest !== undefined) digests.remember(item.article.id, item.digest, version);
      });
    }
    const listed = unchanged === undefined ? read : read.filter((_item, index) => unchanged[index] === null);
    if (listed.length < read.length) {
      report.unchanged += read.length - listed.length;
      done += read.length - listed.length;
      reportProgress();
    }
    if (listed.length === 0) return;
    const engine = await openEngine();
    // A record whose URL another article has is rejected alone; the rest of the batch is written.
    const conflicts = engine.findUrlConflicts(listed.map((item) => item.article));
    for (const conflict of conflicts) {
      const item = listed[conflict.index]!;
      reject(`${describeRecordPosition(item.position)} id "${item.article.id}", field "url": ${describeUrlConflict(conflict)}`);
    }
    const rejected = new Set(conflicts.map((conflict) => conflict.index));
    const batch = listed.filter((_item, index) => !rejected.has(index));
    if (batch.length === 0) return;
    const write: Promise<void> = engine
      .writeArticles(batch.map((item) => item.article))
      .then((outcomes) => {
        outcomes.forEach((outcome, index) => {
          if (outcome.status === "created") report.indexed++;
          else if (outcome.status === "updated") report.updated++;
          else report.unchanged++;
          const { article, digest } = batch[index]!;
          if (digests !== undefined && digest !== undefined) {
            digests.remember(article.id, digest, { seq: outcome.seq, embedHash: outcome.embedHash });
          }
        });
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
  };

  for (const path of paths) {
    let batch: ReadItem[] = [];
    const languageOf = options.languageOf === undefined ? {} : { languageOf: options.languageOf };
    const onRecord = options.onRecord === undefined ? {} : { onRecord: options.onRecord };
    const storedIdsOf = digests === undefined ? {} : { storedIdsOf: (list: readonly string[]) => digests.storedIdsOf(list) };
    const onOpen = (opened: OpenedInput) => {
      input = opened;
    };
    let storedSinceProgress = 0;
    for await (const items of readArticleBatches(path, undefined, { ...languageOf, ...onRecord, ...storedIdsOf, onOpen }) as AsyncGenerator<ReadArticle[]>) {
      for (const item of items) {
        if (!item.ok) {
          if (item.id === null) recordsWithoutId++;
          else inputIds.add(item.id);
          reject(describeRejectedRecord(item));
          continue;
        }
        const id = item.ok === "stored" ? item.id : item.article.id;
        inputIds.add(id);
        const first = firstPositionOfId.get(id);
        if (first !== undefined) {
          reject(
            `${describeRecordPosition(item.position)} id "${id}": id: repeats ${describeRecordPosition(first)}; the first record with an id is indexed and later ones are not`,
          );
          continue;
        }
        firstPositionOfId.set(id, item.position);
        if (item.ok === "stored") {
          report.unchanged++;
          done++;
          storedSinceProgress++;
          continue;
        }
        batch.push(
          item.digest === undefined
            ? { article: item.article, position: item.position }
            : { article: item.article, position: item.position, digest: item.digest },
        );
        if (batch.length >= nextBatchSize) {
          await flush(batch);
          batch = [];
          nextBatchSize = batchSize;
          while (inFlight.size >= (options.batchesInFlight ?? 2)) await Promise.race(inFlight);
        }
      }
      if (storedSinceProgress > 0) {
        storedSinceProgress = 0;
        reportProgress();
      }
    }
    if (batch.length > 0) await flush(batch);
    bytesOfEarlierFiles += (input as OpenedInput | null)?.bytesRead() ?? 0;
    input = null;
  }
  await Promise.all(inFlight);
  if (options.prune) {
    if (recordsWithoutId > 0) {
      report.pruneSkipped = `${recordsWithoutId} record(s) had no readable id, so which stored articles the input still holds is unknown`;
    } else {
      const engine = await openEngine();
      const missing = engine.listIds().filter((id) => !inputIds.has(id));
      for (let start = 0; start < missing.length; start += pruneBatchSize) {
        report.deleted += (await engine.deleteArticles(missing.slice(start, start + pruneBatchSize))).length;
      }
      // Many deletes start a compaction: let it finish, so the graph saved below has no tombstones.
      await engine.waitForCompaction();
    }
  }
  reportProgress();
  // Assigned inside openEngine, which the compiler does not follow.
  const used = opened as Promise<KindredEngine> | null;
  if (used !== null) (await used).saveGraph();
  return report;
}
