import { workerData } from "node:worker_threads";
import { SqliteWriteJournal } from "../store/sqlite-write-journal.ts";
import { answerWorkerRequests } from "../workers/worker-requests.ts";
import type { JournalRequest } from "./store-writer.ts";

/**
 * The journal writer thread (store-writer.ts): the accepted-writes journal's own connection,
 * one request at a time, so an append waits only for other appends and removals.
 */
answerWorkerRequests<JournalRequest>(() => {
  // The store was opened first (open-engine.ts), which moved any rows of an older journal here.
  const journal = SqliteWriteJournal.open((workerData as { dataDir: string }).dataDir);
  return (request) =>
    request.kind === "journal-append"
      ? journal.append(request.articles, request.acceptedMs)
      : request.kind === "journal-append-deletes"
        ? journal.appendDeletes(request.ids, request.acceptedMs)
        : journal.remove(request.entries);
});
