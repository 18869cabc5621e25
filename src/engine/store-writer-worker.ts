import { parentPort, workerData } from "node:worker_threads";
import { SqliteArticleStore } from "../store/sqlite-article-store.ts";
import { journalOf, prepareArticle, serialiseWriterError, type WriterRequest, type WriterResponse } from "./store-writer.ts";

/** The store writer thread (store-writer.ts): its own connection, one request at a time. */
const port = parentPort!;

try {
  const store = SqliteArticleStore.open((workerData as { dataDir: string }).dataDir);
  port.postMessage({ kind: "ready" } satisfies WriterResponse);
  port.on("message", (request: WriterRequest) => {
    try {
      const result =
        request.kind === "prepare"
          ? request.articles.map((article) => prepareArticle(request.modelId, article, request.plan))
          : request.kind === "write"
            ? store.writeArticles(request.writes, request.modelId)
            : request.kind === "delete"
              ? store.deleteArticles(request.ids)
              : request.kind === "journal-append"
                ? journalOf(store).append(request.articles, request.acceptedMs)
                : journalOf(store).remove(request.entries);
      port.postMessage({ id: request.id, result } satisfies WriterResponse);
    } catch (error) {
      port.postMessage({ id: request.id, error: serialiseWriterError(error) } satisfies WriterResponse);
    }
  });
} catch (error) {
  port.postMessage({ kind: "failed", message: (error as Error).stack ?? String(error) } satisfies WriterResponse);
}
