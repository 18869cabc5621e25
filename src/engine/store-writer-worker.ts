import { parentPort, workerData } from "node:worker_threads";
import { SqliteArticleStore } from "../store/sqlite-article-store.ts";
import { serialiseWorkerError, type WorkerAnswer } from "../workers/worker-requests.ts";
import { prepareArticle, type WriterRequest } from "./store-writer.ts";

/** The store writer thread (store-writer.ts): its own connection, one request at a time. */
const port = parentPort!;

try {
  const store = SqliteArticleStore.open((workerData as { dataDir: string }).dataDir);
  port.postMessage({ kind: "ready" } satisfies WorkerAnswer);
  port.on("message", (request: WriterRequest & { id: number }) => {
    try {
      const result =
        request.kind === "prepare"
          ? request.articles.map((article) => prepareArticle(request.modelId, article, request.plan))
          : request.kind === "write"
            ? store.writeArticles(request.writes, request.modelId)
            : store.deleteArticles(request.ids);
      port.postMessage({ id: request.id, result } satisfies WorkerAnswer);
    } catch (error) {
      port.postMessage({ id: request.id, error: serialiseWorkerError(error) } satisfies WorkerAnswer);
    }
  });
} catch (error) {
  port.postMessage({ kind: "failed", message: (error as Error).stack ?? String(error) } satisfies WorkerAnswer);
}
